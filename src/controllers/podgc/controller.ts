// The pod garbage collector (upstream `pod-garbage-collector`): removes pods nobody else will.
// - Orphaned pods: bound to a node that no longer exists (confirmed by a live read after a 40 s
//   quarantine, as upstream) — marked Failed with a DisruptionTarget condition (reason
//   DeletionByPodGC), then force-deleted.
// - Unscheduled terminating pods: deletionTimestamp set and no node — force-deleted.
// - Terminated pods (Succeeded/Failed) beyond `terminatedPodThreshold` (12,500): oldest first.
// Runs every `periodMs` (20 s, upstream's gcCheckPeriod) over the shared pod and node caches.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodTerminal } from '../../api/pods.js';
import type { KObject } from '../../apiserver/object.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';

const pods = resourceOf('', 'Pod');
const nodes = resourceOf('', 'Node');

export interface PodGcOptions {
  periodMs: number;
  quarantineMs: number;
  terminatedPodThreshold: number;
}

export function startPodGcController(ctx: ControllerContext, overrides: Partial<PodGcOptions> = {}): { done: Promise<void> } {
  const opts: PodGcOptions = { periodMs: 20_000, quarantineMs: 40_000, terminatedPodThreshold: 12_500, ...overrides };
  const { client, clock, signal } = ctx;
  const podInformer = ctx.informers.informer(pods);
  const nodeInformer = ctx.informers.informer(nodes);
  /** node name → when we first saw pods bound to it while it was missing */
  const missingSince = new Map<string, number>();

  const forceDelete = async (pod: KObject) => {
    try {
      await client.delete(pods, pod.metadata.name ?? '', { namespace: pod.metadata.namespace, gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
    }
  };

  const markFailed = async (pod: KObject, message: string) => {
    const p = pod as Pod;
    if (isPodTerminal(p)) return;
    const now = new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const conditions = (p.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
    conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message, lastTransitionTime: now });
    try {
      await client.patch(pods, pod.metadata.name ?? '', { status: { phase: 'Failed', conditions } }, 'strategic', { namespace: pod.metadata.namespace, subresource: 'status' });
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
    }
  };

  const nodeGone = async (name: string): Promise<boolean> => {
    if (nodeInformer.store.get(name)) return false;
    try {
      await client.get(nodes, name, undefined, signal);
      return false;
    } catch (e) {
      if (isApiError(e, 404)) return true;
      throw e;
    }
  };

  const sweep = async () => {
    const all = podInformer.store.list();
    const now = clock.now();
    const boundToMissing = new Map<string, KObject[]>();
    const terminated: KObject[] = [];
    for (const pod of all) {
      const p = pod as Pod;
      const node = p.spec?.nodeName;
      if (!node && pod.metadata.deletionTimestamp) await forceDelete(pod);
      else if (node && !nodeInformer.store.get(node)) boundToMissing.set(node, [...(boundToMissing.get(node) ?? []), pod]);
      if (isPodTerminal(p)) terminated.push(pod);
    }
    for (const name of missingSince.keys()) if (!boundToMissing.has(name)) missingSince.delete(name);
    for (const [name, orphans] of boundToMissing) {
      const since = missingSince.get(name) ?? now;
      missingSince.set(name, since);
      if (now - since < opts.quarantineMs || !(await nodeGone(name))) continue;
      for (const pod of orphans) {
        await markFailed(pod, 'PodGC: node no longer exists');
        await forceDelete(pod);
      }
      missingSince.delete(name);
    }
    const excess = terminated.length - opts.terminatedPodThreshold;
    if (excess > 0) {
      terminated.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
      for (const pod of terminated.slice(0, excess)) await forceDelete(pod);
    }
  };

  const done = (async () => {
    await Promise.all([podInformer.waitForSync(signal), nodeInformer.waitForSync(signal)]).catch(() => undefined);
    while (!signal.aborted) {
      await sweep().catch((e: unknown) => ctx.onError(e));
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          clock.clearTimeout(t);
          resolve();
        };
        const t = clock.setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, opts.periodMs);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    }
  })();
  return { done };
}
