// What the Job controller needs to know about one pod (finished, failed, active, terminating,
// its completion index) and how it makes a pod from a Job's template, as upstream does.

import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Container, EnvVar, Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { controllerRefOf, newControllerRef } from '../../api/ownerrefs.js';
import { isPodReady, isPodTerminal } from '../../api/pods.js';
import type { KObject } from '../../apiserver/object.js';

/** Held on every pod the controller creates until its end has been counted in the Job's status. */
export const trackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const completionIndexKey = 'batch.kubernetes.io/job-completion-index';
export const completionIndexEnv = 'JOB_COMPLETION_INDEX';

export const asPod = (o: KObject): Pod => o as Pod;
export const asJob = (o: KObject): Job => o as Job;

export const uidOf = (p: Pod): string => p.metadata?.uid ?? '';
export const hasTrackingFinalizer = (p: Pod): boolean => (p.metadata?.finalizers ?? []).includes(trackingFinalizer);
export const isDeleting = (p: Pod): boolean => !!p.metadata?.deletionTimestamp;
/** Counted in status.terminating: being deleted but not finished yet (status.active counts isPodActive). */
export const isTerminating = (p: Pod): boolean => !isPodTerminal(p) && isDeleting(p);

/**
 * Whether a pod counts as a failure (upstream isPodFailed). A pod being deleted counts at once
 * under podReplacementPolicy TerminatingOrFailed (so orphans never wait for a kubelet); otherwise
 * only once its phase is Failed. A pod on no node that is being deleted will never run, so it
 * counts whatever the policy (upstream's pod GC marks such pods Failed).
 */
export function podFailed(p: Pod, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (p.status?.phase === 'Succeeded' || !isDeleting(p)) return false;
  if (!p.spec?.nodeName) return true;
  return !job.spec?.podFailurePolicy && job.spec?.podReplacementPolicy !== 'Failed';
}

/** The pod's completion index (annotation, else label); undefined when missing or malformed. */
export function completionIndex(p: Pod): number | undefined {
  const v = p.metadata?.annotations?.[completionIndexKey] ?? p.metadata?.labels?.[completionIndexKey];
  return v !== undefined && /^(0|[1-9][0-9]*)$/.test(v) ? Number(v) : undefined;
}

/** Container restarts of a running or pending pod (the OnFailure retries backoffLimit counts). */
export function restarts(p: Pod): number {
  if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') return 0;
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

/**
 * The order in which surplus active pods are deleted: first the ones that cost least to lose
 * (unscheduled, then pending, then not ready, then the newest).
 */
export function removalOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod) => [p.spec?.nodeName ? 1 : 0, p.status?.phase === 'Pending' ? 0 : 1, isPodReady(p) ? 1 : 0];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? '');
}

const maxGenerateNameLength = 58;

export function controllerRef(job: Job): OwnerReference {
  return newControllerRef({ apiVersion: 'batch/v1', kind: 'Job', metadata: job.metadata ?? {} });
}

/** The name and uid of the Job that controls `p`, if any. */
export function controllingJob(p: KObject): { name: string; uid: string } | undefined {
  const ref = controllerRefOf(p);
  return ref && ref.kind === 'Job' && ref.apiVersion === 'batch/v1' ? { name: ref.name, uid: ref.uid } : undefined;
}

/**
 * A new pod of `job` (indexed when `index` is given): the template's labels, annotations and
 * spec, the controller reference and the tracking finalizer. An indexed pod also gets the index
 * as annotation and label, the JOB_COMPLETION_INDEX variable in every container, the hostname
 * `<job>-<index>` and a name `<job>-<index>-<random>`.
 */
export function podFromTemplate(job: Job, index?: number): Pod {
  const name = job.metadata?.name ?? '';
  const tpl = job.spec?.template ?? {};
  const labels = { ...(tpl.metadata?.labels ?? {}) };
  const annotations = { ...(tpl.metadata?.annotations ?? {}) };
  const spec = structuredClone(tpl.spec ?? { containers: [] });
  let generateName = `${name}-`;
  if (generateName.length > maxGenerateNameLength) generateName = `${name.slice(0, maxGenerateNameLength - 1)}-`;
  if (index !== undefined) {
    annotations[completionIndexKey] = String(index);
    labels[completionIndexKey] = String(index);
    const suffix = `-${index}-`;
    generateName = `${name}${suffix}`;
    if (generateName.length > maxGenerateNameLength) generateName = `${name.slice(0, maxGenerateNameLength - suffix.length)}${suffix}`;
    if (!spec.hostname) spec.hostname = `${name}-${index}`.slice(0, 63).replace(/[-.]+$/, '');
    const withIndexEnv = (c: Container): Container => {
      if ((c.env ?? []).some((e) => e.name === completionIndexEnv)) return c;
      const env: EnvVar = { name: completionIndexEnv, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${completionIndexKey}']` } } };
      return { ...c, env: [...(c.env ?? []), env] };
    };
    spec.containers = spec.containers.map(withIndexEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
  }
  const finalizers = [...(tpl.metadata?.finalizers ?? [])];
  if (!finalizers.includes(trackingFinalizer)) finalizers.push(trackingFinalizer);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: job.metadata?.namespace ?? '',
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      finalizers,
      ownerReferences: [controllerRef(job)],
    },
    spec,
  };
}
