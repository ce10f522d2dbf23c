// Jobs (STATUS COMPLETIONS DURATION AGE) and CronJobs (SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE).

import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import { formatLabelSelector } from '../../api/selectors/labels.js';
import { humanDuration, parseTime, timeSince } from '../../util/duration.js';
import { doc } from './descriptions.js';
import { age, ageColumn, arr, boolPtr, col, containersColumn, imagesColumn, int, isDeleting, layoutContainers, nameColumn, nameOf, typed, wide } from './common.js';
import type { Obj, Printer, TableCell } from './types.js';

/** The first condition of the type decides. */
function hasCondition(conds: JobCondition[], type: string): boolean {
  for (const c of conds) if (c.type === type) return c.status === 'True';
  return false;
}

export function jobStatus(obj: Obj): string {
  const conds = arr(typed<Job>(obj).status?.conditions);
  if (hasCondition(conds, 'Complete')) return 'Complete';
  if (hasCondition(conds, 'Failed')) return 'Failed';
  if (isDeleting(obj)) return 'Terminating';
  if (hasCondition(conds, 'Suspended')) return 'Suspended';
  if (hasCondition(conds, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletions(job: Job): string {
  const succeeded = int(job.status?.succeeded);
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${int(completions)}`;
  const parallelism = int(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** '' before the job starts, time so far while running, start to completion once done. */
export function jobDuration(job: Job, now: number): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime);
  return humanDuration((end ?? now) - start);
}

function jobCells(obj: Obj, now: number): TableCell[] {
  const job = typed<Job>(obj);
  const [names, images] = layoutContainers(job.spec?.template?.spec?.containers);
  return [nameOf(obj), jobStatus(obj), jobCompletions(job), jobDuration(job, now), age(obj, now), names, images, formatLabelSelector(job.spec?.selector)];
}

export const jobPrinter: Printer = {
  columns: [
    nameColumn,
    col('Status', 'string', 'Status of the job.'),
    col('Completions', 'string', doc['JobStatus.succeeded']),
    col('Duration', 'string', 'Time required to complete the job.'),
    ageColumn,
    containersColumn,
    imagesColumn,
    wide(col('Selector', 'string', doc['JobSpec.selector'])),
  ],
  cells: jobCells,
};

function cronJobCells(obj: Obj, now: number): TableCell[] {
  const cj = typed<CronJob>(obj);
  const last = cj.status?.lastScheduleTime;
  const jobSpec = cj.spec?.jobTemplate?.spec;
  const [names, images] = layoutContainers(jobSpec?.template?.spec?.containers);
  return [
    nameOf(obj),
    cj.spec?.schedule ?? '',
    cj.spec?.timeZone ?? '<none>',
    boolPtr(cj.spec?.suspend),
    arr(cj.status?.active).length,
    last === undefined || last === null ? '<none>' : timeSince(last, now),
    age(obj, now),
    names,
    images,
    formatLabelSelector(jobSpec?.selector),
  ];
}

export const cronJobPrinter: Printer = {
  columns: [
    nameColumn,
    col('Schedule', 'string', doc['CronJobSpec.schedule']),
    col('Timezone', 'string', doc['CronJobSpec.timeZone']),
    col('Suspend', 'boolean', doc['CronJobSpec.suspend']),
    col('Active', 'integer', doc['CronJobStatus.active']),
    col('Last Schedule', 'string', doc['CronJobStatus.lastScheduleTime']),
    ageColumn,
    containersColumn,
    imagesColumn,
    wide(col('Selector', 'string', doc['JobSpec.selector'])),
  ],
  cells: cronJobCells,
};
