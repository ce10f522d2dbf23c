// The DaemonSet controller (upstream's daemon controller): one pod per eligible node, bound by
// the scheduler through a required node affinity on metadata.name; rolling updates under
// maxUnavailable/maxSurge or OnDelete; ControllerRevisions for `kubectl rollout history|undo`;
// status counters for `kubectl rollout status`.
//
// Reconcile of a set: claim revisions and pods → find/create the current revision → if earlier
// writes are all visible in the pod cache (expectations), create/delete pods node by node, then
// (if nothing else changed) advance the rolling update, then prune history → write status.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../../api/selectors/labels.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { realClock } from '../../client/workqueue.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { claimObjects } from '../podcontrol/claim.js';
import { claimCandidates, watchDependents } from '../history/dependents.js';
import { Expectations } from '../history/expectations.js';
import { jsonEqual } from '../hash.js';
import { podRevisionLabel, type Revision } from '../history/revisions.js';
import { nodeShouldRunDaemonPod } from './eligibility.js';
import { cleanupHistory, constructHistory } from './history.js';
import { computeStatus, FailedPodBackoff, planManage, planRollingUpdate, type Plan, type Snapshot } from './plan.js';
import { newDaemonPod } from './pods.js';

const dsResource = resourceOf('apps', 'DaemonSet');
const podResource = resourceOf('', 'Pod');
const nodeResource = resourceOf('', 'Node');
const revisionResource = resourceOf('apps', 'ControllerRevision');

/** At most this many creations (and deletions) per sync, as upstream's BurstReplicas. */
const burstReplicas = 250;

