// The node lifecycle controller (upstream `node-lifecycle`). Every `nodeMonitorPeriodMs` (and on
// every Node or Lease change) each node is checked:
// - health (see health.ts): a node not heard from within the grace period gets its conditions
//   set to Unknown (reason NodeStatusUnknown);
// - taints (see taints.ts): `not-ready` / `unreachable` NoExecute taints follow the Ready
//   condition (False / Unknown), NoSchedule taints mirror the conditions and spec.unschedulable;
//   all are removed when the node recovers. Evicting pods for NoExecute taints is the taint
//   eviction controller's job;
// - when the controller turns a Ready node not-ready, a `NodeNotReady` event is recorded and
//   the Ready condition of every pod on the node is set to False (upstream's MarkPodsNotReady),
//   as it is for a pod later bound to a node that is not ready.
// Nodes seen for the first time get a `RegisteredNode` event, deleted ones `RemovingNode`.
// Unlike upstream, NoExecute taints are applied at once (no per-zone rate limit or disruption
// modes).
//
// Keys: `node/<name>` and `pod/<namespace>/<name>`.

import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext, type ControllerOptions } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { NodeHealth, rfc3339 } from './health.js';
import { readyCondition, reconcileTaints } from './taints.js';

export interface NodeLifecycleOptions {
  /** `--node-monitor-grace-period` in ms (upstream 40 s). */
  nodeMonitorGracePeriodMs: number;
  /** `--node-monitor-period` in ms (upstream 5 s). */
  nodeMonitorPeriodMs: number;
  /** `--node-startup-grace-period` in ms (upstream 60 s). */
  nodeStartupGracePeriodMs: number;
}

export const leaseNamespace = 'kube-node-lease';

const nodes = resourceOf('', 'Node');
const pods = resourceOf('', 'Pod');
const leases = resourceOf('coordination.k8s.io', 'Lease');

export function nodeLifecycleOptions(ctx: ControllerContext, overrides: Partial<NodeLifecycleOptions> = {}): NodeLifecycleOptions {
  const o = ctx.options;
  return {
    nodeMonitorGracePeriodMs: overrides.nodeMonitorGracePeriodMs ?? o.nodeMonitorGracePeriodMs ?? 40_000,
    nodeMonitorPeriodMs: overrides.nodeMonitorPeriodMs ?? o.nodeMonitorPeriodMs ?? 5_000,
    nodeStartupGracePeriodMs: overrides.nodeStartupGracePeriodMs ?? o.nodeStartupGracePeriodMs ?? 60_000,
  };
}

