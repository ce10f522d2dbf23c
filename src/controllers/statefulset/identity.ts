// A StatefulSet pod's identity (upstream's stateful_set_utils): the name `<set>-<ordinal>`, the
// pod-name and pod-index labels, hostname = pod name and subdomain = serviceName, and a volume per
// volumeClaimTemplate bound to the claim `<template>-<set>-<ordinal>`.

import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { newControllerRef } from '../../api/ownerrefs.js';
import { podRevisionLabel } from '../history/revisions.js';

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

export function setName(set: StatefulSet): string {
  return set.metadata?.name ?? '';
}

export function replicasOf(set: StatefulSet): number {
  return set.spec?.replicas ?? 1;
}

/** spec.ordinals.start (0 when unset). */
export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

/** The last ordinal in range (start + replicas - 1; below start when replicas is 0). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${setName(set)}-${ordinal}`;
}

/** The parent name and ordinal a pod name spells (`web-2` → web, 2); ordinal -1 when it does not parse. */
export function parentAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = /^(.*)-([0-9]+)$/.exec(pod.metadata?.name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return Number.isSafeInteger(ordinal) && ordinal <= 2 ** 31 - 1 ? { parent: m[1] as string, ordinal } : { parent: '', ordinal: -1 };
}

export function ordinalOf(pod: Pod): number {
  return parentAndOrdinal(pod).ordinal;
}

/** The pod's name makes it one of the set's members (isMemberOf). */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentAndOrdinal(pod).parent === setName(set);
}

export function inOrdinalRange(set: StatefulSet, pod: Pod): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

export function claimName(templateName: string, set: StatefulSet, ordinal: number): string {
  return `${templateName}-${setName(set)}-${ordinal}`;
}

/** The claims a member needs, by template name (getPersistentVolumeClaims): the selector's labels added. */
export function claimsFor(set: StatefulSet, ordinal: number): Map<string, PersistentVolumeClaim> {
  const out = new Map<string, PersistentVolumeClaim>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const name = t.metadata?.name ?? '';
    const { status: _status, ...rest } = structuredClone(t);
    const labels = { ...(rest.metadata?.labels ?? {}), ...(set.spec?.selector.matchLabels ?? {}) };
    const metadata = { ...(rest.metadata ?? {}), name: claimName(name, set, ordinal), namespace: set.metadata?.namespace ?? '', labels };
    out.set(name, { ...rest, apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata });
  }
  return out;
}

export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod);
  return ordinal >= 0 && parent === setName(set) && pod.metadata?.name === podName(set, ordinal) && pod.metadata?.namespace === set.metadata?.namespace && pod.metadata?.labels?.[podNameLabel] === pod.metadata?.name;
}

export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const name = t.metadata?.name ?? '';
    if (volumes.get(name)?.persistentVolumeClaim?.claimName !== claimName(name, set, ordinal)) return false;
  }
  return true;
}

/** updateIdentity: name, namespace, pod-name and pod-index labels. */
export function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata = pod.metadata ?? {};
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata?.namespace ?? '';
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [podNameLabel]: pod.metadata.name, [podIndexLabel]: String(ordinal) };
}

/** updateStorage: a PVC volume per claim template, replacing template volumes of the same name. */
export function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = claimsFor(set, ordinalOf(pod));
  const volumes: Volume[] = [...claims].map(([name, claim]) => ({ name, persistentVolumeClaim: { claimName: claim.metadata?.name ?? '' } }));
  for (const v of pod.spec?.volumes ?? []) if (!claims.has(v.name)) volumes.push(v);
  if (pod.spec) pod.spec.volumes = volumes;
}

/** newStatefulSetPod at `revision`: the template (of that revision), identity, storage, revision label. */
export function newStatefulSetPod(set: StatefulSet, template: PodTemplateSpec, ordinal: number, revision: string): Pod {
  const t = structuredClone(template);
  const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: set.metadata ?? {} } as KObject;
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podName(set, ordinal),
      namespace: set.metadata?.namespace ?? '',
      labels: { ...(t.metadata?.labels ?? {}) },
      ownerReferences: [newControllerRef(owner)],
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ...(t.metadata?.finalizers ? { finalizers: t.metadata.finalizers } : {}),
    },
    spec: t.spec ?? { containers: [] },
  };
  updateIdentity(set, pod);
  if (pod.spec) {
    pod.spec.hostname = pod.metadata?.name ?? '';
    if (set.spec?.serviceName) pod.spec.subdomain = set.spec.serviceName;
  }
  updateStorage(set, pod);
  (pod.metadata as { labels: Record<string, string> }).labels[podRevisionLabel] = revision;
  return pod;
}

export function podRevision(pod: Pod): string {
  return pod.metadata?.labels?.[podRevisionLabel] ?? '';
}
