// Ownership by selector (upstream's ControllerRefManager): a controller manages exactly the
// objects that carry its controller reference *and* match its selector.
// - An orphan (no controller reference) that matches is adopted: the owner's reference is added
//   with controller: true and blockOwnerDeletion: true — unless the owner or the orphan is being
//   deleted, and only after a live read confirms the owner still exists with the same uid and is
//   not being deleted (a cache may lag; adopting for a dead owner would leak the object to the GC).
// - An owned object that no longer matches is released: the reference is removed — unless the
//   owner is being deleted (then the GC decides).
// - Objects controlled by someone else are left alone.
// Writes are merge patches of metadata.ownerReferences conditional on the resourceVersion read,
// so a concurrent change fails with 409 and the caller's reconcile is retried. An object that is
// gone (404) is simply not claimed.

import type { ResourceInfo } from '../../api/resources.js';
import { matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import type { KObject } from '../../apiserver/object.js';
import type { Client } from '../../client/client.js';
import { isApiError } from '../../client/transport.js';
import { controllerRefOf, newControllerRef } from '../../api/ownerrefs.js';

export interface ClaimOptions {
  client: Client;
  owner: KObject;
  /** The owner's own resource (for the live re-read before adopting). */
  ownerResource: ResourceInfo;
  /** The claimed objects' resource (for the adopt/release patches). */
  resource: ResourceInfo;
  selector: LabelSelector;
  /** A further condition an object must meet to match (StatefulSets: its name is a member's), as upstream's ClaimPods filters. */
  filter?(obj: KObject): boolean;
  signal?: AbortSignal;
}

/** Rejects unless a live read shows `owner` (same uid) exists and is not being deleted. */
export async function confirmOwnerAlive(client: Client, ownerResource: ResourceInfo, owner: KObject, signal?: AbortSignal): Promise<void> {
  const { name, namespace, uid } = owner.metadata;
  const fresh = await client.get(ownerResource, name ?? '', namespace, signal);
  if (fresh.metadata.uid !== uid) throw new Error(`original ${owner.kind} ${namespace}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
  if (fresh.metadata.deletionTimestamp) throw new Error(`${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
}

function patchRefs(opts: ClaimOptions, obj: KObject, refs: NonNullable<KObject['metadata']['ownerReferences']>): Promise<KObject> {
  return opts.client.patch(opts.resource, obj.metadata.name ?? '', { metadata: { ownerReferences: refs, resourceVersion: obj.metadata.resourceVersion } }, 'merge', {
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/**
 * The objects among `candidates` that `owner` controls after adopting and releasing. Every
 * candidate is tried; if any write failed, the first error is thrown after the rest are done.
 * Adopted objects are returned as the server answered them.
 */
export async function claimObjects<T extends KObject>(candidates: readonly T[], opts: ClaimOptions): Promise<T[]> {
  const { owner, selector } = opts;
  const uid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  let firstError: unknown;
  let alive: Promise<void> | undefined;
  for (const obj of candidates) {
    const ref = controllerRefOf(obj);
    const matches = matchesLabels(selector, obj.metadata.labels) && (opts.filter?.(obj) ?? true);
    try {
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches) claimed.push(obj);
        else if (!ownerDeleting) await patchRefs(opts, obj, (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid)).catch(ignoreNotFound);
        continue;
      }
      if (!matches || ownerDeleting || obj.metadata.deletionTimestamp) continue;
      if (owner.metadata.namespace && obj.metadata.namespace !== owner.metadata.namespace) continue;
      alive ??= confirmOwnerAlive(opts.client, opts.ownerResource, owner, opts.signal);
      await alive;
      const refs = [...(obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid), newControllerRef(owner)];
      const adopted = await patchRefs(opts, obj, refs).catch(ignoreNotFound);
      if (adopted) claimed.push(adopted as T);
    } catch (e) {
      firstError ??= e;
    }
  }
  if (firstError !== undefined) throw firstError;
  return claimed;
}

function ignoreNotFound(e: unknown): undefined {
  if (isApiError(e, 404)) return undefined;
  throw e;
}
