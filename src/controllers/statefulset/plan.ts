// The StatefulSet controller's decisions as a pure function of a snapshot (upstream's
// updateStatefulSet): which pods to create, fix, delete, in which order, and the status.
//
// - Members in [start, start+replicas) are "replicas", members outside are "condemned".
// - OrderedReady (monotonic): replicas are processed in ordinal order and the plan stops at the
//   first pod it creates or that is not Running+Ready (or not yet available, or terminating);
//   condemned pods go one at a time from the highest ordinal, only once every replica is healthy.
// - Parallel: every replica is created/fixed and every condemned pod deleted at once.
// - RollingUpdate (either policy): after the above, the highest-ordinal pod at or above the
//   partition that is not at the update revision is deleted (it is recreated at the update
//   revision); one at a time, each waiting for the lower ones to be healthy. With
//   rollingUpdate.maxUnavailable set, up to that many pods are replaced at once.
// - OnDelete: pods are replaced only when deleted by someone else.
// A missing pod below the partition is recreated at the current revision, at or above at the
// update revision.

import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../../api/intstr.js';
import { isPodAvailable, isPodReady, isPodTerminal, msUntilAvailable } from '../../api/pods.js';
import { isTerminating } from '../history/podutil.js';
import { claimsFor, endOrdinal, identityMatches, newStatefulSetPod, ordinalOf, podRevision, replicasOf, startOrdinal, storageMatches } from './identity.js';
import { claimIsStale, claimOwnerUpToDate } from './retention.js';

export interface RevisionRef {
  name: string;
  template: PodTemplateSpec;
}

export interface StsSnapshot {
  set: StatefulSet;
  current: RevisionRef;
  update: RevisionRef;
  collisionCount: number;
  /** The set's member pods. */
  pods: readonly Pod[];
  /** Claims by name, from the cache. */
  claim(name: string): PersistentVolumeClaim | undefined;
  nowMs: number;
}

export type Action =
  /** Create the pod's missing claims, then the pod. */
  | { kind: 'create'; pod: Pod }
  /** Create the claims a pending pod is missing and fix their references. */
  | { kind: 'createClaims'; pod: Pod }
  /** Bring identity/storage (pod write) and claim references (claim writes) in line. */
  | { kind: 'update'; pod: Pod; fixPod: boolean }
  /** Set a condemned pod's claim references for the retention policy. */
  | { kind: 'fixClaims'; pod: Pod }
  | { kind: 'delete'; pod: Pod; reason: 'failed' | 'succeeded' | 'scale' | 'update' };

export interface StsPlan {
  actions: Action[];
  status: StatefulSetStatus;
  /** Look again after this long (a pod becoming available after minReadySeconds). */
  requeueAfterMs?: number;
}

const isCreated = (pod: Pod) => Boolean(pod.status?.phase);
const isRunningAndReady = (pod: Pod) => pod.status?.phase === 'Running' && isPodReady(pod);
const isHealthy = (pod: Pod) => isRunningAndReady(pod) && !isTerminating(pod);

function statusOf(s: StsSnapshot, pods: readonly Pod[]): StatefulSetStatus {
  const minReady = s.set.spec?.minReadySeconds ?? 0;
  const st: StatefulSetStatus = {
    observedGeneration: s.set.metadata?.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    currentRevision: s.current.name,
    updateRevision: s.update.name,
    collisionCount: s.collisionCount,
  };
  for (const pod of pods) {
    if (isCreated(pod)) st.replicas++;
    if (isRunningAndReady(pod)) {
      st.readyReplicas = (st.readyReplicas ?? 0) + 1;
      if (isPodAvailable(pod, minReady, s.nowMs)) st.availableReplicas = (st.availableReplicas ?? 0) + 1;
    }
    if (isCreated(pod) && !isTerminating(pod)) {
      if (podRevision(pod) === s.current.name) st.currentReplicas = (st.currentReplicas ?? 0) + 1;
      if (podRevision(pod) === s.update.name) st.updatedReplicas = (st.updatedReplicas ?? 0) + 1;
    }
  }
  return st;
}

/** completeRollingUpdate: once every replica is updated and ready, the update revision becomes current. */
export function completeRollingUpdate(set: StatefulSet, st: StatefulSetStatus): StatefulSetStatus {
  if (set.spec?.updateStrategy?.type !== 'OnDelete' && st.updatedReplicas === st.replicas && st.readyReplicas === st.replicas) {
    return { ...st, currentRevision: st.updateRevision ?? '', currentReplicas: st.updatedReplicas ?? 0 };
  }
  return st;
}

function partitionOf(set: StatefulSet): number {
  return set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
}

/** newVersionedStatefulSetPod: below the partition at the current revision, else the update revision. */
function versionedPod(s: StsSnapshot, ordinal: number): Pod {
  const set = s.set;
  const us = set.spec?.updateStrategy;
  const start = startOrdinal(set);
  const useCurrent =
    us?.type !== 'OnDelete' && (us?.rollingUpdate ? ordinal < start + partitionOf(set) : ordinal < start + (set.status?.currentReplicas ?? 0));
  const rev = useCurrent ? s.current : s.update;
  return newStatefulSetPod(set, rev.template, ordinal, rev.name);
}

