// A Deployment's status from its ReplicaSets, and its conditions (upstream's calculateStatus,
// syncRolloutStatus and deployment conditions):
// - Available: True/MinimumReplicasAvailable when at least replicas - maxUnavailable pods are
//   available, else False/MinimumReplicasUnavailable.
// - Progressing (only with a progress deadline): True/NewReplicaSetCreated|FoundNewReplicaSet
//   when the rollout starts, True/ReplicaSetUpdated whenever it moves, True/NewReplicaSetAvailable
//   when complete, False/ProgressDeadlineExceeded when it did not move for
//   progressDeadlineSeconds; Unknown/DeploymentPaused|DeploymentResumed around a pause.
// - ReplicaFailure: copied from the new (else any) ReplicaSet's ReplicaFailure condition.
// Pure: `now` is passed in (ms).

import type { DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import {
  actualReplicas,
  availableReplicas,
  deploymentComplete,
  deploymentProgressing,
  desiredReplicas,
  hasProgressDeadline,
  maxUnavailable,
  readyReplicas,
  specReplicas,
  type DeploymentObj,
  type ReplicaSetObj,
} from './util.js';

export const reasons = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  failedRSCreate: 'ReplicaSetCreateError',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
} as const;

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: number): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition: same status and reason → unchanged; same status → keep the
 * lastTransitionTime; the condition moves to the end of the list.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  const next = cur && cur.status === cond.status ? { ...cond, lastTransitionTime: cur.lastTransitionTime } : cond;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  if (rest.length) status.conditions = rest;
  else delete status.conditions;
}

/** Counts from the ReplicaSets plus the Available condition; other conditions carried over. */
export function calculateStatus(allRSs: readonly (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined, d: DeploymentObj, now: number): DeploymentStatus {
  const available = availableReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, specReplicas(allRSs) - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', reasons.minAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', reasons.minUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** The Progressing condition's deadline passed without progress (never after NewReplicaSetAvailable). */
export function deploymentTimedOut(d: DeploymentObj, status: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(status, 'Progressing');
  if (!c) return false;
  if (c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  return !Number.isNaN(from) && from + (d.spec.progressDeadlineSeconds ?? 0) * 1000 < now;
}

/**
 * The status a rolling or recreate pass should write (syncRolloutStatus), and when to look
 * again if nothing changed and the rollout might time out (`requeueAfterMs`, 0 = soon).
 */
export function rolloutStatus(allRSs: readonly (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined, d: DeploymentObj, now: number): { status: DeploymentStatus; requeueAfterMs?: number } {
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
  const current = getCondition(d.status, 'Progressing');
  const complete = status.replicas === status.updatedReplicas && current?.reason === reasons.newRSAvailable;
  const name = newRS?.metadata.name;
  if (hasProgressDeadline(d) && !complete) {
    if (deploymentComplete(d, status)) {
      const msg = name ? `ReplicaSet "${name}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
      setCondition(status, newCondition('Progressing', 'True', reasons.newRSAvailable, msg, now));
    } else if (deploymentProgressing(d, status)) {
      const msg = name ? `ReplicaSet "${name}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
      const cond = newCondition('Progressing', 'True', reasons.rsUpdated, msg, now);
      // Progress refreshes lastUpdateTime even when the reason stays the same.
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(status, 'Progressing');
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      const msg = name ? `ReplicaSet "${name}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(status, newCondition('Progressing', 'False', reasons.timedOut, msg, now));
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, 'ReplicaFailure');
  if (!statusEqual(d.status, status)) return { status };
  // Unchanged: if the rollout is still running, come back when its deadline would pass.
  if (!hasProgressDeadline(d) || !current || deploymentComplete(d, status) || current.reason === reasons.timedOut) return { status };
  const due = Date.parse(current.lastUpdateTime ?? '') + (d.spec.progressDeadlineSeconds ?? 0) * 1000 - now;
  return { status, requeueAfterMs: Number.isNaN(due) || due < 1000 ? 0 : due + 1000 };
}

function replicaFailure(allRSs: readonly (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined): DeploymentCondition | undefined {
  for (const rs of [newRS, ...allRSs]) {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) return { type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}

/** Deep equality of two statuses (absent lists and zero counts as written by calculateStatus). */
export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));
}

function normalize(s: DeploymentStatus): unknown {
  return {
    observedGeneration: s.observedGeneration ?? 0,
    replicas: s.replicas ?? 0,
    updatedReplicas: s.updatedReplicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    unavailableReplicas: s.unavailableReplicas ?? 0,
    collisionCount: s.collisionCount ?? null,
    conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.lastUpdateTime ?? '', c.lastTransitionTime ?? '', c.reason ?? '', c.message ?? '']),
  };
}
