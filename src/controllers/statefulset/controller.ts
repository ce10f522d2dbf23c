// The StatefulSet controller (upstream's statefulset controller): stable pod names and storage,
// ordered or parallel creation and deletion, rolling updates with a partition (or OnDelete),
// ControllerRevisions for `kubectl rollout history|undo`, status for `kubectl rollout status`.
//
// Reconcile of a set: claim revisions and pods → find/create the update revision → if earlier
// writes are visible in the pod cache (expectations), carry out the plan (plan.ts) → write status
// (the update revision becomes current once every replica runs it) → prune history.

import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject } from '../../api/selectors/labels.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { claimObjects } from '../podcontrol/claim.js';
import { claimCandidates, watchDependents } from '../history/dependents.js';
import { Expectations } from '../history/expectations.js';
import { jsonEqual } from '../hash.js';
import { templateOf, type Revision } from '../history/revisions.js';
import { claimsFor, isMemberOf, ordinalOf, podRevision, updateIdentity, updateStorage } from './identity.js';
import { completeRollingUpdate, planStatefulSet, type Action } from './plan.js';
import { claimOwnerRefs, claimOwnerUpToDate } from './retention.js';
import { setRevisions, truncateHistory } from './revisions.js';

const stsResource = resourceOf('apps', 'StatefulSet');
const podResource = resourceOf('', 'Pod');
const pvcResource = resourceOf('', 'PersistentVolumeClaim');
const revisionResource = resourceOf('apps', 'ControllerRevision');

