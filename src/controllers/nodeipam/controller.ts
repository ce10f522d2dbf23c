// The node IPAM controller (upstream `node-ipam`, range allocator): every node without a pod
// range gets one from the cluster CIDR (`spec.podCIDR` and `spec.podCIDRs`; one per family for a
// dual-stack cluster CIDR such as "10.42.0.0/16,fd00:42::/56"), of `/nodeCidrMaskSize` for IPv4
// and `/nodeCidrMaskSizeIPv6` (default 64) for IPv6. Ranges nodes already hold are marked used
// before anything is allocated; a deleted node's range is released. When the cluster CIDR is
// exhausted the node gets a `CIDRNotAvailable` event and is retried with backoff (and again as
// soon as another node's range is released).
//
// Keys are node names.

import type { Node } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext, type ControllerOptions } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { CidrSet, isIPv6Cidr } from './cidrset.js';

export interface NodeIpamOptions {
  /** `--node-cidr-mask-size-ipv6` (upstream 64). */
  nodeCidrMaskSizeIPv6: number;
}

const nodes = resourceOf('', 'Node');

/** The pod ranges a node holds (podCIDRs, else podCIDR). */
export function podCidrsOf(node: KObject): string[] {
  const spec = (node as KObject & Node).spec;
  const list = (spec?.podCIDRs ?? []).filter((c) => c);
  if (list.length > 0) return [...list];
  return spec?.podCIDR ? [spec.podCIDR] : [];
}

/** One CidrSet per family of the comma-separated cluster CIDR. */
export function newCidrSets(clusterCidr: string, maskV4: number, maskV6: number): CidrSet[] {
  return clusterCidr
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c)
    .map((c) => new CidrSet(c, isIPv6Cidr(c) ? maskV6 : maskV4));
}

export function startNodeIpamController(ctx: ControllerContext, overrides: Partial<NodeIpamOptions> = {}): RunningController {
  const o = ctx.options;
  const sets = newCidrSets(ctx.options.clusterCidr, ctx.options.nodeCidrMaskSize, overrides.nodeCidrMaskSizeIPv6 ?? o.nodeCidrMaskSizeIPv6 ?? 64);
  const { client, signal, onError, clock } = ctx;
  const recorder = ctx.recorder('cidrAllocator');
  const nodeInformer = ctx.informers.informer(nodes);
  /** What each node holds or was given by us (our patch may not be in the cache yet). */
  const allocated = new Map<string, string[]>();
  let primed = false;

  const occupy = (name: string, cidrs: string[]) => {
    for (const c of cidrs) for (const s of sets) s.occupy(c);
    allocated.set(name, cidrs);
  };
  const release = (name: string) => {
    const cidrs = allocated.get(name);
    if (!cidrs) return;
    allocated.delete(name);
    for (const c of cidrs) for (const s of sets) s.release(c);
    // Nodes waiting for a range may now get one.
    for (const n of nodeInformer.store.list()) if (podCidrsOf(n).length === 0 && !allocated.has(n.metadata.name ?? '')) running.queue.add(n.metadata.name ?? '');
  };

  const reconcile = async (name: string, sig: AbortSignal): Promise<void> => {
    if (!primed) {
      // Ranges held by existing nodes are taken before the first allocation.
      for (const n of nodeInformer.store.list()) {
        const cidrs = podCidrsOf(n);
        if (cidrs.length > 0) occupy(n.metadata.name ?? '', cidrs);
      }
      primed = true;
    }
    const node = nodeInformer.store.get(name);
    if (!node || node.metadata.deletionTimestamp) {
      release(name);
      return;
    }
    const held = podCidrsOf(node);
    if (held.length === 0 && sets.length === 0) return;
    if (held.length > 0) {
      const mine = allocated.get(name);
      if (mine && mine.join(',') !== held.join(',')) for (const c of mine) for (const s of sets) s.release(c);
      occupy(name, held);
      return;
    }
    let cidrs = allocated.get(name);
    if (!cidrs) {
      const got: string[] = [];
      for (const s of sets) {
        const c = s.allocateNext();
        if (c === undefined) {
          for (const [i, g] of got.entries()) sets[i]?.release(g);
          recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
          throw new Error(`failed to allocate a pod CIDR for node ${name}: ${s.cluster} has no free /${s.maskSize} left`);
        }
        got.push(c);
      }
      cidrs = got;
      allocated.set(name, cidrs);
    }
    try {
      await client.patch(nodes, name, { metadata: { uid: node.metadata.uid }, spec: { podCIDR: cidrs[0], podCIDRs: cidrs } }, 'merge', { signal: sig });
    } catch (e) {
      if (isApiError(e, 404)) {
        release(name);
        return;
      }
      // Someone else set a range meanwhile: take theirs on the next sync.
      if (isApiError(e, 422)) {
        release(name);
        throw e;
      }
      recorder.event(node, 'Normal', 'CIDRAssignmentFailed', `Node ${name} status is now: CIDRAssignmentFailed`);
      throw e;
    }
  };

  const running = runController({ name: 'node-ipam', informers: [nodeInformer], reconcile, clock, onError: (_n, _k, e) => onError(e) }, signal);
  nodeInformer.addHandlers({
    onAdd: (n) => running.queue.add(n.metadata.name ?? ''),
    onUpdate: (a, b) => {
      if (podCidrsOf(a).join(',') !== podCidrsOf(b).join(',') || podCidrsOf(b).length === 0 || !!b.metadata.deletionTimestamp) running.queue.add(b.metadata.name ?? '');
    },
    onDelete: (n) => running.queue.add(n.metadata.name ?? ''),
  });
  return running;
}
