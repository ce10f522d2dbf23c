// Pod state as every controller and the scheduler judge it (upstream's pkg/api/v1/pod and
// pkg/controller helpers): finished, active, ready and available. The one implementation shared
// by the workload controllers, the disruption and endpoint controllers and the eviction
// subresource.
//
// Contract: pure functions of their arguments; nothing passed in is mutated. Times are
// milliseconds since the epoch: pass the caller's clock, never Date.now() inside a test.

import type { PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';

/** What these predicates read of a pod: a kubernetes-types Pod and a stored object both fit. */
export interface PodLike {
  metadata?: { deletionTimestamp?: string };
  status?: PodStatus;
}

/** Finished for good (IsPodTerminal): phase Succeeded or Failed; its containers never run again. */
export function isPodTerminal(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** controller.IsPodActive: not finished and not being deleted; a pod a controller counts as a replica. */
export function isPodActive(pod: PodLike): boolean {
  return !isPodTerminal(pod) && !pod.metadata?.deletionTimestamp;
}

/** The pod's first condition of `type` (GetPodCondition). */
export function podCondition(pod: PodLike, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: PodLike): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** When the pod last became ready (ms), or undefined when it is not ready or the time is unknown. */
export function podReadySince(pod: PodLike): number | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * podutil.IsPodAvailable: ready, and (with minReadySeconds > 0) ready for strictly longer than
 * minReadySeconds at `nowMs` (upstream: lastTransitionTime + minReadySeconds is Before now).
 */
export function isPodAvailable(pod: PodLike, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/**
 * Milliseconds until a ready pod becomes available: 0 if it already is, undefined if it is not
 * ready; otherwise at least 1, and enough that `isPodAvailable` holds at `nowMs` plus the result.
 */
export function msUntilAvailable(pod: PodLike, minReadySeconds: number, nowMs: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (isPodAvailable(pod, minReadySeconds, nowMs)) return 0;
  const since = podReadySince(pod) ?? nowMs;
  return Math.max(1, since + minReadySeconds * 1000 - nowMs + 1);
}