const statusFields = ['observedGeneration', 'replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'currentRevision', 'updateRevision', 'collisionCount'] as const;

export function startStatefulSetController(ctx: ControllerContext): RunningController {
  const { client, signal, clock } = ctx;
  const recorder = ctx.recorder('statefulset-controller');
  const sets = ctx.informers.informer(stsResource, { indexers: { namespace: indexFuncs.namespace } });
  const pods = ctx.informers.informer(podResource, { indexers: { ownerUid: indexFuncs.ownerUid, nodeName: indexFuncs.nodeName, namespace: indexFuncs.namespace } });
  const claims = ctx.informers.informer(pvcResource);
  const revisions = ctx.informers.informer(revisionResource, { indexers: { ownerUid: indexFuncs.ownerUid, namespace: indexFuncs.namespace } });
  const expectations = new Expectations(clock);

  const reconcile = async (key: string): Promise<void> => {
    const obj = sets.store.get(key);
    if (!obj) {
      expectations.forget(key);
      return;
    }
    const set = obj as unknown as StatefulSet;
    const ns = set.metadata?.namespace ?? '';
    const selector = labelSelectorFromObject(set.spec?.selector);
    const claim = { client, owner: obj, ownerResource: stsResource, selector, signal };
    const owned = (await claimObjects(claimCandidates(obj, revisions.store), { ...claim, resource: revisionResource })) as Revision[];
    const members = (await claimObjects(claimCandidates(obj, pods.store), { ...claim, resource: podResource, filter: (o) => isMemberOf(set, o as unknown as Pod) })) as unknown as Pod[];
    const { current, update, collisionCount } = await setRevisions(client, set, owned);
    const plan = planStatefulSet({
      set,
      current: { name: current.metadata.name, template: templateOf(current) as PodTemplateSpec },
      update: { name: update.metadata.name, template: templateOf(update) as PodTemplateSpec },
      collisionCount,
      pods: members,
      claim: (name) => claims.store.get(`${ns}/${name}`) as unknown as PersistentVolumeClaim | undefined,
      nowMs: clock.now(),
    });
    let err: unknown;
    if (expectations.satisfied(key, pods.store)) {
      try {
        for (const action of plan.actions) await execute(key, obj, set, action);
      } catch (e) {
        err = e;
      }
    }
    await writeStatus(obj, completeRollingUpdate(set, plan.status));
    if (err) throw err;
    const live = new Set([current.metadata.name, update.metadata.name, ...members.map(podRevision)]);
    await truncateHistory(client, set, owned, live);
    const minReady = set.spec?.minReadySeconds ?? 0;
    if (plan.requeueAfterMs !== undefined) running.queue.addAfter(key, plan.requeueAfterMs);
    else if (minReady > 0 && plan.status.availableReplicas !== (set.spec?.replicas ?? 1)) running.queue.addAfter(key, minReady * 1000);
  };

  const podEvent = (obj: KObject, verb: string, pod: Pod, err?: unknown) => {
    const title = verb[0]?.toUpperCase() + verb.slice(1);
    const name = pod.metadata?.name ?? '';
    if (err === undefined) recorder.event(obj, 'Normal', `Successful${title}`, `${verb} Pod ${name} in StatefulSet ${obj.metadata.name} successful`);
    else recorder.event(obj, 'Warning', `Failed${title}`, `${verb} Pod ${name} in StatefulSet ${obj.metadata.name} failed error: ${(err as Error).message}`);
  };

  /** createPersistentVolumeClaims: the member's missing claims, created with the policy's references. */
  const createClaims = async (obj: KObject, set: StatefulSet, pod: Pod): Promise<void> => {
    const ns = set.metadata?.namespace ?? '';
    const errors: string[] = [];
    for (const claim of claimsFor(set, ordinalOf(pod)).values()) {
      const name = claim.metadata?.name ?? '';
      const cached = claims.store.get(`${ns}/${name}`);
      if (cached) {
        if (cached.metadata.deletionTimestamp) errors.push(`pvc ${name} is being deleted`);
        continue;
      }
      claim.metadata = { ...claim.metadata, ownerReferences: claimOwnerRefs(claim, set, pod) };
      if (claim.metadata.ownerReferences?.length === 0) delete claim.metadata.ownerReferences;
      try {
        await client.create(pvcResource, claim as unknown as KObject, ns);
        recorder.event(obj, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${pod.metadata?.name} in StatefulSet ${obj.metadata.name} success`);
      } catch (e) {
        if (isApiError(e, 409)) continue;
        recorder.event(obj, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${pod.metadata?.name} in StatefulSet ${obj.metadata.name} failed error: ${(e as Error).message}`);
        errors.push(`failed to create PVC ${name}: ${(e as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(errors.join('; '));
  };

  /** UpdatePodClaimForRetentionPolicy: rewrites our references on the member's existing claims. */
  const fixClaimRefs = async (set: StatefulSet, pod: Pod): Promise<void> => {
    const ns = set.metadata?.namespace ?? '';
    for (const c of claimsFor(set, ordinalOf(pod)).values()) {
      const have = claims.store.get(`${ns}/${c.metadata?.name}`) as unknown as PersistentVolumeClaim | undefined;
      if (!have || claimOwnerUpToDate(have, set, pod)) continue;
      const refs = claimOwnerRefs(have, set, pod);
      await client.patch(pvcResource, have.metadata?.name ?? '', { metadata: { ownerReferences: refs, resourceVersion: have.metadata?.resourceVersion } }, 'merge', { namespace: ns });
    }
  };

  const execute = async (key: string, obj: KObject, set: StatefulSet, action: Action): Promise<void> => {
    const pod = action.pod;
    const ns = set.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    switch (action.kind) {
      case 'create': {
        try {
          await createClaims(obj, set, pod);
        } catch (e) {
          podEvent(obj, 'create', pod, e);
          throw e;
        }
        try {
          const created = await client.create(podResource, pod as unknown as KObject, ns);
          expectations.expectCreation(key, keyOf(created));
        } catch (e) {
          // A pod of that name exists already (a lagging cache): no event, retry later.
          if (!isApiError(e, 409)) podEvent(obj, 'create', pod, e);
          throw e;
        }
        podEvent(obj, 'create', pod);
        return;
      }
      case 'createClaims':
        await createClaims(obj, set, pod);
        await fixClaimRefs(set, pod);
        return;
      case 'fixClaims':
        await fixClaimRefs(set, pod);
        return;
      case 'update': {
        await fixClaimRefs(set, pod);
        if (!action.fixPod) return;
        const fixed = structuredClone(pod);
        updateIdentity(set, fixed);
        updateStorage(set, fixed);
        try {
          await createClaims(obj, set, fixed);
          await client.update(podResource, fixed as unknown as KObject);
        } catch (e) {
          podEvent(obj, 'update', fixed, e);
          throw e;
        }
        podEvent(obj, 'update', fixed);
        return;
      }
      case 'delete': {
        if (action.reason === 'failed') recorder.event(obj, 'Warning', 'RecreatingFailedPod', `StatefulSet ${ns}/${obj.metadata.name} is recreating failed Pod ${name}`);
        if (action.reason === 'succeeded') recorder.event(obj, 'Normal', 'RecreatingTerminatedPod', `StatefulSet ${ns}/${obj.metadata.name} is recreating terminated Pod ${name}`);
        try {
          await client.delete(podResource, name, { namespace: ns, preconditions: { uid: pod.metadata?.uid ?? '' } });
        } catch (e) {
          if (isApiError(e, 404) || isApiError(e, 409)) return;
          podEvent(obj, 'delete', pod, e);
          throw e;
        }
        expectations.expectDeletion(key, `${ns}/${name}`, pod.metadata?.uid ?? '');
        podEvent(obj, 'delete', pod);
        return;
      }
    }
  };

  /** updateStatefulSetStatus: written when a field differs; one retry on conflict with a fresh read. */
  const writeStatus = async (obj: KObject, status: StatefulSetStatus): Promise<void> => {
    let target = obj;
    for (let attempt = 0; ; attempt++) {
      const cur = (target.status ?? {}) as Record<string, unknown>;
      const next: Record<string, unknown> = { ...cur };
      for (const f of statusFields) next[f] = status[f];
      if (statusFields.every((f) => jsonEqual(cur[f] ?? null, next[f] ?? null))) return;
      try {
        await client.updateStatus(stsResource, { ...target, status: next });
        return;
      } catch (e) {
        if (!isApiError(e, 409) || attempt >= 1) throw e;
        target = await client.get(stsResource, obj.metadata.name ?? '', obj.metadata.namespace);
      }
    }
  };

  const running = runController(
    { name: 'statefulset', informers: [sets, pods, claims, revisions], reconcile, workers: 2, clock, onError: (_n, _k, e) => ctx.onError(e) },
    signal,
  );

  const enqueueSet = (o: KObject) => running.queue.add(keyOf(o));
  sets.addHandlers({ onAdd: enqueueSet, onUpdate: (_o, n) => enqueueSet(n), onDelete: (o) => (expectations.forget(keyOf(o)), enqueueSet(o)) });
  watchDependents({ kind: 'StatefulSet', owners: sets, dependents: [pods, revisions], enqueue: (key) => running.queue.add(key) });
  // A claim that goes away may unblock a member waiting on a stale claim.
  claims.addHandlers({
    onDelete: (c) => {
      for (const s of sets.store.byIndex('namespace', c.metadata.namespace ?? '')) enqueueSet(s);
    },
  });
  return running;
}