export function startNodeLifecycleController(ctx: ControllerContext, overrides: Partial<NodeLifecycleOptions> = {}): RunningController {
  const opts = nodeLifecycleOptions(ctx, overrides);
  const { client, signal, onError, clock } = ctx;
  const recorder = ctx.recorder('node-controller');
  const nodeInformer = ctx.informers.informer(nodes);
  const podInformer = ctx.informers.informer(pods, { indexers: { namespace: indexFuncs.namespace, nodeName: indexFuncs.nodeName } });
  const leaseInformer = ctx.informers.informer(leases);
  const health = new NodeHealth({ now: () => clock.now(), gracePeriodMs: opts.nodeMonitorGracePeriodMs, startupGracePeriodMs: opts.nodeStartupGracePeriodMs });
  const known = new Map<string, KObject>();
  /** Nodes whose pods still need marking not-ready (a previous attempt failed). */
  const retryPods = new Set<string>();

  const nodeEvent = (node: KObject, reason: string, message: string) => recorder.event(node, 'Normal', reason, message);

  /** Sets the Ready condition of the given pods to False (pods without one are left alone). */
  const markPodsNotReady = async (nodeName: string, podObjs: KObject[], sig: AbortSignal): Promise<void> => {
    const errs: unknown[] = [];
    for (const obj of podObjs) {
      const pod = obj as KObject & Pod;
      if (pod.spec?.nodeName !== nodeName) continue;
      const conditions = (pod.status?.conditions ?? []).map((c) => ({ ...c }));
      const ready = conditions.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      ready.status = 'False';
      ready.lastTransitionTime = rfc3339(clock.now());
      try {
        await client.patch(pods, obj.metadata.name ?? '', { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: { conditions: conditions as PodCondition[] } }, 'merge', {
          namespace: obj.metadata.namespace ?? '',
          subresource: 'status',
          signal: sig,
        });
        recorder.event(obj, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!isApiError(e, 404)) errs.push(e);
      }
    }
    if (errs.length > 0) throw new Error(`unable to mark all pods NotReady on node ${nodeName}: ${errs.map((e) => (e as Error).message).join('; ')}`);
  };

  const reconcileNode = async (name: string, sig: AbortSignal): Promise<void> => {
    const obj = nodeInformer.store.get(name);
    if (!obj) {
      const last = known.get(name);
      if (last) nodeEvent(last, 'RemovingNode', `Node ${name} event: Removing Node ${name} from Controller`);
      known.delete(name);
      health.forget(name);
      retryPods.delete(name);
      return;
    }
    if (!known.has(name)) nodeEvent(obj, 'RegisteredNode', `Node ${name} event: Registered Node ${name} in Controller`);
    known.set(name, obj);
    let node = obj as KObject & Node;
    const lease = leaseInformer.store.get(`${leaseNamespace}/${name}`) as (KObject & Lease) | undefined;
    const verdict = health.evaluate(node, lease);
    if (verdict.update) {
      const written = await client.patch(nodes, name, { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: { conditions: verdict.update } }, 'merge', {
        subresource: 'status',
        signal: sig,
      });
      health.committed(name, verdict.update);
      node = written as KObject & Node;
    }
    const taints = reconcileTaints(node, rfc3339(clock.now()));
    if (taints) {
      await client.patch(nodes, name, { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints } }, 'merge', { signal: sig });
    }
    const current = verdict.current;
    if (current) {
      const becameNotReady = verdict.observed.status === 'True' && current.status !== 'True';
      if (becameNotReady) nodeEvent(obj, 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      if (becameNotReady || (retryPods.has(name) && current.status !== 'True')) {
        retryPods.add(name);
        await markPodsNotReady(name, podInformer.store.byIndex('nodeName', name), sig);
      }
      retryPods.delete(name);
    }
    // Check again when the node would turn stale if not heard from.
    if (verdict.remainingMs > 0) running.queue.addAfter(`node/${name}`, verdict.remainingMs + 1);
  };

  /** A pod bound to a node that is not ready is marked not ready too. */
  const reconcilePod = async (key: string, sig: AbortSignal): Promise<void> => {
    const pod = podInformer.store.get(key);
    const nodeName = (pod?.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!pod || !nodeName || !known.has(nodeName)) return;
    const node = nodeInformer.store.get(nodeName);
    if (!node) return;
    const ready = readyCondition(node as KObject & Node);
    if (ready && ready.status !== 'True') await markPodsNotReady(nodeName, [pod], sig);
  };

  const running = runController(
    {
      name: 'node-lifecycle',
      informers: [nodeInformer, podInformer, leaseInformer],
      async reconcile(key, sig) {
        if (key.startsWith('node/')) return reconcileNode(key.slice(5), sig);
        if (key.startsWith('pod/')) return reconcilePod(key.slice(4), sig);
      },
      workers: 2,
      clock,
      onError: (_n, _k, e) => onError(e),
    },
    signal,
  );

  nodeInformer.addHandlers({
    onAdd: (o) => running.queue.add(`node/${o.metadata.name}`),
    onUpdate: (_o, n) => running.queue.add(`node/${n.metadata.name}`),
    onDelete: (o) => running.queue.add(`node/${o.metadata.name}`),
  });
  leaseInformer.addHandlers({
    onAdd: (o) => {
      if (o.metadata.namespace === leaseNamespace) running.queue.add(`node/${o.metadata.name}`);
    },
    onUpdate: (_o, n) => {
      if (n.metadata.namespace === leaseNamespace) running.queue.add(`node/${n.metadata.name}`);
    },
  });
  podInformer.addHandlers({
    onAdd: (o) => {
      if ((o.spec as { nodeName?: string } | undefined)?.nodeName) running.queue.add(`pod/${o.metadata.namespace}/${o.metadata.name}`);
    },
    onUpdate: (o, n) => {
      const before = (o.spec as { nodeName?: string } | undefined)?.nodeName;
      const after = (n.spec as { nodeName?: string } | undefined)?.nodeName;
      if (after && after !== before) running.queue.add(`pod/${n.metadata.namespace}/${n.metadata.name}`);
    },
  });

  // The monitor pass: every node, every period, even when nothing about it changes.
  let timer: unknown;
  const tick = () => {
    if (signal.aborted) return;
    for (const name of nodeInformer.store.keys()) running.queue.add(`node/${name}`);
    timer = clock.setTimeout(tick, opts.nodeMonitorPeriodMs);
  };
  void running.ready.then(tick, () => undefined);
  signal.addEventListener('abort', () => clock.clearTimeout(timer), { once: true });
  return running;
}
