// The CronJob controller (upstream's cronjob controller v2): at each schedule time it creates a
// Job from the template (concurrencyPolicy Allow / Forbid / Replace, suspend,
// startingDeadlineSeconds, timeZone), keeps status.active, lastScheduleTime and
// lastSuccessfulTime, and prunes finished Jobs beyond the history limits. It never polls: each
// sync re-arms one timer on the context's clock for the next schedule time (+100 ms, as
// upstream, so the time has surely passed). Keys are `namespace/name` of CronJobs.

import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { isDeepStrictEqual } from 'node:util';
import { controllerRefOf, isControlledBy } from '../../api/ownerrefs.js';
import { isTimeZone } from '../../api/validation/cron.js';
import type { KObject } from '../../apiserver/object.js';
import { keyOf, type IndexFunc } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { rfc3339 } from '../job/conditions.js';
import { DelayedRequeue } from '../job/requeue.js';
import { runController, type RunningController } from '../runner.js';
import { finished, jobFromTemplate, jobName, jobRef, surplusFinished } from './jobs.js';
import { parseSchedule, type Schedule } from './schedule.js';

const cronJobs = resourceOf('batch', 'CronJob');
const jobs = resourceOf('batch', 'Job');
const nextScheduleDeltaMs = 100;
const tooManyMissed = 100;

/** Jobs by the `namespace/name` of the CronJob that controls them. */
export const cronJobOwnerIndex = 'cronjob-controller/owner';
const byControllingCronJob: IndexFunc = (o) => {
  const ref = controllerRefOf(o);
  return ref && ref.kind === 'CronJob' && ref.apiVersion === 'batch/v1' && o.metadata.namespace ? [`${o.metadata.namespace}/${ref.name}`] : [];
};

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

