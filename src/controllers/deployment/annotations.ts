// Which ReplicaSet is the Deployment's "new" one, and the annotations that tie revisions
// together (upstream's deployment/util): the new ReplicaSet gets the Deployment's annotations
// (change-cause included) except the controller's own, the next revision number (a ReplicaSet
// brought back by a rollback keeps its old numbers in revision-history), and the
// desired-replicas / max-replicas it was sized for, which proportional scaling reads back.

import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { canonicalJson } from '../hash.js';
import {
  byCreation,
  desiredReplicas,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  maxSurge,
  podTemplateHashLabel,
  revisionAnnotation,
  revisionHistoryAnnotation,
  type DeploymentObj,
  type ReplicaSetObj,
} from './util.js';

/** Annotations the controller owns; never copied from the Deployment to its ReplicaSets. */
const skipped = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

/** Upstream's limit on the revision-history annotation, in characters. */
const maxRevisionHistoryChars = 2000;

function withoutHash(t: PodTemplateSpec | undefined): unknown {
  const labels = { ...(t?.metadata?.labels ?? {}) };
  delete labels[podTemplateHashLabel];
  return { ...t, metadata: { ...t?.metadata, labels } };
}

/** Templates equal once the pod-template-hash label is ignored (unset and empty are equal). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJson(withoutHash(a), { omitEmpty: true }) === canonicalJson(withoutHash(b), { omitEmpty: true });
}

/** The oldest ReplicaSet whose template is the Deployment's, if any. */
export function findNewReplicaSet(d: DeploymentObj, rss: readonly ReplicaSetObj[]): ReplicaSetObj | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: DeploymentObj, rss: readonly ReplicaSetObj[]): ReplicaSetObj[] {
  const fresh = findNewReplicaSet(d, rss);
  return rss.filter((rs) => rs.metadata.uid !== fresh?.metadata.uid);
}

/** Sets desired-replicas and max-replicas on `annotations`; true when something changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[desiredReplicasAnnotation] !== String(desired)) {
    annotations[desiredReplicasAnnotation] = String(desired);
    changed = true;
  }
  if (annotations[maxReplicasAnnotation] !== String(max)) {
    annotations[maxReplicasAnnotation] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: KObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[desiredReplicasAnnotation] !== String(desired) || a[maxReplicasAnnotation] !== String(max);
}

/**
 * Brings the new ReplicaSet's annotations (a mutable copy) up to date for `newRevision`: copies
 * the Deployment's own annotations, raises the revision (recording the replaced one in
 * revision-history), and, for a ReplicaSet about to be created, the replica annotations.
 * Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: DeploymentObj, annotations: Record<string, string>, newRevision: number, exists: boolean): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipped.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const oldRevision = annotations[revisionAnnotation];
  let oldNumber = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    if (!/^\d+$/.test(oldRevision)) return changed;
    oldNumber = Number(oldRevision);
  }
  if (oldNumber < newRevision) {
    annotations[revisionAnnotation] = String(newRevision);
    changed = true;
    if (oldRevision !== undefined) {
      const history = annotations[revisionHistoryAnnotation] ?? '';
      if (history === '') annotations[revisionHistoryAnnotation] = oldRevision;
      else {
        const entries = history.split(',');
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > maxRevisionHistoryChars && start < entries.length) total -= (entries[start++] as string).length + 1;
        if (total <= maxRevisionHistoryChars) annotations[revisionHistoryAnnotation] = [...entries.slice(start), oldRevision].join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(annotations, desiredReplicas(d), desiredReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}
