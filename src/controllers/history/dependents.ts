// How the DaemonSet and StatefulSet controllers find and watch what they own — their pods and
// ControllerRevisions — as upstream's getPodsFor* and the add/update/delete handlers with
// resolveControllerRef:
// - the candidates of a claim are the objects the owner controls (ownerUid index) plus the
//   namespace's orphans (namespace index); claimObjects (podcontrol/claim.ts) decides the rest;
// - a change to a dependent wakes its controlling owner when that owner (same uid) is cached; an
//   orphan wakes every owner in its namespace whose selector matches it (one of them may adopt
//   it); an object controlled by anything else wakes nobody;
// - an update that changes the controller or the labels also wakes whoever cared about the old
//   version (an owner that must now release it).
// Both informers must have the `namespace` index; the dependents' also `ownerUid`.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { controllerRefOf, resolveControllerRef } from '../../api/ownerrefs.js';
import { labelSelectorFromObject, matchesLabels } from '../../api/selectors/labels.js';
import type { KObject } from '../../apiserver/object.js';
import type { Informer } from '../../client/informer.js';
import { keyOf, type Indexer } from '../../client/indexer.js';
import { jsonEqual } from '../hash.js';

/** What `owner` may claim from `store`: the objects it controls, then the namespace's orphans. */
export function claimCandidates(owner: KObject, store: Pick<Indexer, 'byIndex'>): KObject[] {
  return [...store.byIndex('ownerUid', owner.metadata.uid ?? ''), ...store.byIndex('namespace', owner.metadata.namespace ?? '').filter((o) => !controllerRefOf(o))];
}

export interface DependentsWatch {
  /** The owners' kind, as their controller references name it. */
  kind: string;
  owners: Informer;
  dependents: readonly Informer[];
  /** Queues an owner's `namespace/name` key. */
  enqueue(key: string): void;
}

/** Adds the handlers that wake owners when their dependents change (see the contract above). */
export function watchDependents(w: DependentsWatch): void {
  const ownerKey = (o: KObject): string | undefined => {
    const owner = resolveControllerRef(w.owners.store, o.metadata.namespace, controllerRefOf(o), w.kind);
    return owner ? keyOf(owner) : undefined;
  };
  const enqueueFor = (o: KObject): void => {
    const key = ownerKey(o);
    if (key) return w.enqueue(key);
    if (controllerRefOf(o)) return;
    for (const s of w.owners.store.byIndex('namespace', o.metadata.namespace ?? '')) {
      try {
        const sel = (s.spec as { selector?: LabelSelector } | undefined)?.selector;
        if (matchesLabels(labelSelectorFromObject(sel), o.metadata.labels)) w.enqueue(keyOf(s));
      } catch {
        // An invalid selector selects nothing.
      }
    }
  };
  for (const inf of w.dependents) {
    inf.addHandlers({
      onAdd: enqueueFor,
      onUpdate: (o, n) => {
        if (o.metadata.resourceVersion === n.metadata.resourceVersion) return;
        if (ownerKey(o) !== ownerKey(n) || !jsonEqual(o.metadata.labels, n.metadata.labels)) enqueueFor(o);
        enqueueFor(n);
      },
      onDelete: enqueueFor,
    });
  }
}