export function startDaemonSetController(ctx: ControllerContext): RunningController {
  const { client, signal } = ctx;
  const clock = ctx.clock ?? realClock;
  const recorder = ctx.recorder('daemonset-controller');
  const sets = ctx.informers.informer(dsResource, { indexers: { namespace: indexFuncs.namespace } });
  const pods = ctx.informers.informer(podResource, { indexers: { ownerUid: indexFuncs.ownerUid, nodeName: indexFuncs.nodeName, namespace: indexFuncs.namespace } });
  const nodes = ctx.informers.informer(nodeResource);
  const revisions = ctx.informers.informer(revisionResource, { indexers: { ownerUid: indexFuncs.ownerUid, namespace: indexFuncs.namespace } });
  const expectations = new Expectations(clock);
  const backoff = new FailedPodBackoff();

  const reconcile = async (key: string): Promise<void> => {
    const obj = sets.store.get(key);
    if (!obj) {
      expectations.forget(key);
      return;
    }
    const ds = obj as unknown as DaemonSet;
    const recordOn = (type: 'Normal' | 'Warning', reason: string, message: string) => recorder.event(obj, type, reason, message);
    const sel = ds.spec?.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      recordOn('Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // Whether a set being deleted still owns its revisions is unknown: leave it to the collector.
    if (obj.metadata.deletionTimestamp) return;
    const selector = labelSelectorFromObject(sel);
    const claim = { client, owner: obj, ownerResource: dsResource, selector, signal };
    const ownedRevisions = (await claimObjects(claimCandidates(obj, revisions.store), { ...claim, resource: revisionResource })) as Revision[];
    const claimedPods = (await claimObjects(claimCandidates(obj, pods.store), { ...claim, resource: podResource })) as unknown as Pod[];
    const { old, hash } = await constructHistory(client, ds, ownedRevisions, (h) => (claimedPods as unknown as KObject[]).filter((p) => p.metadata.labels?.[podRevisionLabel] === h));

    const snap = (): Snapshot => ({ ds, nodes: nodes.store.list() as unknown as Node[], pods: claimedPods, hash, nowMs: clock.now() });
    backoff.gc(clock.now());
    if (!expectations.satisfied(key, pods.store)) {
      // Only status: observedGeneration is not raised for a generation not acted on.
      await writeStatus(ds, snap(), false);
      return;
    }
    const manage = planManage(snap(), backoff);
    for (const ev of manage.events) recordOn(ev.type, ev.reason, ev.message);
    let err = await execute(key, ds, obj, manage, hash);
    if (!err && manage.create.length === 0 && manage.delete.length === 0 && ds.spec?.updateStrategy?.type === 'RollingUpdate') {
      err = await execute(key, ds, obj, planRollingUpdate(snap()), hash);
    }
    if (!err) {
      const liveHashes = new Set([hash, ...claimedPods.map((p) => p.metadata?.labels?.[podRevisionLabel] ?? '')]);
      await cleanupHistory(client, ds, old, liveHashes);
    }
    const counts = await writeStatus(ds, snap(), true);
    if (err) throw err;
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) running.queue.addAfter(key, minReady * 1000);
    if (manage.retryAfterMs !== undefined) running.queue.addAfter(key, manage.retryAfterMs);
  };

  /** syncNodes: creations in slow-start batches (1, 2, 4, …), then deletions; returns the first error. */
  const execute = async (key: string, ds: DaemonSet, obj: KObject, plan: Plan, hash: string): Promise<Error | undefined> => {
    const ns = ds.metadata?.namespace ?? '';
    const errors: Error[] = [];
    const toCreate = plan.create.slice(0, burstReplicas);
    for (let pos = 0, batch = 1; pos < toCreate.length && errors.length === 0; pos += batch, batch *= 2) {
      await Promise.all(
        toCreate.slice(pos, pos + batch).map(async (nodeName) => {
          try {
            const created = await client.create(podResource, newDaemonPod(ds, nodeName, hash) as unknown as KObject, ns);
            expectations.expectCreation(key, keyOf(created));
            recorder.event(obj, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
          } catch (e) {
            // A namespace being torn down refuses every creation; nothing to retry.
            if (isApiError(e, 403) && /being terminated/.test((e as Error).message)) return;
            recorder.event(obj, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
            errors.push(e as Error);
          }
        }),
      );
    }
    await Promise.all(
      plan.delete.slice(0, burstReplicas).map(async (pod) => {
        const name = pod.metadata?.name ?? '';
        try {
          await client.delete(podResource, name, { namespace: ns });
          expectations.expectDeletion(key, `${ns}/${name}`, pod.metadata?.uid ?? '');
          recorder.event(obj, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
        } catch (e) {
          if (isApiError(e, 404)) return;
          recorder.event(obj, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          errors.push(e as Error);
        }
      }),
    );
    return errors[0];
  };

  /** storeDaemonSetStatus: written only when a counter or observedGeneration changes; one retry on conflict. */
  const writeStatus = async (ds: DaemonSet, snap: Snapshot, observe: boolean) => {
    const counts = computeStatus(snap);
    const generation = ds.metadata?.generation ?? 0;
    const cur = ds.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
    const same = (Object.keys(counts) as (keyof typeof counts)[]).every((k) => (cur[k] ?? 0) === counts[k]);
    if (same && (cur.observedGeneration ?? 0) >= generation) return counts;
    let target = ds as unknown as KObject;
    for (let attempt = 0; ; attempt++) {
      const base = (target.status ?? {}) as Record<string, unknown>;
      const status = { ...base, ...counts, ...(observe ? { observedGeneration: generation } : {}) };
      if (jsonEqual(status, base)) return counts;
      try {
        await client.updateStatus(dsResource, { ...target, status });
        return counts;
      } catch (e) {
        if (!isApiError(e, 409) || attempt >= 1) throw e;
        target = await client.get(dsResource, ds.metadata?.name ?? '', ds.metadata?.namespace);
      }
    }
  };

  const running = runController(
    { name: 'daemonset', informers: [sets, pods, nodes, revisions], reconcile, workers: 2, clock, onError: (_n, _k, e) => ctx.onError(e) },
    signal,
  );

  const enqueueSet = (o: KObject) => running.queue.add(keyOf(o));
  sets.addHandlers({ onAdd: enqueueSet, onUpdate: (_o, n) => enqueueSet(n), onDelete: (o) => (expectations.forget(keyOf(o)), enqueueSet(o)) });
  // Pods and revisions: their controlling set, or every set whose selector matches an orphan.
  watchDependents({ kind: 'DaemonSet', owners: sets, dependents: [pods, revisions], enqueue: (key) => running.queue.add(key) });
  /** A node change matters to the sets whose placement on it changes (plus any node add or delete). */
  const placementChanged = (o: Node, n: Node, s: KObject) => {
    const spec = (s.spec as DaemonSet['spec'])?.template.spec ?? { containers: [] };
    return !jsonEqual(nodeShouldRunDaemonPod(o, spec), nodeShouldRunDaemonPod(n, spec));
  };
  nodes.addHandlers({
    onAdd: () => sets.store.list().forEach(enqueueSet),
    onUpdate: (o, n) => {
      for (const s of sets.store.list()) if (placementChanged(o as unknown as Node, n as unknown as Node, s)) enqueueSet(s);
    },
    onDelete: () => sets.store.list().forEach(enqueueSet),
  });
  return running;
}
