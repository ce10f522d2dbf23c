// persistentVolumeClaimRetentionPolicy through ownerReferences (upstream's StatefulSetAutoDeletePVC,
// GA in 1.32), so the garbage collector does the deleting:
//   whenScaled Retain, whenDeleted Retain: no reference from us;
//   whenScaled Retain, whenDeleted Delete: the set controls the claim;
//   whenScaled Delete, whenDeleted Retain: the pod controls the claim once scaled out of range;
//   whenScaled Delete, whenDeleted Delete: the set controls it in range, the pod once scaled away.
// Claims referencing an older set or pod of the same name (stale uid), or controlled by someone
// else, are left alone.

import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { inOrdinalRange } from './identity.js';

type Owner = { apiVersion: string; kind: string; name: string; uid: string };

function policyOf(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const p = set.spec?.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted ?? 'Retain', whenScaled: p?.whenScaled ?? 'Retain' };
}

function setOwner(set: StatefulSet): Owner {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata?.name ?? '', uid: set.metadata?.uid ?? '' };
}

function podOwner(pod: Pod): Owner {
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
}

const refersTo = (ref: OwnerReference, o: Owner) => ref.apiVersion === o.apiVersion && ref.kind === o.kind && ref.name === o.name;
const refs = (claim: PersistentVolumeClaim) => claim.metadata?.ownerReferences ?? [];
const hasRef = (claim: PersistentVolumeClaim, o: Owner) => o.uid !== '' && refs(claim).some((r) => r.uid === o.uid);

/** A reference to an object of the same kind and name but another uid (a previous incarnation). */
export function hasStaleOwnerRef(claim: PersistentVolumeClaim, o: Owner): boolean {
  const ref = refs(claim).find((r) => refersTo(r, o));
  return ref !== undefined && ref.uid !== o.uid;
}

function hasUnexpectedController(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const p = policyOf(set);
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Retain') return false;
  const s = setOwner(set);
  const po = podOwner(pod);
  for (const r of refs(claim)) {
    if (refersTo(r, s)) {
      if (r.uid !== s.uid) return true;
      continue;
    }
    if (refersTo(r, po)) {
      if (r.uid !== po.uid) return true;
      continue;
    }
    if (r.controller) return true;
  }
  return false;
}

/** Which of set and pod should control the claim under the policy. */
function wanted(set: StatefulSet, pod: Pod): { set: boolean; pod: boolean } {
  const p = policyOf(set);
  const scaledDown = !inOrdinalRange(set, pod);
  if (p.whenScaled === 'Delete' && p.whenDeleted === 'Delete') return { set: !scaledDown, pod: scaledDown };
  if (p.whenScaled === 'Delete' && p.whenDeleted === 'Retain') return { set: false, pod: scaledDown };
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Delete') return { set: true, pod: false };
  return { set: false, pod: false };
}

/** isClaimOwnerUpToDate. */
export function claimOwnerUpToDate(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): boolean {
  const s = setOwner(set);
  const po = podOwner(pod);
  if (hasStaleOwnerRef(claim, s) || hasStaleOwnerRef(claim, po)) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasRef(claim, s) || hasRef(claim, po));
  if (refs(claim).some((r) => (r.uid === s.uid || (po.uid !== '' && r.uid === po.uid)) && !r.controller)) return false;
  const w = wanted(set, pod);
  return hasRef(claim, s) === w.set && hasRef(claim, po) === w.pod;
}

/** updateClaimOwnerRefForSetAndPod: the claim's references with ours rewritten for the policy. */
export function claimOwnerRefs(claim: PersistentVolumeClaim, set: StatefulSet, pod: Pod): OwnerReference[] {
  const s = setOwner(set);
  const po = podOwner(pod);
  const unexpected = hasUnexpectedController(claim, set, pod);
  const out = refs(claim).filter((r) => !refersTo(r, s) && !refersTo(r, po));
  if (unexpected) return out;
  const w = wanted(set, pod);
  const add = (o: Owner) => {
    if (o.uid !== '' && !out.some((r) => r.uid === o.uid)) out.push({ ...o, controller: true, blockOwnerDeletion: true });
  };
  if (w.set) add(s);
  if (w.pod) add(po);
  return out;
}

/**
 * PodClaimIsStale: with whenScaled Delete, an existing claim still referencing an earlier pod of
 * the same name is about to be collected; the new pod must wait rather than bind to it.
 */
export function claimIsStale(claim: PersistentVolumeClaim | undefined, set: StatefulSet, pod: Pod): boolean {
  if (!claim || policyOf(set).whenScaled === 'Retain') return false;
  return hasStaleOwnerRef(claim, podOwner(pod));
}