export function planStatefulSet(s: StsSnapshot): StsPlan {
  const { set } = s;
  const minReady = set.spec?.minReadySeconds ?? 0;
  const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
  const start = startOrdinal(set);
  const end = endOrdinal(set);
  const replicas: (Pod | undefined)[] = new Array(Math.max(0, replicasOf(set))).fill(undefined);
  const condemned: Pod[] = [];
  for (const pod of s.pods) {
    const o = ordinalOf(pod);
    if (o >= start && o <= end) replicas[o - start] = pod;
    else if (o >= 0) condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const plan: StsPlan = { actions: [], status: statusOf(s, s.pods) };
  const waitFor = (pod: Pod) => {
    const ms = msUntilAvailable(pod, minReady, s.nowMs);
    if (ms !== undefined && ms > 0) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, ms);
  };
  const unavailable = (p: Pod | undefined) => !p || !isHealthy(p) || !isPodAvailable(p, minReady, s.nowMs);
  // The first unhealthy pod: the lowest unhealthy (or missing) replica, else the lowest
  // unhealthy condemned pod; only that one may be deleted while unhealthy on a scale-down.
  const firstBadReplica = replicas.findIndex((p) => unavailable(p));
  const firstUnhealthy = firstBadReplica >= 0 ? replicas[firstBadReplica] : [...condemned].reverse().find((p) => unavailable(p));

  if (set.metadata?.deletionTimestamp) return plan;

  // Replicas, in ordinal order.
  for (let i = 0; i < replicas.length; i++) {
    let pod = replicas[i];
    if (pod && isPodTerminal(pod) && !isTerminating(pod)) {
      // Failed or evicted pods are recreated whatever their exit code.
      plan.actions.push({ kind: 'delete', pod, reason: pod.status?.phase === 'Failed' ? 'failed' : 'succeeded' });
      pod = undefined;
    }
    if (!pod) {
      const fresh = versionedPod(s, start + i);
      if ([...claimsFor(set, start + i).values()].some((c) => claimIsStale(s.claim(c.metadata?.name ?? ''), set, fresh))) {
        // A claim still belongs to a previous pod of this name and is about to be collected.
        if (monotonic) return plan;
        continue;
      }
      plan.actions.push({ kind: 'create', pod: fresh });
      if (monotonic) return plan;
      continue;
    }
    const claimsOk = [...claimsFor(set, start + i).values()].every((c) => {
      const have = s.claim(c.metadata?.name ?? '');
      return !have || claimOwnerUpToDate(have, set, pod);
    });
    if (pod.status?.phase === 'Pending') {
      const missing = [...claimsFor(set, start + i).values()].some((c) => !s.claim(c.metadata?.name ?? ''));
      if (missing || !claimsOk) plan.actions.push({ kind: 'createClaims', pod });
    }
    if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod))) return plan;
    if (monotonic && !isPodAvailable(pod, minReady, s.nowMs)) {
      waitFor(pod);
      return plan;
    }
    waitFor(pod);
    const fixPod = !identityMatches(set, pod) || !storageMatches(set, pod);
    if (fixPod || (!claimsOk && pod.status?.phase !== 'Pending')) plan.actions.push({ kind: 'update', pod, fixPod });
  }

  // Condemned pods' claims get their scale-down references before any of them is deleted.
  for (const pod of condemned) {
    const ok = [...claimsFor(set, ordinalOf(pod)).values()].every((c) => {
      const have = s.claim(c.metadata?.name ?? '');
      return !have || claimOwnerUpToDate(have, set, pod);
    });
    if (!ok) plan.actions.push({ kind: 'fixClaims', pod });
  }

  // Scale down, highest ordinal first.
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return plan;
      continue;
    }
    if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !isPodAvailable(pod, minReady, s.nowMs))) return plan;
    plan.actions.push({ kind: 'delete', pod, reason: 'scale' });
    if (monotonic) return plan;
  }

  if (set.spec?.updateStrategy?.type === 'OnDelete') return plan;
  const updateMin = partitionOf(set);
  const maxUnavailableSpec = set.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
  const current = plan.status.currentReplicas ?? 0;
  if (maxUnavailableSpec !== undefined && maxUnavailableSpec !== null) {
    // MaxUnavailableStatefulSet: replace up to maxUnavailable pods at once, highest first.
    const maxUnavailable = Math.max(1, scaledValue(maxUnavailableSpec, replicas.length, true));
    const down = replicas.filter((p) => unavailable(p)).length;
    let room = maxUnavailable - down;
    let deleted = 0;
    for (let t = replicas.length - 1; t >= updateMin && room > 0; t--) {
      const pod = replicas[t];
      if (pod && podRevision(pod) !== s.update.name && !isTerminating(pod)) {
        plan.actions.push({ kind: 'delete', pod, reason: 'update' });
        room--;
        deleted++;
      }
    }
    plan.status.currentReplicas = current - deleted;
    return plan;
  }
  for (let t = replicas.length - 1; t >= updateMin; t--) {
    const pod = replicas[t];
    if (!pod) return plan;
    if (podRevision(pod) !== s.update.name && !isTerminating(pod)) {
      plan.actions.push({ kind: 'delete', pod, reason: 'update' });
      plan.status.currentReplicas = current - 1;
      return plan;
    }
    if (!isHealthy(pod)) return plan;
  }
  return plan;
}
