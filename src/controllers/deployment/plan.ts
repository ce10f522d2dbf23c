// What a pass of the Deployment controller resizes, as plans of steps (upstream's rolling,
// recreate and proportional-scaling arithmetic, without the writes). The controller applies the
// steps in order, each to the latest copy of its ReplicaSet, and stops at the first failure.
//
// Rolling update invariants (desired = d.spec.replicas):
// - scale-up never takes the sum of spec.replicas over all ReplicaSets above desired + maxSurge;
// - scale-down never takes the available pods below desired - maxUnavailable (except for pods of
//   old ReplicaSets that are not available anyway: removing those costs nothing).

import {
  availableReplicas,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  desiredReplicas,
  filterActive,
  findActiveOrLatest,
  isRollingUpdate,
  isSaturated,
  maxReplicasAnnotation,
  maxSurge,
  maxUnavailable,
  replicasOf,
  specReplicas,
  type DeploymentObj,
  type ReplicaSetObj,
} from './util.js';

export interface ScaleStep {
  rs: ReplicaSetObj;
  to: number;
  /**
   * Proportional scaling writes every active ReplicaSet (to refresh its replica annotations)
   * even when the size stays; `operation` is the word its event uses.
   */
  always?: { operation: 'up' | 'down' | '' };
}

/** NewRSNewReplicas: the new ReplicaSet's size this pass (Recreate: desired at once). */
export function newRSNewReplicas(d: DeploymentObj, allRSs: readonly (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const maxTotal = desired + maxSurge(d);
  const current = specReplicas(allRSs);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, desired - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

/** reconcileNewReplicaSet: shrink a new ReplicaSet above desired, else grow it within the surge. */
export function planNewReplicaSet(d: DeploymentObj, allRSs: readonly (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj): ScaleStep[] {
  const desired = desiredReplicas(d);
  const cur = replicasOf(newRS);
  if (cur === desired) return [];
  if (cur > desired) return [{ rs: newRS, to: desired }];
  const to = newRSNewReplicas(d, allRSs, newRS);
  return to === cur ? [] : [{ rs: newRS, to }];
}

/**
 * reconcileOldReplicaSets: first remove old replicas that are not available (oldest ReplicaSet
 * first, at most maxScaledDown), then scale old ReplicaSets down by as many available pods as
 * exceed desired - maxUnavailable. `oldRSs` are the active old ReplicaSets.
 */
export function planOldReplicaSets(d: DeploymentObj, oldRSs: readonly ReplicaSetObj[], newRS: ReplicaSetObj): ScaleStep[] {
  const oldCount = specReplicas(oldRSs);
  if (oldCount === 0) return [];
  const all = [...oldRSs, newRS];
  const minAvailable = desiredReplicas(d) - maxUnavailable(d);
  const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return [];
  const steps: ScaleStep[] = [];
  // The sizes after each step, by uid, as the next step sees them.
  const size = new Map(oldRSs.map((rs) => [rs.metadata.uid ?? '', replicasOf(rs)]));
  const sorted = [...oldRSs].sort(byCreation);
  let cleaned = 0;
  for (const rs of sorted) {
    if (cleaned >= maxScaledDown) break;
    const cur = size.get(rs.metadata.uid ?? '') ?? 0;
    const avail = rs.status?.availableReplicas ?? 0;
    if (cur === 0 || cur === avail) continue;
    const n = Math.min(maxScaledDown - cleaned, cur - avail);
    if (n <= 0) continue;
    steps.push({ rs, to: cur - n });
    size.set(rs.metadata.uid ?? '', cur - n);
    cleaned += n;
  }
  // scaleDownOldReplicaSetsForRollingUpdate: availability comes from status, unchanged by cleanup.
  const available = availableReplicas(all);
  if (available > minAvailable) {
    const total = available - minAvailable;
    let done = 0;
    for (const rs of sorted) {
      if (done >= total) break;
      const cur = size.get(rs.metadata.uid ?? '') ?? 0;
      if (cur === 0) continue;
      const n = Math.min(cur, total - done);
      steps.push({ rs, to: cur - n });
      size.set(rs.metadata.uid ?? '', cur - n);
      done += n;
    }
  }
  return steps;
}

/** getReplicaSetFraction: this ReplicaSet's share of a resize, by the max-replicas it was sized for. */
function fraction(rs: ReplicaSetObj, d: DeploymentObj): number {
  const desired = desiredReplicas(d);
  if (desired === 0) return -replicasOf(rs);
  const maxNow = desired + maxSurge(d);
  const annotated = rs.metadata.annotations?.[maxReplicasAnnotation];
  let before = annotated !== undefined && /^\d+$/.test(annotated) ? Number(annotated) : 0;
  // Without the annotation (e.g. a ReplicaSet resized by hand) fall back to the current size.
  if (before === 0) before = d.status?.replicas ?? 0;
  if (before === 0) return 0;
  return roundHalfAway((replicasOf(rs) * maxNow) / before) - replicasOf(rs);
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * scale: the Deployment's replica count changed (or it is paused). One active ReplicaSet (or
 * none: the newest) takes the full count; a saturated new ReplicaSet leaves the old ones at 0;
 * otherwise, for rolling updates, the difference to desired + maxSurge is shared among the
 * active ReplicaSets in proportion to their size, leftovers to the largest.
 */
export function planScale(d: DeploymentObj, newRS: ReplicaSetObj | undefined, oldRSs: readonly ReplicaSetObj[]): ScaleStep[] {
  const desired = desiredReplicas(d);
  const one = findActiveOrLatest(newRS, oldRSs);
  if (one) return replicasOf(one) === desired ? [] : [{ rs: one, to: desired }];
  if (isSaturated(d, newRS)) return filterActive(oldRSs).map((rs) => ({ rs, to: 0 }));
  if (!isRollingUpdate(d)) return [];
  const active = filterActive([...oldRSs, newRS]);
  const allowed = desired > 0 ? desired + maxSurge(d) : 0;
  const toAdd = allowed - specReplicas(active);
  let operation: 'up' | 'down' | '' = '';
  if (toAdd > 0) {
    active.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    active.sort(bySizeOlder);
    operation = 'down';
  }
  const sizes = new Map<ReplicaSetObj, number>();
  let added = 0;
  for (const rs of active) {
    let p = 0;
    if (toAdd !== 0 && replicasOf(rs) !== 0 && toAdd !== added) {
      const f = fraction(rs, d);
      const left = toAdd - added;
      p = toAdd > 0 ? Math.min(f, left) : Math.max(f, left);
    }
    sizes.set(rs, replicasOf(rs) + p);
    added += p;
  }
  return active.map((rs, i) => {
    let to = sizes.get(rs) ?? 0;
    if (i === 0 && toAdd !== 0) to = Math.max(0, to + toAdd - added);
    return { rs, to, always: { operation } };
  });
}

/** Recreate: every active old ReplicaSet to 0. */
export function planRecreateScaleDown(oldRSs: readonly ReplicaSetObj[]): ScaleStep[] {
  return filterActive(oldRSs).map((rs) => ({ rs, to: 0 }));
}

/**
 * cleanupDeployment: the old ReplicaSets beyond revisionHistoryLimit to delete, lowest revision
 * first, skipping any that still have (or may still have) pods or are already being deleted.
 */
export function planCleanup(d: DeploymentObj, oldRSs: readonly ReplicaSetObj[]): ReplicaSetObj[] {
  const limit = d.spec.revisionHistoryLimit;
  if (limit === undefined || limit === null) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  return [...alive]
    .sort(byRevision)
    .slice(0, diff)
    .filter((rs) => (rs.status?.replicas ?? 0) === 0 && replicasOf(rs) === 0 && (rs.metadata.generation ?? 0) <= (rs.status?.observedGeneration ?? 0));
}
