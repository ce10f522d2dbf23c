// Controller references (metav1.GetControllerOf, IsControlledBy, NewControllerRef): which
// object manages another. The one implementation shared by every controller and the scheduler.
//
// Structural parameter types, so a kubernetes-types object and a stored object both fit.

import type { OwnerReference } from 'kubernetes-types/meta/v1.js';

/** Anything with (optional) metadata.ownerReferences. */
export interface Owned {
  metadata?: { ownerReferences?: readonly OwnerReference[] };
}

/** metav1.GetControllerOf: the owner reference with `controller: true`, if any. */
export function controllerRefOf(obj: Owned): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.IsControlledBy: `obj`'s controller reference points at `owner` (by uid). */
export function isControlledBy(obj: Owned, owner: { metadata?: { uid?: string } }): boolean {
  const ref = controllerRefOf(obj);
  return ref !== undefined && ref.uid === owner.metadata?.uid;
}

/**
 * metav1.NewControllerRef: the reference a controller puts on what it creates or adopts
 * (controller and blockOwnerDeletion both true). `owner` should carry apiVersion and kind
 * (informer objects and client results do).
 */
export function newControllerRef(owner: { apiVersion?: string; kind?: string; metadata?: { name?: string; uid?: string } }): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? '',
    kind: owner.kind ?? '',
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * resolveControllerRef: the owner `ref` points at, looked up as `namespace/name` in `store`,
 * when the reference is of `kind` (and, given `group`, of an apiVersion in that group) and the
 * cached owner still has the referenced uid (a recreated owner of the same name is another
 * object). Upstream checks the kind only; the Deployment and ReplicaSet controllers also check
 * the group.
 */
export function resolveControllerRef<T extends { metadata?: { uid?: string } }>(
  store: { get(key: string): T | undefined },
  namespace: string | undefined,
  ref: OwnerReference | undefined,
  kind: string,
  group?: string,
): T | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  if (group !== undefined && !ref.apiVersion.startsWith(`${group}/`)) return undefined;
  const owner = store.get(`${namespace ?? ''}/${ref.name}`);
  return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
}
