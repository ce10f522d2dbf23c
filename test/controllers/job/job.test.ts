// The Job controller against an in-process API server; the test plays kubelet.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { startJobController } from '../../../src/controllers/job/controller.js';
import { startTtlAfterFinishedController } from '../../../src/controllers/job/ttl.js';
import { advanceUntil, startHarness, type Harness } from './harness.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';

const ns = 'default';
const tracking = 'batch.kubernetes.io/job-tracking';

function makeJob(name: string, spec: Partial<JobSpec> = {}): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } }, ...spec },
  };
}

const isRunning = (p: Pod) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp;
const cond = (j: Job | undefined, type: string) => j?.status?.conditions?.find((c) => c.type === type && c.status === 'True');

describe('job controller', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness((ctx) => [startJobController(ctx), startTtlAfterFinishedController(ctx)]);
  });
  after(async () => {
    await h?.stop();
  });
  const getJob = async (name: string) => (await h.get(res.jobs, name, ns)) as Job | undefined;
  /** Waits for exactly `n` running pods of the Job; fails at once if more than `max` ever run. */
  const running = async (name: string, n: number, max = Infinity) =>
    eventually(`${n} running pods of ${name}`, async () => {
      const pods = (await h.pods(ns, name)).filter(isRunning);
      assert.ok(pods.length <= max, `${pods.length} pods of ${name} running at once`);
      return pods.length === n ? pods : undefined;
    });

  it('runs completions 3 with parallelism 2, never more than 2 at once, and completes', async () => {
    await h.client.create(res.jobs, makeJob('pi', { completions: 3, parallelism: 2 }), ns);
    let done = 0;
    while (done < 3) {
      const pods = await running('pi', done === 2 ? 1 : 2, 2);
      await h.finish(pods[0]!, 'Succeeded');
      done++;
      await eventually(`succeeded ${done}`, async () => ((await getJob('pi'))?.status?.succeeded ?? 0) === done);
    }
    const job = await eventually('Complete', async () => {
      const j = await getJob('pi');
      return cond(j, 'Complete') ? j : undefined;
    });
    assert.equal(job.status?.succeeded, 3);
    assert.equal(job.status?.active, undefined);
    assert.equal(job.status?.ready, 0);
    assert.equal(job.status?.terminating, 0);
    assert.deepEqual(job.status?.uncountedTerminatedPods, {});
    assert.ok(job.status?.completionTime && job.status.startTime);
    assert.equal(cond(job, 'SuccessCriteriaMet')?.reason, 'CompletionsReached');
    assert.equal(cond(job, 'Complete')?.message, 'Reached expected number of succeeded pods');
    const pods = await h.pods(ns, 'pi');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.ok(!(p.metadata?.finalizers ?? []).includes(tracking), 'tracking finalizer removed');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], job.metadata?.uid);
      assert.equal(p.metadata?.labels?.['job-name'], 'pi');
      assert.deepEqual(p.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [['Job', 'pi', true]]);
      assert.match(p.metadata?.name ?? '', /^pi-[a-z0-9]{5}$/);
    }
    const events = await eventually('events', async () => {
      const ev = await h.events(ns, 'pi');
      return ev.includes('Completed: Job completed') ? ev : undefined;
    });
    assert.equal(events.filter((e) => e.startsWith('SuccessfulCreate: Created pod: pi-')).length, 3);
    // Settled: no further status writes.
    const rv = job.metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await getJob('pi'))?.metadata?.resourceVersion, rv);
  });

  it('replaces failed pods after a backoff and fails after backoffLimit', async () => {
    await h.client.create(res.jobs, makeJob('flaky', { backoffLimit: 2 }), ns);
    for (let failures = 1; failures <= 3; failures++) {
      const [pod] = await running('flaky', 1);
      await h.finish(pod!, 'Failed', 1);
      await eventually(`failed ${failures}`, async () => ((await getJob('flaky'))?.status?.failed ?? 0) === failures);
      if (failures === 3) break;
      // No replacement until the backoff (10 s, then 20 s) has passed on the controller's clock.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await h.pods(ns, 'flaky')).filter(isRunning).length, 0);
      await advanceUntil(h.clock, 10_000 * 2 ** (failures - 1), 'a replacement', async () => (await h.pods(ns, 'flaky')).some(isRunning));
    }
    const job = await eventually('Failed', async () => {
      const j = await getJob('flaky');
      return cond(j, 'Failed') ? j : undefined;
    });
    assert.equal(cond(job, 'Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(cond(job, 'Failed')?.message, 'Job has reached the specified backoff limit');
    assert.equal(cond(job, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(job.status?.failed, 3);
    assert.equal(job.status?.completionTime, undefined);
    await eventually('BackoffLimitExceeded event', async () => (await h.events(ns, 'flaky')).includes('BackoffLimitExceeded: Job has reached the specified backoff limit'));
  });

  it('counts a failed pod exactly once even when it is deleted at once', async () => {
    await h.client.create(res.jobs, makeJob('once', { backoffLimit: 5 }), ns);
    const [pod] = await running('once', 1);
    await h.finish(pod!, 'Failed', 1);
    await h.client.delete(res.pods, pod!.metadata?.name ?? '', { namespace: ns });
    await eventually('failed 1', async () => ((await getJob('once'))?.status?.failed ?? 0) === 1);
    await eventually('pod gone', async () => !(await h.pods(ns, 'once')).some((p) => p.metadata?.uid === pod!.metadata?.uid));
    await new Promise((r) => setTimeout(r, 50));
    const job = await getJob('once');
    assert.equal(job?.status?.failed, 1);
    assert.deepEqual(job?.status?.uncountedTerminatedPods, {});
  });

  it('gives Indexed pods indexes 0..n-1 and reports completedIndexes', async () => {
    await h.client.create(res.jobs, makeJob('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }), ns);
    const pods = await running('idx', 3);
    const byIndex = new Map(pods.map((p) => [p.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [ix, p] of byIndex) {
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], ix);
      assert.equal(p.spec?.hostname, `idx-${ix}`);
      assert.match(p.metadata?.name ?? '', new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
      const env = p.spec?.containers[0]?.env?.find((e) => e.name === 'JOB_COMPLETION_INDEX');
      assert.equal(env?.valueFrom?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    }
    await h.finish(byIndex.get('2')!, 'Succeeded');
    await eventually('completedIndexes 2', async () => (await getJob('idx'))?.status?.completedIndexes === '2');
    await h.finish(byIndex.get('0')!, 'Succeeded');
    await eventually('completedIndexes 0,2', async () => (await getJob('idx'))?.status?.completedIndexes === '0,2');
    // A failed index is retried with a new pod of the same index.
    await h.finish(byIndex.get('1')!, 'Failed', 1);
    await eventually('failed 1', async () => (await getJob('idx'))?.status?.failed === 1);
    const [retry] = await advanceUntil(h.clock, 10_000, 'a retry', async () => {
      const pods = (await h.pods(ns, 'idx')).filter(isRunning);
      return pods.length === 1 ? pods : undefined;
    });
    assert.equal(retry!.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'], '1');
    await h.finish(retry!, 'Succeeded');
    const job = await eventually('Complete', async () => {
      const j = await getJob('idx');
      return cond(j, 'Complete') ? j : undefined;
    });
    assert.equal(job.status?.completedIndexes, '0-2');
    assert.equal(job.status?.succeeded, 3);
    assert.equal(job.status?.failed, 1);
  });

  it('fails the Job at once on a FailJob exit code and ignores Ignore exit codes', async () => {
    const podFailurePolicy = {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
        { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } },
      ],
    };
    await h.client.create(res.jobs, makeJob('pfp', { backoffLimit: 6, podFailurePolicy }), ns);
    const [first] = await running('pfp', 1);
    await h.finish(first!, 'Failed', 3);
    // Ignored: not counted, replaced without backoff.
    const [second] = await eventually('a replacement', async () => {
      const pods = (await h.pods(ns, 'pfp')).filter(isRunning);
      return pods.length === 1 && pods[0]!.metadata?.uid !== first!.metadata?.uid ? pods : undefined;
    });
    assert.equal((await getJob('pfp'))?.status?.failed, undefined);
    await h.finish(second!, 'Failed', 42);
    const job = await eventually('Failed', async () => {
      const j = await getJob('pfp');
      return cond(j, 'Failed') ? j : undefined;
    });
    assert.equal(cond(job, 'Failed')?.reason, 'PodFailurePolicy');
    assert.equal(cond(job, 'Failed')?.message, `Container main for pod ${ns}/${second!.metadata?.name} failed with exit code 42 matching FailJob rule at index 0`);
    assert.equal(job.status?.failed, 1);
  });

  it('fails a Job that runs past activeDeadlineSeconds and deletes its pods', async () => {
    await h.client.create(res.jobs, makeJob('slow', { activeDeadlineSeconds: 30, parallelism: 2, completions: 4 }), ns);
    await running('slow', 2);
    const job = await advanceUntil(h.clock, 31_000, 'Failed', async () => {
      const j = await getJob('slow');
      return cond(j, 'Failed') ? j : undefined;
    });
    assert.equal(cond(job, 'Failed')?.reason, 'DeadlineExceeded');
    assert.equal(cond(job, 'Failed')?.message, 'Job was active longer than specified deadline');
    assert.equal((await h.pods(ns, 'slow')).length, 0);
    assert.equal(job.status?.active, undefined);
    assert.equal(job.status?.failed, 2);
  });

  it('suspends (deleting active pods) and resumes', async () => {
    await h.client.create(res.jobs, makeJob('sus', { parallelism: 2, completions: 2 }), ns);
    await running('sus', 2);
    await h.client.patch(res.jobs, 'sus', { spec: { suspend: true } }, 'merge', { namespace: ns });
    const suspended = await eventually('Suspended', async () => {
      const j = await getJob('sus');
      return cond(j, 'Suspended') && (await h.pods(ns, 'sus')).length === 0 ? j : undefined;
    });
    assert.equal(cond(suspended, 'Suspended')?.reason, 'JobSuspended');
    await h.client.patch(res.jobs, 'sus', { spec: { suspend: false } }, 'merge', { namespace: ns });
    await advanceUntil(h.clock, 60_000, 'pods again', async () => (await h.pods(ns, 'sus')).filter(isRunning).length === 2);
    const resumed = await getJob('sus');
    assert.equal(resumed?.status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'JobResumed');
  });

  it('deletes a finished Job ttlSecondsAfterFinished later', async () => {
    await h.client.create(res.jobs, makeJob('short', { ttlSecondsAfterFinished: 60 }), ns);
    const [pod] = await running('short', 1);
    await h.finish(pod!, 'Succeeded');
    await eventually('Complete', async () => cond(await getJob('short'), 'Complete'));
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(await getJob('short'), 'kept until the TTL passes');
    await advanceUntil(h.clock, 61_000, 'deleted', async () => (await getJob('short')) === undefined);
  });

  it('reported no controller errors', () => {
    assert.deepEqual(h.errors, []);
  });
});
