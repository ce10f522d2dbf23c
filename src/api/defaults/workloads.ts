// apps/v1 and batch/v1 defaults (SetDefaults_Deployment, _ReplicaSet, _StatefulSet, _DaemonSet,
// _Job, _CronJob), with their pod templates defaulted like pods' specs. Also the Job strategy's
// generated selector, which needs metadata.uid (the API server sets it before defaulting).

import { defaultPodTemplateSpec } from './pods.js';
import { defaultPVCSpec } from './storage.js';
import { defPtr, defStr, ensure, isObj, maybe, objects, type Obj } from './util.js';

export function defaultDeployment(d: Obj): void {
  const spec = ensure(d, 'spec');
  defPtr(spec, 'replicas', 1);
  const strategy = ensure(spec, 'strategy');
  defStr(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensure(strategy, 'rollingUpdate');
    defPtr(ru, 'maxUnavailable', '25%');
    defPtr(ru, 'maxSurge', '25%');
  }
  defPtr(spec, 'revisionHistoryLimit', 10);
  defPtr(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

export function defaultReplicaSet(rs: Obj): void {
  const spec = ensure(rs, 'spec');
  defPtr(spec, 'replicas', 1);
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

export function defaultStatefulSet(sts: Obj): void {
  const spec = ensure(sts, 'spec');
  defStr(spec, 'podManagementPolicy', 'OrderedReady');
  const us = ensure(spec, 'updateStrategy');
  if (us.type === undefined || us.type === null || us.type === '') {
    us.type = 'RollingUpdate';
    defPtr(us, 'rollingUpdate', {});
  }
  const ru = maybe(us, 'rollingUpdate');
  if (us.type === 'RollingUpdate' && ru) defPtr(ru, 'partition', 0);
  const retention = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  defStr(retention, 'whenDeleted', 'Retain');
  defStr(retention, 'whenScaled', 'Retain');
  defPtr(spec, 'replicas', 1);
  defPtr(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(ensure(spec, 'template'));
  for (const claim of objects(spec.volumeClaimTemplates)) {
    defaultPVCSpec(ensure(claim, 'spec'));
    // Claim templates are PersistentVolumeClaims; their status defaults like a claim's.
    defStr(ensure(claim, 'status'), 'phase', 'Pending');
  }
}

export function defaultDaemonSet(ds: Obj): void {
  const spec = ensure(ds, 'spec');
  const us = ensure(spec, 'updateStrategy');
  defStr(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = ensure(us, 'rollingUpdate');
    defPtr(ru, 'maxUnavailable', 1);
    defPtr(ru, 'maxSurge', 0);
  }
  defPtr(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

/** The Job strategy's selector: controller-uid and job-name labels on the template, uid selected. */
function generateJobSelector(job: Obj, spec: Obj): void {
  const meta = ensure(job, 'metadata');
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (uid === '') return;
  const labels = ensure(ensure(ensure(spec, 'template'), 'metadata'), 'labels');
  for (const k of ['job-name', 'batch.kubernetes.io/job-name']) if (!(k in labels)) labels[k] = name;
  for (const k of ['controller-uid', 'batch.kubernetes.io/controller-uid']) if (!(k in labels)) labels[k] = uid;
  const matchLabels = ensure(ensure(spec, 'selector'), 'matchLabels');
  if (!('batch.kubernetes.io/controller-uid' in matchLabels)) matchLabels['batch.kubernetes.io/controller-uid'] = uid;
}

export function defaultJob(job: Obj): void {
  const spec = ensure(job, 'spec');
  const unset = (k: string) => spec[k] === undefined || spec[k] === null;
  if (unset('completions') && unset('parallelism')) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  defPtr(spec, 'parallelism', 1);
  defPtr(spec, 'backoffLimit', unset('backoffLimitPerIndex') ? 6 : 2147483647);
  defPtr(spec, 'completionMode', 'NonIndexed');
  defPtr(spec, 'suspend', false);
  const pfp = maybe(spec, 'podFailurePolicy');
  for (const rule of objects(pfp?.rules)) for (const pattern of objects(rule.onPodConditions)) defStr(pattern, 'status', 'True');
  defPtr(spec, 'podReplacementPolicy', pfp ? 'Failed' : 'TerminatingOrFailed');
  if (spec.manualSelector !== true) generateJobSelector(job, spec);
  // A job without labels takes its template's (as it reads back from storage upstream).
  const meta = ensure(job, 'metadata');
  const tplLabels = maybe(maybe(maybe(spec, 'template') ?? {}, 'metadata') ?? {}, 'labels');
  if (tplLabels && !(isObj(meta.labels) && Object.keys(meta.labels).length > 0)) meta.labels = { ...tplLabels };
  defaultPodTemplateSpec(ensure(spec, 'template'));
}

export function defaultCronJob(cj: Obj): void {
  const spec = ensure(cj, 'spec');
  defStr(spec, 'concurrencyPolicy', 'Allow');
  defPtr(spec, 'suspend', false);
  defPtr(spec, 'successfulJobsHistoryLimit', 3);
  defPtr(spec, 'failedJobsHistoryLimit', 1);
  defaultPodTemplateSpec(ensure(ensure(ensure(spec, 'jobTemplate'), 'spec'), 'template'));
}
