// The ReplicaSet controller (upstream's replicaset controller): keeps `spec.replicas` active pods
// that match the selector and carry the ReplicaSet's controller reference, and reports them in
// status. Keys are `namespace/name` of ReplicaSets.
//
// One pass (idempotent, from the informer caches):
// 1. claim: adopt matching orphan pods, release owned pods that no longer match;
// 2. if the expectations of earlier passes are met (the cache has caught up with our writes) and
//    the ReplicaSet is not being deleted: create the missing pods in slow-start batches
//    (1, 2, 4, …; at most 500 per pass) or delete the surplus, least valuable first;
// 3. write status (counts, ReplicaFailure on a failed create/delete, observedGeneration), then
//    requeue when a ready pod will turn available (minReadySeconds).
// Terminating and finished (Succeeded/Failed) pods are not replicas.

import { labelSelectorFromObject, matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import { deepEqual, type KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { claimObjects } from '../podcontrol/claim.js';
import { Expectations } from '../podcontrol/expectations.js';
import { isNamespaceTerminating, PodControl, slowStartBatch } from '../podcontrol/podcontrol.js';
import { controllerRefOf, resolveControllerRef } from '../../api/ownerrefs.js';
import { isPodActive, isPodReady, msUntilAvailable } from '../../api/pods.js';
import type { PodObj } from '../podcontrol/pods.js';
import { podsToDelete } from '../podcontrol/ranking.js';
import { calculateReplicaSetStatus, replicaSetStatusChanged, type ReplicaSetObj } from './status.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

const replicaSets = resourceOf('apps', 'ReplicaSet');
const pods = resourceOf('', 'Pod');

/** Upstream's burstReplicas: the most pods one pass creates or deletes. */
export const burstReplicas = 500;

export function startReplicaSetController(ctx: ControllerContext): RunningController {
  const { client, clock, signal, onError } = ctx;
  const rsInformer = ctx.informers.informer(replicaSets, { indexers: { namespace: indexFuncs.namespace, ownerUid: indexFuncs.ownerUid } });
  const podInformer = ctx.informers.informer(pods, { indexers: { namespace: indexFuncs.namespace, ownerUid: indexFuncs.ownerUid, orphanNamespace: indexFuncs.orphanNamespace } });
  const recorder = ctx.recorder('replicaset-controller');
  const podControl = new PodControl(client, recorder);
  const expectations = new Expectations({ now: () => clock.now() });

  const selectorOf = (rs: ReplicaSetObj): LabelSelector | undefined => {
    try {
      return labelSelectorFromObject(rs.spec.selector);
    } catch {
      return undefined; // an invalid selector never passed validation; nothing to manage
    }
  };

  /** Active pods of the ReplicaSets that share `rs`'s controller (for the same-node ranking). */
  const relatedPods = (rs: ReplicaSetObj): PodObj[] => {
    const ref = controllerRefOf(rs);
    const family = ref ? rsInformer.store.byIndex('ownerUid', ref.uid).filter((o) => controllerRefOf(o)?.uid === ref.uid) : [rs];
    const seen = new Set<string>();
    const out: PodObj[] = [];
    for (const sibling of family) {
      for (const p of podInformer.store.byIndex('ownerUid', sibling.metadata.uid ?? '') as PodObj[]) {
        if (seen.has(p.metadata.uid ?? '')) continue;
        seen.add(p.metadata.uid ?? '');
        out.push(p);
      }
    }
    return out;
  };

  const manageReplicas = async (key: string, rs: ReplicaSetObj, owned: PodObj[], sig: AbortSignal): Promise<void> => {
    const diff = owned.length - (rs.spec.replicas ?? 1);
    if (diff < 0) {
      const n = Math.min(-diff, burstReplicas);
      expectations.expectCreations(key, n);
      const template = rs.spec.template ?? {};
      const { successes, error } = await slowStartBatch(n, 1, async () => {
        try {
          await podControl.createPod(template, rs, sig);
        } catch (e) {
          if (!isNamespaceTerminating(e)) throw e;
        }
      });
      // No informer event will report the creates never made or refused.
      for (let i = successes; i < n; i++) expectations.creationObserved(key);
      if (error !== undefined) throw error;
    } else if (diff > 0) {
      const n = Math.min(diff, burstReplicas);
      const victims = podsToDelete(owned, relatedPods(rs), n, clock.now());
      expectations.expectDeletions(key, victims.map(keyOf));
      const results = await Promise.allSettled(victims.map((p) => podControl.deletePod(p, rs, sig)));
      let firstError: unknown;
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        expectations.deletionObserved(key, keyOf(victims[i] as PodObj));
        if (!isApiError(r.reason, 404)) firstError ??= r.reason;
      });
      if (firstError !== undefined) throw firstError;
    }
  };

  /** UpdateStatus, retried once on a conflict with a fresh read (upstream's statusUpdateRetries). */
  const writeStatus = async (rs: ReplicaSetObj, status: ReturnType<typeof calculateReplicaSetStatus>, sig: AbortSignal): Promise<ReplicaSetObj> => {
    if (!replicaSetStatusChanged(rs, status)) return rs;
    const next = { ...status, observedGeneration: rs.metadata.generation ?? 0 };
    let cur: KObject = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await client.updateStatus(replicaSets, { ...cur, status: next }, sig)) as ReplicaSetObj;
      } catch (e) {
        if (!isApiError(e, 409) || attempt >= 1) throw e;
        cur = await client.get(replicaSets, rs.metadata.name ?? '', rs.metadata.namespace, sig);
      }
    }
  };

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const rs = rsInformer.store.get(key) as ReplicaSetObj | undefined;
    if (!rs) {
      expectations.delete(key);
      return;
    }
    const needsSync = expectations.satisfied(key);
    const selector = selectorOf(rs);
    if (!selector) return;
    // Upstream claims over every pod of the namespace; only the ones this set controls and the
    // orphans can come out of a claim, so those are all that are looked at (O(owned), not O(namespace)).
    const candidates = new Set([...podInformer.store.byIndex('ownerUid', rs.metadata.uid ?? ''), ...podInformer.store.byIndex('orphanNamespace', rs.metadata.namespace ?? '')]);
    const active = ([...candidates] as PodObj[]).filter(isPodActive);
    const owned = await claimObjects(active, { client, owner: rs, ownerResource: replicaSets, resource: pods, selector, signal: sig });
    let manageError: unknown;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await manageReplicas(key, rs, owned, sig);
      } catch (e) {
        manageError = e;
      }
    }
    const now = clock.now();
    await writeStatus(rs, calculateReplicaSetStatus(rs, owned, manageError, now), sig);
    if (manageError !== undefined) throw manageError;
    // Last line of defence for minReadySeconds: look again when the next ready pod turns available.
    const minReady = rs.spec.minReadySeconds ?? 0;
    if (minReady > 0) {
      const waits = owned.map((p) => msUntilAvailable(p, minReady, now)).filter((ms): ms is number => ms !== undefined && ms > 0);
      if (waits.length) running.queue.addAfter(key, Math.min(...waits));
    }
  };

  const running = runController({ name: 'replicaset', informers: [rsInformer, podInformer], reconcile, workers: 4, clock, onError: (_n, _k, e) => onError(e) }, signal);

  const resolve = (namespace: string | undefined, ref: OwnerReference | undefined) => resolveControllerRef(rsInformer.store, namespace, ref, 'ReplicaSet', 'apps') as ReplicaSetObj | undefined;
  const enqueue = (o: KObject) => running.queue.add(keyOf(o));
  /** ReplicaSets that might adopt an orphan (empty selectors select nothing here, as upstream). */
  const enqueueMatching = (pod: PodObj) => {
    for (const rs of rsInformer.store.byIndex('namespace', pod.metadata.namespace ?? '') as ReplicaSetObj[]) {
      const sel = selectorOf(rs);
      if (sel && sel.requirements.length > 0 && matchesLabels(sel, pod.metadata.labels)) enqueue(rs);
    }
  };
  const podDeleted = (pod: PodObj) => {
    const rs = resolve(pod.metadata.namespace, controllerRefOf(pod));
    if (!rs) return;
    expectations.deletionObserved(keyOf(rs), keyOf(pod));
    enqueue(rs);
  };

  podInformer.addHandlers({
    onAdd: (o) => {
      const pod = o as PodObj;
      if (pod.metadata.deletionTimestamp) return podDeleted(pod);
      const ref = controllerRefOf(pod);
      if (ref) {
        const rs = resolve(pod.metadata.namespace, ref);
        if (!rs) return;
        expectations.creationObserved(keyOf(rs));
        return enqueue(rs);
      }
      enqueueMatching(pod);
    },
    onUpdate: (o, n) => {
      const old = o as PodObj;
      const cur = n as PodObj;
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const labelsChanged = !deepEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
      if (cur.metadata.deletionTimestamp) {
        podDeleted(cur);
        if (labelsChanged) podDeleted(old);
        return;
      }
      const curRef = controllerRefOf(cur);
      const oldRef = controllerRefOf(old);
      const refChanged = !deepEqual(curRef, oldRef);
      if (refChanged && oldRef) {
        const prev = resolve(old.metadata.namespace, oldRef);
        if (prev) enqueue(prev);
      }
      if (curRef) {
        const rs = resolve(cur.metadata.namespace, curRef);
        if (!rs) return;
        enqueue(rs);
        const minReady = rs.spec.minReadySeconds ?? 0;
        if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) running.queue.addAfter(keyOf(rs), minReady * 1000 + 1000);
        return;
      }
      if (labelsChanged || refChanged) enqueueMatching(cur);
    },
    onDelete: (o) => podDeleted(o as PodObj),
  });
  rsInformer.addHandlers({
    onAdd: enqueue,
    onUpdate: (_o, n) => enqueue(n),
    onDelete: (o) => {
      expectations.delete(keyOf(o));
      enqueue(o);
    },
  });
  return running;
}
