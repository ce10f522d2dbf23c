// Pod and ownership predicates every workload controller shares (upstream's podutil and
// controller helpers): which pods count as active, ready and available, and who controls what.
//
// Contract: pure functions of their arguments; objects from informer caches are never mutated.
// Times are milliseconds since the epoch (pass the controller's clock, never Date.now() in tests).

import type { PodSpec, PodStatus, PodCondition } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../apiserver/object.js';

/** A stored pod: metadata is always there; spec and status as the API server keeps them. */
export type PodObj = KObject & { spec?: PodSpec; status?: PodStatus };

/** `namespace/name`: the key informers, queues and expectations use. */
export function objectKey(obj: KObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

/** The managing controller's reference (the one with `controller: true`), if any. */
export function controllerRefOf(obj: KObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.IsControlledBy: `obj`'s controller reference points at `owner` (by uid). */
export function isControlledBy(obj: KObject, owner: KObject): boolean {
  const ref = controllerRefOf(obj);
  return ref !== undefined && ref.uid === owner.metadata.uid;
}

/**
 * metav1.NewControllerRef: the reference a controller puts on what it creates or adopts.
 * `owner` must carry apiVersion and kind (informer objects and client results do).
 */
export function newControllerRef(owner: KObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Not terminating and not finished (Succeeded/Failed): a pod a controller counts as a replica. */
export function isPodActive(pod: PodObj): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** Finished for good: phase Succeeded or Failed. */
export function isPodTerminal(pod: PodObj): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podCondition(pod: PodObj, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** The Ready condition is True. */
export function isPodReady(pod: PodObj): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** When the pod last became ready (ms), or undefined when not ready or unknown. */
export function podReadySince(pod: PodObj): number | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const t = Date.parse(c.lastTransitionTime);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * podutil.IsPodAvailable: ready, and (with minReadySeconds > 0) ready for strictly longer than
 * minReadySeconds at `nowMs`.
 */
export function isPodAvailable(pod: PodObj, minReadySeconds: number, nowMs: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = podReadySince(pod);
  return since !== undefined && since + minReadySeconds * 1000 < nowMs;
}

/** Milliseconds until a ready pod becomes available (0 if it already is; undefined if not ready). */
export function msUntilAvailable(pod: PodObj, minReadySeconds: number, nowMs: number): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (isPodAvailable(pod, minReadySeconds, nowMs)) return 0;
  const since = podReadySince(pod) ?? nowMs;
  return Math.max(1, since + minReadySeconds * 1000 - nowMs + 1);
}