export function startCronJobController(ctx: ControllerContext): RunningController {
  const { client, clock, onError } = ctx;
  const cjInformer = ctx.informers.informer(cronJobs);
  const jobInformer = ctx.informers.informer(jobs, { indexers: { [cronJobOwnerIndex]: byControllingCronJob } });
  const recorder = ctx.recorder('cronjob-controller');

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const cached = cjInformer.store.get(key);
    if (!cached) return;
    let cj = cached as CronJob;
    const ev = (type: 'Normal' | 'Warning', reason: string, message: string) => recorder.event(cj as KObject, type, reason, message);
    const ns = cached.metadata.namespace ?? '';
    const children = jobInformer.store.byIndex(cronJobOwnerIndex, key).map((o) => o as Job).filter((j) => isControlledBy(j, cached));
    if (children.some((j) => !finished(j) && !(cj.status?.active ?? []).some((r) => r.uid === j.metadata?.uid))) {
      // Our cache may not show our own status write yet: ask the server before calling a Job unexpected.
      cj = (await client.get(cronJobs, cached.metadata.name ?? '', ns, sig)) as CronJob;
    }
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    let active: ObjectReference[] = [...(status.active ?? [])];
    const drop = (uid: string | undefined) => (active = active.filter((r) => r.uid !== uid));

    for (const j of children) {
      const uid = j.metadata?.uid;
      const listed = active.some((r) => r.uid === uid);
      const done = finished(j);
      if (!listed && !done) ev('Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name ?? ''}`);
      else if (listed && done) {
        drop(uid);
        ev('Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name ?? ''}, status: ${done}`);
      }
      const ct = j.status?.completionTime;
      if (done === 'Complete' && ct && (!status.lastSuccessfulTime || Date.parse(ct) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = ct;
    }
    for (const ref of active) {
      if (children.some((j) => j.metadata?.uid === ref.uid)) continue;
      // Not in the cache: confirm with the server before dropping it.
      try {
        await client.get(jobs, ref.name ?? '', ref.namespace ?? ns, sig);
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
        ev('Normal', 'MissingJob', `Active job went missing: ${ref.name ?? ''}`);
        drop(ref.uid);
      }
    }

    const deleteJob = async (name: string, uid: string | undefined): Promise<boolean> => {
      try {
        await client.delete(jobs, name, { namespace: ns, propagationPolicy: 'Background', signal: sig });
      } catch (e) {
        if (!isApiError(e, 404)) {
          ev('Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
          return false;
        }
      }
      drop(uid);
      ev('Normal', 'SuccessfulDelete', `Deleted job ${name}`);
      return true;
    };

    let requeueMs: number | undefined;
    let createError: unknown;
    if (!cj.metadata?.deletionTimestamp) {
      try {
        requeueMs = await startDue();
      } catch (e) {
        createError = e;
      }
      const spec = cj.spec;
      for (const j of [...surplusFinished(children, 'Complete', spec?.successfulJobsHistoryLimit), ...surplusFinished(children, 'Failed', spec?.failedJobsHistoryLimit)]) {
        await deleteJob(j.metadata?.name ?? '', j.metadata?.uid);
      }
    }

    if (active.length > 0) status.active = active;
    else delete status.active;
    if (!isDeepStrictEqual(cj.status ?? {}, status)) {
      try {
        await client.updateStatus(cronJobs, { ...(cj as KObject), status }, sig);
      } catch (e) {
        // A newer CronJob is on its way to the cache and syncs again.
        if (!isApiError(e, 409) && !isApiError(e, 404)) throw e;
      }
    }
    if (requeueMs !== undefined) requeue.after(key, requeueMs);
    if (createError !== undefined) throw createError;

    /** Starts the Job of the most recent unmet schedule time, if due; returns the delay to the next time. */
    async function startDue(): Promise<number | undefined> {
      const spec = cj.spec;
      const now = clock.now();
      const tz = spec?.timeZone ?? undefined;
      if (tz !== undefined && !isTimeZone(tz)) {
        ev('Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
        return undefined;
      }
      if (spec?.suspend) return undefined;
      let sched: Schedule;
      try {
        sched = parseSchedule(spec?.schedule ?? '', tz);
      } catch (e) {
        ev('Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec?.schedule ?? '')} : ${(e as Error).message}`);
        return undefined;
      }
      const created = Date.parse(cj.metadata?.creationTimestamp ?? '') || now;
      const nextIn = () => {
        const earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created;
        const recent = sched.mostRecent(earliest, now).time ?? earliest;
        return sched.next(recent) + nextScheduleDeltaMs - now;
      };
      let earliest = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : created;
      const deadlineS = spec?.startingDeadlineSeconds;
      if (deadlineS !== undefined && deadlineS !== null) earliest = Math.max(earliest, now - deadlineS * 1000);
      const { time, missed } = sched.mostRecent(earliest, now);
      if (missed > tooManyMissed) {
        ev('Warning', 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
      }
      if (time === undefined) return nextIn();
      if (deadlineS !== undefined && deadlineS !== null && time + deadlineS * 1000 < now) {
        ev('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(time)}`);
        return nextIn();
      }
      const name = jobName(cj, time);
      if (active.some((r) => r.name === name) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === time)) return nextIn();
      if (spec?.concurrencyPolicy === 'Forbid' && active.length > 0) {
        ev('Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
        return nextIn();
      }
      if (spec?.concurrencyPolicy === 'Replace') {
        for (const ref of [...active]) {
          if (!(await deleteJob(ref.name ?? '', ref.uid))) throw new Error(`could not replace job ${ns}/${ref.name ?? ''}`);
        }
      }
      let job: Job;
      try {
        job = (await client.create(jobs, jobFromTemplate(cj, time) as KObject, ns, sig)) as Job;
        ev('Normal', 'SuccessfulCreate', `Created job ${job.metadata?.name ?? name}`);
      } catch (e) {
        if (!isApiError(e, 409)) {
          if (!isApiError(e, 403)) ev('Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
          throw e;
        }
        // Created before (our status write was lost): adopt it into the status if it is ours.
        job = (await client.get(jobs, name, ns, sig)) as Job;
        if (!isControlledBy(job, cj)) return nextIn();
      }
      if (!active.some((r) => r.uid === job.metadata?.uid)) active.push(jobRef(job));
      status.lastScheduleTime = rfc3339(time);
      return nextIn();
    }
  };

  const running = runController({ name: 'cronjob', informers: [cjInformer, jobInformer], reconcile, workers: 5, onError: (_n, _k, e) => onError(e) }, ctx.signal);
  const requeue = new DelayedRequeue(clock, (k) => running.queue.add(k), ctx.signal);
  const enqueue = (o: KObject) => running.queue.add(keyOf(o));
  cjInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  const enqueueOwner = (j: KObject) => {
    const key = byControllingCronJob(j)[0];
    if (key) running.queue.add(key);
  };
  jobInformer.addHandlers({ onAdd: enqueueOwner, onUpdate: (_o, n) => enqueueOwner(n), onDelete: enqueueOwner });
  return running;
}
