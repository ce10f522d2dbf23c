// The taint eviction controller (upstream `taint-eviction-controller`, the NoExecute taint
// manager): pods on a node with NoExecute taints they do not tolerate are deleted at once; those
// tolerating them for `tolerationSeconds` are deleted when that time is up (see tolerations.ts).
// Before the delete the pod gets a `DisruptionTarget` condition (reason DeletionByTaintManager)
// and a `TaintManagerEviction` event; a pending eviction that is no longer due (taint removed,
// pod moved) is cancelled with a `TaintManagerEviction` "Cancelling deletion" event.
//
// Keys are pod keys. A pending eviction is simply the pod's key queued for its due time: the
// reconcile then re-checks everything, so cancelling needs no timer bookkeeping.

import type { Node, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { rfc3339 } from './health.js';
import { evictionDecision } from './tolerations.js';

const pods = resourceOf('', 'Pod');
const nodes = resourceOf('', 'Node');

function noExecuteTaints(node: KObject | undefined): Taint[] {
  return ((node as (KObject & Node) | undefined)?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

export function startTaintEvictionController(ctx: ControllerContext): RunningController {
  const { client, signal, onError, clock } = ctx;
  const recorder = ctx.recorder('taint-eviction-controller');
  const podInformer = ctx.informers.informer(pods, { indexers: { namespace: indexFuncs.namespace, nodeName: indexFuncs.nodeName } });
  const nodeInformer = ctx.informers.informer(nodes);
  /** Pods with an eviction pending: key → the pod object it was scheduled for. */
  const scheduled = new Map<string, KObject>();
  /** When a taint without timeAdded was first seen: `node|key:effect` → ms. */
  const taintSeen = new Map<string, number>();

  const cancel = (key: string) => {
    const pod = scheduled.get(key);
    if (!pod) return;
    scheduled.delete(key);
    recorder.event(pod, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  };

  const evict = async (key: string, obj: KObject, sig: AbortSignal): Promise<void> => {
    scheduled.delete(key);
    recorder.event(obj, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${key}`);
    const pod = obj as KObject & Pod;
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const conditions = (pod.status?.conditions ?? []).map((c) => ({ ...c }));
    const existing = conditions.find((c) => c.type === 'DisruptionTarget');
    const want = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' };
    try {
      if (!existing || existing.status !== want.status || existing.reason !== want.reason || existing.message !== want.message) {
        const cond: PodCondition = { ...want, lastTransitionTime: existing?.status === 'True' ? existing.lastTransitionTime : rfc3339(clock.now()) };
        const next = existing ? conditions.map((c) => (c.type === 'DisruptionTarget' ? cond : c)) : [...conditions, cond];
        await client.patch(pods, name, { metadata: { uid: obj.metadata.uid }, status: { conditions: next } }, 'merge', { namespace: ns, subresource: 'status', signal: sig });
      }
      await client.delete(pods, name, { namespace: ns, preconditions: { uid: obj.metadata.uid ?? '' }, signal: sig });
    } catch (e) {
      // Gone already, or replaced by another pod of the same name: nothing to evict.
      if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
    }
  };

  const running = runController(
    {
      name: 'taint-eviction-controller',
      informers: [podInformer, nodeInformer],
      async reconcile(key, sig) {
        const obj = podInformer.store.get(key);
        const pod = obj as (KObject & Pod) | undefined;
        const nodeName = pod?.spec?.nodeName;
        if (!obj || !pod || !nodeName || obj.metadata.deletionTimestamp) {
          scheduled.delete(key);
          return;
        }
        const taints = noExecuteTaints(nodeInformer.store.get(nodeName));
        const now = clock.now();
        const seen = (t: Taint) => {
          const id = `${nodeName}|${t.key}:${t.effect}`;
          let at = taintSeen.get(id);
          if (at === undefined) taintSeen.set(id, (at = now));
          return at;
        };
        const created = Date.parse(obj.metadata.creationTimestamp ?? '');
        const decision = evictionDecision(pod.spec?.tolerations ?? [], taints, Number.isFinite(created) ? created : 0, seen);
        if (decision.kind === 'keep') return cancel(key);
        if (decision.at <= now) return evict(key, obj, sig);
        scheduled.set(key, obj);
        running.queue.addAfter(key, decision.at - now);
      },
      workers: 2,
      clock,
      onError: (_n, _k, e) => onError(e),
    },
    signal,
  );

  podInformer.addHandlers({
    onAdd: (o) => {
      if ((o.spec as { nodeName?: string } | undefined)?.nodeName) running.queue.add(keyOf(o));
    },
    onUpdate: (o, n) => {
      const a = o.spec as Pod['spec'];
      const b = n.spec as Pod['spec'];
      if (a?.nodeName !== b?.nodeName || JSON.stringify(a?.tolerations) !== JSON.stringify(b?.tolerations)) running.queue.add(keyOf(n));
    },
    onDelete: (o) => scheduled.delete(keyOf(o)),
  });
  const onNode = (old: KObject | undefined, node: KObject) => {
    const name = node.metadata.name ?? '';
    const before = JSON.stringify(noExecuteTaints(old));
    const after = noExecuteTaints(node);
    if (old && before === JSON.stringify(after)) return;
    // Forget first-seen times of taints that are gone, so a re-added one starts afresh.
    for (const id of taintSeen.keys()) {
      if (id.startsWith(`${name}|`) && !after.some((t) => id === `${name}|${t.key}:${t.effect}`)) taintSeen.delete(id);
    }
    for (const p of podInformer.store.byIndex('nodeName', name)) running.queue.add(keyOf(p));
  };
  nodeInformer.addHandlers({
    onAdd: (n) => onNode(undefined, n),
    onUpdate: (o, n) => onNode(o, n),
    onDelete: (n) => {
      for (const id of taintSeen.keys()) if (id.startsWith(`${n.metadata.name}|`)) taintSeen.delete(id);
    },
  });
  return running;
}
