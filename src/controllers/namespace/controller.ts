// Namespace lifecycle, as upstream's namespace controller: a namespace marked for deletion is
// emptied — every namespaced resource deleted by collection through the normal pipeline, so pods
// get their grace period and finalizers hold what they hold — then its `kubernetes` finalizer is
// removed through /finalize, which lets the API server delete it.
//
// While content remains, the namespace's status carries upstream's deletion conditions
// (NamespaceContentRemaining "Some resources are remaining: pods. has 2 resource instances",
// NamespaceFinalizersRemaining, NamespaceDeletionContentFailure), and the key is looked at again
// after `retryMs` (content going away also requeues it through the informer of that resource
// only when someone watches it; a timer is the simple, bounded fallback upstream uses too).
// Keys are namespace names; reconcile is idempotent.

import { builtinResources, type ResourceInfo } from '../../api/resources.js';
import type { KObject } from '../../apiserver/object.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';

type Condition = { type: string; status: 'True' | 'False'; reason: string; message?: string; lastTransitionTime?: string };

const namespaces = resourceOf('', 'Namespace');
/** Namespaced resources with their own storage (events.k8s.io Events are the core ones). */
const content = builtinResources.filter((r) => r.namespaced && !(r.group === '' && r.kind === 'Binding') && !r.storage);

export function startNamespaceController(ctx: ControllerContext, retryMs = 1000): RunningController {
  const { client } = ctx;
  const nsInformer = ctx.informers.informer(namespaces);

  const reconcile = async (name: string, sig: AbortSignal): Promise<void> => {
    const ns = nsInformer.store.get(name);
    if (!ns?.metadata.deletionTimestamp) return;
    const failures: string[] = [];
    const remaining = new Map<string, number>();
    const finalizers = new Map<string, number>();
    for (const r of content) {
      try {
        await client.deleteCollection(r, { namespace: name, signal: sig });
      } catch (e) {
        if (!isApiError(e, 404)) failures.push(`${r.plural}: ${(e as Error).message}`);
      }
      await countRemaining(r, name, sig, remaining, finalizers).catch((e: unknown) => failures.push(`${r.plural}: ${(e as Error).message}`));
    }
    await setConditions(ns, conditionsFor(failures, remaining, finalizers), sig);
    if (failures.length > 0 || remaining.size > 0) {
      running.queue.addAfter(name, retryMs);
      return;
    }
    const specFinalizers = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers) ?? [];
    if (!specFinalizers.includes('kubernetes')) return;
    const fresh = await client.get(namespaces, name, undefined, sig);
    const spec = (fresh.spec ?? {}) as { finalizers?: string[] };
    fresh.spec = { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== 'kubernetes') };
    try {
      await client.updateStatus(namespaces, fresh, sig, 'finalize');
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
    }
  };

  const countRemaining = async (r: ResourceInfo, ns: string, sig: AbortSignal, remaining: Map<string, number>, finalizers: Map<string, number>) => {
    const list = await client.list(r, { namespace: ns, metadataOnly: true, signal: sig });
    if (list.items.length === 0) return;
    // Upstream names resources `<plural>.<group>`, so core ones read `pods.`.
    remaining.set(`${r.plural}.${r.group}`, list.items.length);
    for (const item of list.items) for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
  };

  const setConditions = async (ns: KObject, wanted: Condition[], sig: AbortSignal) => {
    const status = (ns.status ?? {}) as { conditions?: Condition[]; phase?: string };
    const current = status.conditions ?? [];
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    let changed = false;
    const next = wanted.map((w) => {
      const old = current.find((c) => c.type === w.type);
      if (old && old.status === w.status && old.reason === w.reason && old.message === w.message) return old;
      changed = true;
      return { ...w, lastTransitionTime: old && old.status === w.status ? (old.lastTransitionTime ?? now) : now };
    });
    if (!changed) return;
    try {
      await client.updateStatus(namespaces, { ...ns, status: { ...status, conditions: next } }, sig);
    } catch (e) {
      // A newer namespace (409) or a finished one (404): the next pass writes from fresh state.
      if (!isApiError(e, 409) && !isApiError(e, 404)) throw e;
    }
  };

  const running = runController({ name: 'namespace', informers: [nsInformer], reconcile, workers: 2, clock: ctx.clock, onError: (_n, _k, e) => ctx.onError(e) }, ctx.signal);
  const enqueue = (o: KObject) => {
    if (o.metadata.deletionTimestamp) running.queue.add(o.metadata.name ?? '');
  };
  nsInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  return running;
}

/** Upstream's five deletion conditions, each True only while its problem holds. */
export function conditionsFor(failures: string[], remaining: Map<string, number>, finalizers: Map<string, number>): Condition[] {
  const list = (m: Map<string, number>, verb: 'has' | 'in') =>
    [...m.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${verb} ${n} resource instances`)
      .join(', ');
  return [
    { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
    { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
    failures.length > 0
      ? { type: 'NamespaceDeletionContentFailure', status: 'True', reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}` }
      : { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
    remaining.size > 0
      ? { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${list(remaining, 'has')}` }
      : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
    finalizers.size > 0
      ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${list(finalizers, 'in')}` }
      : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
  ];
}
