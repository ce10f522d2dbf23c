// The Jobs a CronJob makes and keeps: named `<cronjob>-<scheduled time in minutes since the
// epoch>` (the name is the lock that stops one scheduled time from running twice), annotated with
// the scheduled time, controlled by the CronJob; finished ones pruned oldest first.

import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { newControllerRef } from '../../api/ownerrefs.js';
import { rfc3339InZone } from './schedule.js';

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

export function jobName(cj: CronJob, scheduledMs: number): string {
  return `${cj.metadata?.name ?? ''}-${Math.floor(scheduledMs / 60_000)}`;
}

export function jobFromTemplate(cj: CronJob, scheduledMs: number): Job {
  const tpl = cj.spec?.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(cj, scheduledMs),
      namespace: cj.metadata?.namespace ?? '',
      labels: { ...(tpl?.metadata?.labels ?? {}) },
      annotations: { ...(tpl?.metadata?.annotations ?? {}), [scheduledTimestampAnnotation]: rfc3339InZone(scheduledMs, cj.spec?.timeZone) },
      ownerReferences: [newControllerRef({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: cj.metadata ?? {} })],
    },
    spec: structuredClone(tpl?.spec ?? { template: {} }),
  };
}

/** 'Complete' or 'Failed' once the Job has finished. */
export function finished(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

export function jobRef(job: Job): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata?.namespace ?? '',
    name: job.metadata?.name ?? '',
    uid: job.metadata?.uid ?? '',
    apiVersion: 'batch/v1',
    resourceVersion: job.metadata?.resourceVersion ?? '',
  };
}

/** Oldest first by start time; Jobs not started yet count as newest; ties by name. */
export function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa || !sb) return !sa && !sb ? (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '') : sa ? -1 : 1;
  const d = Date.parse(sa) - Date.parse(sb);
  return d !== 0 ? d : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

/** The finished Jobs to delete so at most `limit` of each kind remain (none when the limit is unset). */
export function surplusFinished(jobs: Job[], kind: 'Complete' | 'Failed', limit: number | undefined): Job[] {
  if (limit === undefined || limit === null) return [];
  const done = jobs.filter((j) => finished(j) === kind && !j.metadata?.deletionTimestamp).sort(byStartTime);
  return done.slice(0, Math.max(0, done.length - limit));
}
