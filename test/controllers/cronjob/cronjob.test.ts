// The CronJob controller against an in-process API server, its schedule driven by a fake clock.
// The Job controller does not run here: the test finishes Jobs by writing their status.

import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, CronJobSpec, Job } from 'kubernetes-types/batch/v1.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { startCronJobController } from '../../../src/controllers/cronjob/controller.js';
import { startHarness, type Harness } from '../job/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';

const ns = 'default';
const minute = 60_000;

function makeCronJob(name: string, spec: Partial<CronJobSpec> = {}): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { metadata: { labels: { app: name } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } } },
      ...spec,
    },
  };
}

// Each test gets its own server and clock. CronJobs are created at real time (whole seconds), so
// the fake clock starts at the current whole second: never after a creation timestamp, so no
// schedule time is already due when a CronJob is created.
describe('cronjob controller', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness((ctx) => startCronJobController(ctx), { now: Math.floor(Date.now() / 1000) * 1000 });
  });
  afterEach(async () => {
    assert.deepEqual(h.errors, [], 'no controller errors');
    await h.stop();
  });

  const jobsOf = async (cj: string) => ((await h.client.list(res.jobs, { namespace: ns, labelSelector: `app=${cj}` })).items as Job[]).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const getCj = async (name: string) => (await h.get(res.cronJobs, name, ns)) as CronJob | undefined;
  /** Waits until the controller has armed a timer for `t` (+100 ms) or earlier, then moves the clock past it. */
  const runUntil = async (t: number) => {
    await eventually(`a timer armed for ${new Date(t).toISOString()}`, () => {
      const due = h.clock.nextDue();
      return due !== undefined && due <= t + 100;
    });
    h.clock.advanceTo(t + 100);
  };
  /** Creates the CronJob; resolves with the first minute boundary after its creation. */
  const create = async (name: string, spec: Partial<CronJobSpec> = {}) => {
    const cj = await h.client.create(res.cronJobs, makeCronJob(name, spec), ns);
    return Math.floor(Date.parse(cj.metadata.creationTimestamp ?? '') / minute) * minute + minute;
  };
  const finishJob = async (job: Job, type: 'Complete' | 'Failed', startTime: string) => {
    const t = new Date(h.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const conditions = [{ type, status: 'True', lastProbeTime: t, lastTransitionTime: t }];
    await h.client.updateStatus(res.jobs, { ...(job as KObject), status: { startTime, conditions, ...(type === 'Complete' ? { completionTime: t, succeeded: 1 } : { failed: 1 }) } });
  };

  it('creates a Job at each minute boundary for */1 (Allow)', async () => {
    const first = await create('every');
    await runUntil(first);
    const [job] = await eventually('the first Job', async () => {
      const jobs = await jobsOf('every');
      return jobs.length === 1 ? jobs : undefined;
    });
    assert.equal(job!.metadata?.name, `every-${first / minute}`);
    assert.equal(job!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(first).toISOString().replace('.000Z', 'Z'));
    assert.deepEqual(job!.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [['CronJob', 'every', true]]);
    const cj = await eventually('status', async () => {
      const c = await getCj('every');
      return c?.status?.active?.length === 1 ? c : undefined;
    });
    assert.equal(Date.parse(cj.status?.lastScheduleTime ?? ''), first);
    assert.equal(cj.status?.active?.[0]?.name, job!.metadata?.name);

    await runUntil(first + minute);
    await eventually('a second Job', async () => (await jobsOf('every')).length === 2);
    await eventually('SuccessfulCreate events', async () => (await h.events(ns, 'every')).filter((e) => e.startsWith('SuccessfulCreate: Created job every-')).length === 2);
  });

  it('skips a run while one is active under Forbid, and runs again once it finished', async () => {
    const first = await create('forbid', { concurrencyPolicy: 'Forbid' });
    await runUntil(first);
    const [job] = await eventually('the first Job', async () => {
      const jobs = await jobsOf('forbid');
      return jobs.length === 1 ? jobs : undefined;
    });
    await runUntil(first + minute);
    await eventually('JobAlreadyActive', async () => (await h.events(ns, 'forbid')).some((e) => e.startsWith('JobAlreadyActive: Not starting job because prior execution is running')));
    assert.equal((await jobsOf('forbid')).length, 1);
    await finishJob(job!, 'Complete', new Date(first).toISOString());
    await eventually('SawCompletedJob', async () => (await h.events(ns, 'forbid')).includes(`SawCompletedJob: Saw completed job: ${job!.metadata?.name}, status: Complete`));
    // The skipped time is still unmet (no startingDeadlineSeconds): it starts as soon as the slot is free.
    const cj = await eventually('the skipped run started', async () => {
      const c = await getCj('forbid');
      return c?.status?.active?.length === 1 && c.status.active[0]!.name === `forbid-${first / minute + 1}` ? c : undefined;
    });
    assert.equal(Date.parse(cj.status?.lastScheduleTime ?? ''), first + minute);
    assert.ok(cj.status?.lastSuccessfulTime);
    assert.deepEqual((await jobsOf('forbid')).map((j) => j.metadata?.name), [`forbid-${first / minute}`, `forbid-${first / minute + 1}`]);
  });

  it('replaces the active Job under Replace', async () => {
    const first = await create('replace', { concurrencyPolicy: 'Replace' });
    await runUntil(first);
    await eventually('the first Job', async () => (await jobsOf('replace')).length === 1);
    await runUntil(first + minute);
    const jobs = await eventually('the Job replaced', async () => {
      const js = await jobsOf('replace');
      return js.length === 1 && js[0]!.metadata?.name === `replace-${first / minute + 1}` ? js : undefined;
    });
    assert.equal(jobs.length, 1);
    await eventually('SuccessfulDelete', async () => (await h.events(ns, 'replace')).includes(`SuccessfulDelete: Deleted job replace-${first / minute}`));
    const cj = await eventually('active is the new Job', async () => {
      const c = await getCj('replace');
      return c?.status?.active?.length === 1 && c.status.active[0]!.name === jobs[0]!.metadata?.name ? c : undefined;
    });
    assert.ok(cj);
  });

  it('prunes finished Jobs beyond the history limits', async () => {
    const first = await create('hist', { successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    const outcomes = ['Complete', 'Failed', 'Complete', 'Failed', 'Complete'] as const;
    for (let i = 0; i < outcomes.length; i++) {
      const t = first + i * minute;
      await runUntil(t);
      const job = await eventually(`Job ${i}`, async () => (await jobsOf('hist')).find((j) => j.metadata?.name === `hist-${t / minute}`));
      await finishJob(job, outcomes[i]!, new Date(t).toISOString());
    }
    const names = await eventually('pruned', async () => {
      const js = (await jobsOf('hist')).map((j) => j.metadata?.name);
      return js.length === 3 ? js : undefined;
    });
    const m = first / minute;
    assert.deepEqual(names, [`hist-${m + 2}`, `hist-${m + 3}`, `hist-${m + 4}`]);
  });

  it('evaluates the schedule in spec.timeZone', async () => {
    const afterCreation = await create('tokyo', { schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' });
    // 09:00 in Tokyo is 00:00 UTC.
    const day = 24 * 60 * minute;
    const midnightUtc = Math.ceil(afterCreation / day) * day;
    await runUntil(midnightUtc);
    const [job] = await eventually('the Job', async () => {
      const js = await jobsOf('tokyo');
      return js.length === 1 ? js : undefined;
    });
    assert.equal(job!.metadata?.name, `tokyo-${midnightUtc / minute}`);
    assert.match(job!.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'] ?? '', /^\d{4}-\d\d-\d\dT09:00:00\+09:00$/);
    await eventually('lastScheduleTime', async () => Date.parse((await getCj('tokyo'))?.status?.lastScheduleTime ?? '') === midnightUtc);
  });

  it('runs only the most recent of many missed times and warns', async () => {
    await h.client.create(res.cronJobs, makeCronJob('late', { suspend: true }), ns);
    await eventually('synced', async () => (await getCj('late')) !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    h.clock.advance(200 * minute);
    await h.client.patch(res.cronJobs, 'late', { spec: { suspend: false } }, 'merge', { namespace: ns });
    const [job] = await eventually('one Job', async () => {
      const js = await jobsOf('late');
      return js.length === 1 ? js : undefined;
    });
    assert.equal(job!.metadata?.name, `late-${Math.floor(h.clock.now() / minute)}`);
    await eventually('TooManyMissedTimes', async () => (await h.events(ns, 'late')).some((e) => /^TooManyMissedTimes: too many missed start times: \d+\. Set or decrease \.spec\.startingDeadlineSeconds or check clock skew$/.test(e)));
  });
});
