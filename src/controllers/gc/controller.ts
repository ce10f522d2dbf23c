// The garbage collector: ownerReferences with upstream's three propagation policies.
// - Background: an object all of whose owners are gone is deleted; references to owners that are
//   gone (while another owner remains) are removed.
// - Foreground: an owner being deleted with the `foregroundDeletion` finalizer has its dependents
//   deleted (in foreground too); the finalizer is removed once no dependent is left that
//   blocks the owner's deletion (blockOwnerDeletion).
// - Orphan: an owner being deleted with the `orphan` finalizer has its reference removed from
//   every dependent, then the finalizer removed.
// "Gone" is always confirmed by a live read (never by a lagging cache) before anything is deleted.
// Keys are `<group>/<plural>|<namespace>/<name>`.

import { builtinResources, groupVersion, type ResourceInfo } from '../../api/resources.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import { isApiError } from '../../client/transport.js';
import type { ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';

type OwnerRef = NonNullable<KObject['metadata']['ownerReferences']>[number];

// Events are left out, as upstream's DefaultIgnoredResources: they expire on their own, and
// watching them would cost a delivery per event for nothing.
const collectable = builtinResources.filter((r) => !(r.group === '' && (r.kind === 'Binding' || r.kind === 'Event')) && !r.storage);

export function startGarbageCollector(ctx: ControllerContext): RunningController {
  const { client, signal, onError } = ctx;
  const informers = new Map<ResourceInfo, Informer>();
  for (const r of collectable) {
    // Metadata only: ownerReferences and finalizers are all the collector reads.
    informers.set(r, ctx.informers.informer(r, { metadataOnly: true, indexers: { ownerUid: indexFuncs.ownerUid } }));
  }
  const keyFor = (r: ResourceInfo, objKey: string) => `${r.group}/${r.plural}|${objKey}`;
  const parse = (key: string) => {
    const [res, objKey] = key.split('|') as [string, string];
    const r = collectable.find((x) => `${x.group}/${x.plural}` === res);
    const slash = objKey.indexOf('/');
    return { r, namespace: slash >= 0 ? objKey.slice(0, slash) : undefined, name: slash >= 0 ? objKey.slice(slash + 1) : objKey, objKey };
  };
  const ownerInfo = (ref: OwnerRef) => collectable.find((r) => groupVersion(r) === ref.apiVersion && r.kind === ref.kind);
  const dependentsOf = (uid: string): [ResourceInfo, KObject][] => {
    const out: [ResourceInfo, KObject][] = [];
    for (const [r, inf] of informers) for (const o of inf.store.byIndex('ownerUid', uid)) out.push([r, o]);
    return out;
  };

  /** Whether the owner still exists, by a live read (uid must match: same name, new object is another owner). */
  const ownerExists = async (ref: OwnerRef, namespace: string | undefined, sig: AbortSignal): Promise<boolean> => {
    const r = ownerInfo(ref);
    if (!r) return true; // an owner of a kind we do not serve: leave the dependent alone
    try {
      const owner = await client.get(r, ref.name, r.namespaced ? namespace : undefined, sig);
      return owner.metadata.uid === ref.uid;
    } catch (e) {
      if (isApiError(e, 404)) return false;
      throw e;
    }
  };

  /**
   * Writes one metadata field by merge patch, conditional on the resourceVersion we read: the
   * cached objects hold metadata only, so they can never be PUT back whole.
   */
  const patchMetadata = (r: ResourceInfo, obj: KObject, field: Record<string, unknown>) =>
    client.patch(r, obj.metadata.name ?? '', { metadata: { ...field, resourceVersion: obj.metadata.resourceVersion } }, 'merge', {
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    });
  const removeFinalizer = (r: ResourceInfo, obj: KObject, finalizer: string) =>
    patchMetadata(r, obj, { finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer) });

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const { r, namespace, objKey } = parse(key);
    if (!r) return;
    const obj = informers.get(r)!.store.get(objKey);
    if (!obj) return;
    const uid = obj.metadata.uid ?? '';
    const finalizers = obj.metadata.finalizers ?? [];

    if (obj.metadata.deletionTimestamp && finalizers.includes('orphan')) {
      for (const [dr, dep] of dependentsOf(uid)) {
        const refs = (dep.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
        await patchMetadata(dr, dep, { ownerReferences: refs }).catch(ignoreGone);
      }
      await removeFinalizer(r, obj, 'orphan').catch(ignoreGone);
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion')) {
      let blocking = 0;
      for (const [dr, dep] of dependentsOf(uid)) {
        const ref = (dep.metadata.ownerReferences ?? []).find((o) => o.uid === uid);
        if (ref?.blockOwnerDeletion) blocking++;
        if (!dep.metadata.deletionTimestamp) {
          await client.delete(dr, dep.metadata.name ?? '', { namespace: dep.metadata.namespace, propagationPolicy: 'Foreground' }).catch(ignoreGone);
        }
      }
      // Otherwise each blocking dependent's deletion requeues this owner (see onDelete below).
      if (blocking === 0) await removeFinalizer(r, obj, 'foregroundDeletion').catch(ignoreGone);
      return;
    }

    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp) return;
    const gone: OwnerRef[] = [];
    for (const ref of refs) if (!(await ownerExists(ref, namespace, sig))) gone.push(ref);
    if (gone.length === 0) return;
    if (gone.length === refs.length) {
      await client.delete(r, obj.metadata.name ?? '', { namespace: obj.metadata.namespace, propagationPolicy: 'Background' }).catch(ignoreGone);
    } else {
      const remaining = refs.filter((ref) => !gone.some((g) => g.uid === ref.uid));
      await patchMetadata(r, obj, { ownerReferences: remaining }).catch(ignoreGone);
    }
  };

  const running = runController(
    { name: 'garbage-collector', informers: [...informers.values()], reconcile, workers: 2, onError: (_n, _k, e) => onError(e) },
    signal,
  );
  for (const [r, inf] of informers) {
    const enqueue = (o: KObject) => running.queue.add(keyFor(r, keyOf(o)));
    inf.addHandlers({
      onAdd: enqueue,
      onUpdate: (_old, o) => enqueue(o),
      onDelete: (o) => {
        // Dependents of a deleted object may now be garbage; an owner waiting in foreground may be free.
        for (const [dr, dep] of dependentsOf(o.metadata.uid ?? '')) running.queue.add(keyFor(dr, keyOf(dep)));
        for (const ref of o.metadata.ownerReferences ?? []) {
          const or = ownerInfo(ref);
          if (or) running.queue.add(keyFor(or, or.namespaced && o.metadata.namespace ? `${o.metadata.namespace}/${ref.name}` : ref.name));
        }
      },
    });
  }
  return running;
}

function ignoreGone(e: unknown): void {
  if (isApiError(e, 404) || isApiError(e, 409)) return;
  throw e;
}
