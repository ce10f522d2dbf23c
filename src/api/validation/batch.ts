// batch/v1 Job and CronJob (pkg/apis/batch/validation).

import { field, type FieldError } from '../errors.js';
import { cronScheduleError, isTimeZone } from './cron.js';
import { labelSelectorMatches, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';
import { validatePodTemplateSpec } from './podspec.js';
import { child, goLabelSelector, goStringMap, immutable, isObj, isSet, nonNegative, num, obj, str, strMap, text, type Obj } from './util.js';

const maxParallelismForIndexedJob = 100000;
const maxFailedIndexesForIndexedJob = 100000;

/** Rules of a JobSpec shared by Jobs and CronJob job templates (upstream validateJobSpec). */
function validateJobSpecCommon(spec: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) {
    errs.push(...nonNegative(spec[f], child(p, f)));
  }
  const mode = isSet(spec.completionMode) ? str(spec.completionMode) : 'NonIndexed';
  if (isSet(spec.completionMode) && mode !== 'NonIndexed' && mode !== 'Indexed') {
    errs.push(field.notSupported(child(p, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
  }
  if (mode === 'Indexed') {
    if (!isSet(spec.completions)) errs.push(field.required(child(p, 'completions'), 'when completion mode is Indexed'));
    const par = num(spec.parallelism);
    if (par !== undefined && par > maxParallelismForIndexedJob) {
      errs.push(field.invalid(child(p, 'parallelism'), par, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`));
    }
  }
  if (isSet(spec.backoffLimitPerIndex) && mode !== 'Indexed') errs.push(field.forbidden(child(p, 'backoffLimitPerIndex'), 'requires indexed completion mode'));
  if (isSet(spec.maxFailedIndexes)) {
    if (!isSet(spec.backoffLimitPerIndex)) errs.push(field.required(child(p, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
    const mfi = num(spec.maxFailedIndexes) ?? 0;
    if (mfi > maxFailedIndexesForIndexedJob) errs.push(field.invalid(child(p, 'maxFailedIndexes'), mfi, `must be less than or equal to ${maxFailedIndexesForIndexedJob}`));
    const completions = num(spec.completions);
    if (completions !== undefined && mfi > completions) errs.push(field.invalid(child(p, 'maxFailedIndexes'), mfi, 'must be less than or equal to completions'));
  }
  if (isSet(spec.podReplacementPolicy)) {
    const prp = str(spec.podReplacementPolicy);
    if (prp !== 'TerminatingOrFailed' && prp !== 'Failed') errs.push(field.notSupported(child(p, 'podReplacementPolicy'), prp, ['TerminatingOrFailed', 'Failed']));
    else if (isSet(spec.podFailurePolicy) && prp !== 'Failed') {
      errs.push(field.notSupported(child(p, 'podReplacementPolicy'), prp, ['Failed']));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, child(p, 'template')));
  const restart = str(obj(obj(spec.template).spec).restartPolicy);
  const rp = child(p, 'template', 'spec', 'restartPolicy');
  // The pod spec default is Always, so an unset policy shows up as Always here.
  if (restart === 'Always' || restart === '') errs.push(field.required(rp, 'valid values: "OnFailure", "Never"'));
  else if (restart !== 'OnFailure' && restart !== 'Never') errs.push(field.notSupported(rp, restart, ['OnFailure', 'Never']));
  else if (isSet(spec.podFailurePolicy) && restart !== 'Never') errs.push(field.invalid(rp, restart, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateJobSpec(spec: Obj): FieldError[] {
  const errs = validateJobSpecCommon(spec, 'spec');
  if (!isObj(spec.selector)) errs.push(field.required('spec.selector', ''));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const labels = obj(obj(spec.template).metadata).labels;
  if (isObj(spec.selector) && labelSelectorMatches(spec.selector, strMap(labels)) === false) {
    errs.push(field.invalidRaw('spec.template.metadata.labels', goStringMap(labels), '`selector` does not match template `labels`'));
  }
  return errs;
}

/** With a generated selector the template must carry the labels it selects (ValidateGeneratedSelector). */
function validateGeneratedSelector(job: Obj): FieldError[] {
  const spec = obj(job.spec);
  if (spec.manualSelector === true || !isObj(spec.selector)) return [];
  const meta = obj(job.metadata);
  const uid = str(meta.uid);
  const errs: FieldError[] = [];
  if (uid === '') errs.push(field.required('metadata.uid', ''));
  const labels = strMap(obj(obj(spec.template).metadata).labels);
  for (const [k, want] of [
    ['controller-uid', uid],
    ['job-name', str(meta.name)],
    ['batch.kubernetes.io/controller-uid', uid],
    ['batch.kubernetes.io/job-name', str(meta.name)],
  ] as const) {
    const lp = `spec.template.metadata.labels[${k}]`;
    if (!(k in labels)) errs.push(field.required(lp, `must be '${want}'`));
    else if (labels[k] !== want) errs.push(field.invalidRaw(lp, goStringMap(labels), `must be '${want}'`));
  }
  if (labelSelectorMatches(spec.selector, { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': str(meta.name), 'controller-uid': uid, 'job-name': str(meta.name) }) === false) {
    errs.push(field.invalidRaw('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return errs;
}

export function validateJob(job: Obj): FieldError[] {
  return [...validateObjectMeta(job.metadata, true, nameIsDNSSubdomain), ...validateGeneratedSelector(job), ...validateJobSpec(obj(job.spec))];
}

export function validateJobUpdate(n: Obj, o: Obj): FieldError[] {
  const ns = obj(n.spec);
  const os = obj(o.spec);
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateGeneratedSelector(n), ...validateJobSpec(ns)];
  const indexed = str(ns.completionMode) === 'Indexed' && str(os.completionMode) === 'Indexed';
  // Indexed jobs may scale completions together with parallelism (elastic indexed jobs).
  if (!(indexed && num(ns.completions) === num(ns.parallelism))) errs.push(...immutable(ns.completions, os.completions, 'spec.completions', (v) => (isSet(v) ? text(v) : 'null')));
  errs.push(...immutable(ns.selector, os.selector, 'spec.selector', goLabelSelector));
  errs.push(...immutable(ns.completionMode, os.completionMode, 'spec.completionMode', (v) => JSON.stringify(str(v))));
  errs.push(...immutable(ns.podFailurePolicy, os.podFailurePolicy, 'spec.podFailurePolicy'));
  errs.push(...immutable(ns.backoffLimitPerIndex, os.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'));
  // A suspended job that never started may still change its scheduling directives.
  const startedOrRunning = isSet(obj(o.status).startTime);
  if (!(os.suspend === true && !startedOrRunning)) errs.push(...immutable(ns.template, os.template, 'spec.template'));
  return errs;
}

export function validateJobStatusUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const status = obj(n.status);
  for (const c of ['active', 'succeeded', 'failed', 'ready', 'terminating']) errs.push(...nonNegative(status[c], `status.${c}`));
  return errs;
}

function validateJobTemplateSpec(tplV: unknown, p: string): FieldError[] {
  const spec = obj(obj(tplV).spec);
  const errs = validateJobSpecCommon(spec, child(p, 'spec'));
  if (isSet(spec.selector)) errs.push(field.invalidRaw(child(p, 'spec', 'selector'), goLabelSelector(spec.selector), '`selector` will be auto-generated'));
  if (spec.manualSelector === true) errs.push(field.notSupported(child(p, 'spec', 'manualSelector'), true, ['nil', 'false']));
  return errs;
}

function validateCronJobSpec(spec: Obj, old: Obj | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule);
  if (schedule === '') {
    errs.push(field.required('spec.schedule', ''));
  } else {
    const e = cronScheduleError(schedule);
    if (e) errs.push(field.invalid('spec.schedule', schedule, e));
    const allowTZ = old !== undefined && str(old.schedule).includes('TZ');
    if (allowTZ && schedule.includes('TZ') && isSet(spec.timeZone)) {
      errs.push(field.invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(field.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (old === undefined || old.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone));
  const policy = str(spec.concurrencyPolicy);
  if (policy === '') errs.push(field.required('spec.concurrencyPolicy', ''));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(field.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateJobTemplateSpec(spec.jobTemplate, 'spec.jobTemplate'));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

function validateTimeZone(tzV: unknown): FieldError[] {
  if (!isSet(tzV)) return [];
  const tz = str(tzV);
  const p = 'spec.timeZone';
  if (tz === '') return [field.invalid(p, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part)) return [field.invalid(p, tz, `unknown time zone ${tz}`)];
  }
  if (tz.toLowerCase() === 'local') return [field.invalid(p, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  return isTimeZone(tz) ? [] : [field.invalid(p, tz, `unknown time zone ${tz}`)];
}

/** CronJob names leave room for the 11-character suffix of the Jobs they create. */
function validateCronJobName(cj: Obj): FieldError[] {
  const name = str(obj(cj.metadata).name);
  return name.length > 52 ? [field.invalid('metadata.name', name, 'must be no more than 52 characters')] : [];
}

export function validateCronJob(cj: Obj): FieldError[] {
  return [...validateObjectMeta(cj.metadata, true, nameIsDNSSubdomain), ...validateCronJobName(cj), ...validateCronJobSpec(obj(cj.spec), undefined)];
}

export function validateCronJobUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateCronJobSpec(obj(n.spec), obj(o.spec))];
}

export function validateCronJobStatusUpdate(n: Obj, o: Obj): FieldError[] {
  return validateObjectMetaUpdate(n.metadata, o.metadata);
}
