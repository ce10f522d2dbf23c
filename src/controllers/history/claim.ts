// Adoption and release of dependents by a controller (upstream's ControllerRefManager), shared by
// the DaemonSet and StatefulSet controllers for their pods and ControllerRevisions:
// - an object controlled by the owner (same uid) stays claimed while the selector matches it; one
//   that no longer matches is released (its controller reference removed) unless the owner is
//   being deleted;
// - an orphan (no controller reference) that the selector matches is adopted, but only if a live
//   read confirms the owner still exists with the same uid and is not being deleted (so a stale
//   cache never adopts into a dead owner);
// - objects controlled by someone else, and orphans being deleted, are left alone.
// Writes are merge patches of metadata.ownerReferences conditional on the resourceVersion read, so
// a concurrent change makes the patch fail (409) and the reconcile retry; 404 means it is gone.

import type { ResourceInfo } from '../../api/resources.js';
import { matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import type { KObject } from '../../apiserver/object.js';
import type { Client } from '../../client/client.js';
import { isApiError } from '../../client/transport.js';
import { controllerOf, controllerRef } from './revisions.js';

export interface ClaimOptions {
  client: Client;
  owner: KObject;
  /** The resource of the dependents. */
  resource: ResourceInfo;
  selector: LabelSelector;
  /** A further condition an object must meet to be claimed (StatefulSets: its name is a member's). */
  filter?(obj: KObject): boolean;
  /** Live check that the owner may adopt (exists with the same uid, not being deleted). */
  canAdopt(): Promise<boolean>;
}

/** The objects the owner controls after adopting and releasing. */
export async function claimObjects<T extends KObject>(objs: readonly T[], opts: ClaimOptions): Promise<T[]> {
  const { owner, selector } = opts;
  const uid = owner.metadata.uid ?? '';
  const ownerDeleting = Boolean(owner.metadata.deletionTimestamp);
  const matches = (obj: KObject) => matchesLabels(selector, obj.metadata.labels) && (opts.filter?.(obj) ?? true);
  const claimed: T[] = [];
  let adoptable: boolean | undefined;
  for (const obj of objs) {
    const ref = controllerOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches(obj) || ownerDeleting) {
        claimed.push(obj);
        continue;
      }
      if (obj.metadata.deletionTimestamp) continue;
      await patchRefs(opts, obj, (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid));
      continue;
    }
    if (ownerDeleting || obj.metadata.deletionTimestamp || !matches(obj)) continue;
    adoptable ??= await opts.canAdopt();
    if (!adoptable) continue;
    const adopted = await patchRefs(opts, obj, [...(obj.metadata.ownerReferences ?? []), controllerRef(owner)]);
    if (adopted) claimed.push(adopted as T);
  }
  return claimed;
}

async function patchRefs(opts: ClaimOptions, obj: KObject, refs: NonNullable<KObject['metadata']['ownerReferences']>): Promise<KObject | undefined> {
  try {
    return await opts.client.patch(opts.resource, obj.metadata.name ?? '', { metadata: { ownerReferences: refs, resourceVersion: obj.metadata.resourceVersion } }, 'merge', {
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    });
  } catch (e) {
    if (isApiError(e, 404)) return undefined;
    throw e;
  }
}

/** A canAdopt for `claimObjects`: a live read of the owner, as upstream's RecheckDeletionTimestamp. */
export function liveOwnerCheck(client: Client, resource: ResourceInfo, owner: KObject): () => Promise<boolean> {
  return async () => {
    try {
      const fresh = await client.get(resource, owner.metadata.name ?? '', owner.metadata.namespace);
      return fresh.metadata.uid === owner.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (e) {
      if (isApiError(e, 404)) return false;
      throw e;
    }
  };
}
