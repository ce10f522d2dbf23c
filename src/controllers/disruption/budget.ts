// The arithmetic of a PodDisruptionBudget, shared by the disruption controller (which computes a
// budget's status) and the eviction subresource (which spends it). Pure functions of their
// arguments: no client, no clock of their own.
//
// Upstream's rules (pkg/controller/disruption, component-helpers/apps/poddisruptionbudget):
// - minAvailable as an integer: expectedPods is the number of matching pods and desiredHealthy is
//   the integer; no controller needs to be looked up.
// - minAvailable as a percentage, or maxUnavailable in either form: expectedPods is the summed
//   scale of the pods' controllers, and the percentage is of that, rounded up.
// - disruptionsAllowed = currentHealthy - desiredHealthy, never below 0, and 0 while no pod is
//   expected (so a budget whose first pods just appeared starts out safe).

import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudgetSpec, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { scaledValue } from '../../api/intstr.js';
import { isPodReady } from '../../api/pods.js';

/** How long an eviction's entry in status.disruptedPods is honoured (upstream's DeletionTimeout). */
export const deletionTimeoutMs = 2 * 60_000;

/** Whether the budget's desired count depends on the scale of the pods' controllers. */
export function needsControllerScale(spec: PodDisruptionBudgetSpec | undefined): boolean {
  if (spec?.maxUnavailable !== undefined && spec.maxUnavailable !== null) return true;
  return typeof spec?.minAvailable === 'string';
}

/**
 * desiredHealthy from the spec and the expected pod count (the matching pods' count for an
 * integer minAvailable, else the controllers' summed scale). A spec with neither field wants 0.
 */
export function desiredHealthyFor(spec: PodDisruptionBudgetSpec | undefined, expectedPods: number): number {
  if (spec?.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    return Math.max(0, expectedPods - scaledValue(spec.maxUnavailable, expectedPods, true));
  }
  if (spec?.minAvailable !== undefined && spec.minAvailable !== null) return scaledValue(spec.minAvailable, expectedPods, true);
  return 0;
}

export function disruptionsAllowedFor(currentHealthy: number, desiredHealthy: number, expectedPods: number): number {
  const allowed = currentHealthy - desiredHealthy;
  return expectedPods <= 0 || allowed <= 0 ? 0 : allowed;
}

/** Re-exported for the eviction subresource, which imports it from here. */
export { isPodReady };

/** Pods that count as healthy: ready, not being deleted, not disrupted by a recent eviction. */
export function countHealthy(pods: readonly Pod[], disrupted: Record<string, string>, nowMs: number): number {
  let n = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[pod.metadata?.name ?? ''];
    if (at !== undefined && Date.parse(at) + deletionTimeoutMs > nowMs) continue;
    if (isPodReady(pod)) n++;
  }
  return n;
}

export interface DisruptedPodMap {
  /** The entries still honoured: pods that exist, are not yet being deleted and are within the timeout. */
  kept: Record<string, string>;
  /** When the earliest kept entry expires (ms since the epoch), if any is kept. */
  recheckAtMs?: number;
  /** Pods an eviction approved that were not deleted within the timeout. */
  expired: Pod[];
}

/**
 * Rebuilds status.disruptedPods: entries of pods that are gone or already being deleted are
 * dropped (the deletion is visible now), as are entries older than the deletion timeout.
 */
export function pruneDisruptedPods(pods: readonly Pod[], disrupted: Record<string, string> | undefined, nowMs: number): DisruptedPodMap {
  const out: DisruptedPodMap = { kept: {}, expired: [] };
  if (!disrupted) return out;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disrupted[name];
    if (at === undefined) continue;
    const expires = Date.parse(at) + deletionTimeoutMs;
    if (!(expires > nowMs)) {
      out.expired.push(pod);
      continue;
    }
    out.kept[name] = at;
    if (out.recheckAtMs === undefined || expires < out.recheckAtMs) out.recheckAtMs = expires;
  }
  return out;
}

export const disruptionAllowedCondition = 'DisruptionAllowed';

/**
 * apimeta.SetStatusCondition: adds or updates the condition of the same type; the transition
 * time changes only when the status does.
 */
export function setCondition(conditions: Condition[], c: Omit<Condition, 'lastTransitionTime'>, now: string): Condition[] {
  const out = conditions.map((x) => ({ ...x }));
  const have = out.find((x) => x.type === c.type);
  if (!have) {
    out.push({ ...c, lastTransitionTime: now });
    return out;
  }
  if (have.status !== c.status) {
    have.status = c.status;
    have.lastTransitionTime = now;
  }
  have.reason = c.reason;
  have.message = c.message;
  if (c.observedGeneration !== undefined) have.observedGeneration = c.observedGeneration;
  return out;
}

/** pdbhelper.UpdateDisruptionAllowedCondition: SufficientPods while disruptions are allowed, else InsufficientPods. */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, now: string): PodDisruptionBudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  const conditions = setCondition(
    (status.conditions ?? []) as Condition[],
    {
      type: disruptionAllowedCondition,
      status: allowed ? 'True' : 'False',
      reason: allowed ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      ...(status.observedGeneration !== undefined ? { observedGeneration: status.observedGeneration } : {}),
    },
    now,
  );
  return { ...status, conditions };
}

/** pdbhelper.ConditionsAreUpToDate. */
export function conditionsUpToDate(status: PodDisruptionBudgetStatus | undefined, generation: number): boolean {
  const c = status?.conditions?.find((x) => x.type === disruptionAllowedCondition);
  if (!c || !status || (status.observedGeneration ?? 0) !== generation) return false;
  return status.disruptionsAllowed > 0 ? c.status === 'True' && c.reason === 'SufficientPods' : c.status === 'False' && c.reason === 'InsufficientPods';
}
