// Deployment arithmetic (upstream's deployment/util): fenceposts of a rolling update, replica
// sums over ReplicaSets, the orders ReplicaSets are scaled in, and the small predicates the
// strategies share. Pure functions; nothing here is mutated.

import type { DeploymentSpec, DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import { scaledValue } from '../../api/intstr.js';
import type { KObject } from '../../apiserver/object.js';
import type { ReplicaSetObj } from '../replicaset/status.js';

export type { ReplicaSetObj };

export type DeploymentObj = KObject & { spec: DeploymentSpec; status?: DeploymentStatus };

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const changeCauseAnnotation = 'kubernetes.io/change-cause';
export const podTemplateHashLabel = 'pod-template-hash';

/**
 * The rolling update's bounds for `desired` replicas: surge rounds up, unavailable rounds down;
 * if both come out 0, unavailable is 1 (otherwise the rollout could never move).
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(d: DeploymentObj): boolean {
  return (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function desiredReplicas(d: DeploymentObj): number {
  return d.spec.replicas ?? 1;
}

/** How many pods above the desired count a rolling update may run (0 for Recreate). */
export function maxSurge(d: DeploymentObj): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredReplicas(d)).surge;
}

/** How many desired pods may be unavailable during a rolling update (0 for Recreate or 0 replicas). */
export function maxUnavailable(d: DeploymentObj): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d) || desired === 0) return 0;
  const ru = d.spec.strategy?.rollingUpdate;
  return Math.min(desired, resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desired).unavailable);
}

export function replicasOf(rs: ReplicaSetObj | undefined): number {
  return rs ? (rs.spec.replicas ?? 1) : 0;
}

/** Sum of spec.replicas. */
export function specReplicas(rss: readonly (ReplicaSetObj | undefined)[]): number {
  return rss.reduce((n, rs) => n + replicasOf(rs), 0);
}

/** Sum of status.replicas (pods that exist). */
export function actualReplicas(rss: readonly (ReplicaSetObj | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

export function readyReplicas(rss: readonly (ReplicaSetObj | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

export function availableReplicas(rss: readonly (ReplicaSetObj | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/** ReplicaSets with spec.replicas > 0. */
export function filterActive(rss: readonly (ReplicaSetObj | undefined)[]): ReplicaSetObj[] {
  return rss.filter((rs): rs is ReplicaSetObj => rs !== undefined && replicasOf(rs) > 0);
}

function created(rs: ReplicaSetObj): number {
  const t = Date.parse(rs.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** Oldest first; ties by name. */
export function byCreation(a: ReplicaSetObj, b: ReplicaSetObj): number {
  return created(a) - created(b) || ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0);
}

/** Larger first; same size: newer first (ReplicaSetsBySizeNewer, for scaling up). */
export function bySizeNewer(a: ReplicaSetObj, b: ReplicaSetObj): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** Larger first; same size: older first (ReplicaSetsBySizeOlder, for scaling down). */
export function bySizeOlder(a: ReplicaSetObj, b: ReplicaSetObj): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** The revision annotation as a number (0 when missing or malformed). */
export function revisionOf(obj: KObject): number {
  const v = obj.metadata.annotations?.[revisionAnnotation];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  return Number(v);
}

export function maxRevision(rss: readonly ReplicaSetObj[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** Lowest revision first; ties oldest first (ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSetObj, b: ReplicaSetObj): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/**
 * The new ReplicaSet already runs `desired` replicas, was sized for exactly that many
 * (desired-replicas annotation) and they are all available.
 */
export function isSaturated(d: DeploymentObj, rs: ReplicaSetObj | undefined): boolean {
  if (!rs) return false;
  const desired = rs.metadata.annotations?.[desiredReplicasAnnotation];
  if (desired === undefined || !/^-?\d+$/.test(desired)) return false;
  const want = desiredReplicas(d);
  return replicasOf(rs) === want && Number(desired) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/**
 * The one ReplicaSet to resize when only one is active (or, none being active, the newest);
 * undefined when several are active (proportional scaling decides then).
 */
export function findActiveOrLatest(newRS: ReplicaSetObj | undefined, oldRSs: readonly ReplicaSetObj[]): ReplicaSetObj | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  return active.length === 1 ? active[0] : undefined;
}

/** Every desired replica is updated, exists and is available, and this generation was observed. */
export function deploymentComplete(d: DeploymentObj, status: DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return (
    (status.updatedReplicas ?? 0) === want &&
    (status.replicas ?? 0) === want &&
    (status.availableReplicas ?? 0) === want &&
    (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** More updated, fewer old, more ready or more available replicas than the last status said. */
export function deploymentProgressing(d: DeploymentObj, next: DeploymentStatus): boolean {
  const old = d.status ?? { replicas: 0 };
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** A progress deadline is set and is not "infinite" (MaxInt32). */
export function hasProgressDeadline(d: DeploymentObj): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== 2147483647;
}
