// Jobs and CronJobs through real kubectl 1.33 against a real `skiff server`; the test plays
// kubelet by writing pod phases. (CronJob timing is covered with a fake clock in
// test/controllers/cronjob: waiting for real minute boundaries is too slow here.)

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 15_000, intervalMs: 50 });

interface PodItem {
  metadata: { name: string; deletionTimestamp?: string; finalizers?: string[] };
  status?: { phase?: string };
}

describe('jobs and cronjobs with kubectl 1.33', () => {
  let server: SkiffServer;
  before(async () => {
    server = await startSkiff();
  });
  after(async () => {
    await server?.stop();
  });

  const podsOf = async (job: string): Promise<PodItem[]> => {
    const r = await server.request('GET', `/api/v1/namespaces/default/pods?labelSelector=batch.kubernetes.io%2Fjob-name%3D${job}`);
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { items: PodItem[] }).items;
  };
  const succeed = async (pod: string) => {
    const status = { phase: 'Succeeded', containerStatuses: [{ name: 'pi', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] };
    const r = await server.request('PATCH', `/api/v1/namespaces/default/pods/${pod}/status`, JSON.stringify({ status }), { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.body);
  };

  it('runs a Job made by kubectl create job to completion: wait, get and describe agree', async () => {
    const gen = await server.kubectl(['create', 'job', 'pi', '--image=busybox', '--dry-run=client', '-o', 'json', '--', 'sh', '-c', 'true']);
    assert.equal(gen.code, 0, gen.stderr);
    const manifest = JSON.parse(gen.stdout) as { spec: Record<string, unknown> };
    manifest.spec.completions = 3;
    manifest.spec.parallelism = 2;
    const created = await server.kubectl(['create', '-f', '-'], { input: JSON.stringify(manifest) });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /job\.batch\/pi created/);

    const wait = server.kubectl(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s'], { timeoutMs: 70_000 });
    let succeeded = 0;
    while (succeeded < 3) {
      const running = await eventually('a running pod', async () => {
        const pods = (await podsOf('pi')).filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
        assert.ok(pods.length <= 2, `${pods.length} pods running with parallelism 2`);
        return pods[0];
      });
      await succeed(running.metadata.name);
      succeeded++;
    }
    const waited = await wait;
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /job\.batch\/pi condition met/);

    const get = await server.kubectl(['get', 'jobs']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
    assert.match(get.stdout, /\npi\s+Complete\s+3\/3\s+\d+s\s+\d+s/);

    const describe = await server.kubectl(['describe', 'job', 'pi']);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 3 Succeeded \/ 0 Failed/);
    assert.match(describe.stdout, /Completed At:/);
    assert.match(describe.stdout, /SuccessfulCreate\s+.*Created pod: pi-/);
    assert.match(describe.stdout, /Completed\s+.*Job completed/);
    for (const p of await podsOf('pi')) assert.ok(!(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking'));
  });

  it('accepts kubectl create cronjob and runs kubectl create job --from=cronjob/x', async () => {
    const created = await server.kubectl(['create', 'cronjob', 'hello', '--image=busybox', '--schedule=*/1 * * * *', '--', 'echo', 'hi']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /cronjob\.batch\/hello created/);
    const get = await server.kubectl(['get', 'cronjob', 'hello']);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /\nhello\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>/);

    const fromCron = await server.kubectl(['create', 'job', 'manual', '--from=cronjob/hello']);
    assert.equal(fromCron.code, 0, fromCron.stderr);
    assert.match(fromCron.stdout, /job\.batch\/manual created/);
    const job = await server.request('GET', '/apis/batch/v1/namespaces/default/jobs/manual');
    const meta = (JSON.parse(job.body) as { metadata: { annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] } }).metadata;
    assert.equal(meta.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.deepEqual(meta.ownerReferences?.map((r) => [r.kind, r.name]), [['CronJob', 'hello']]);
    // The Job controller runs it like any other Job.
    const [pod] = await eventually('a pod of the manual Job', async () => {
      const pods = await podsOf('manual');
      return pods.length === 1 ? pods : undefined;
    });
    await succeed(pod!.metadata.name);
    const waited = await server.kubectl(['wait', '--for=condition=complete', 'job/manual', '--timeout=30s'], { timeoutMs: 40_000 });
    assert.equal(waited.code, 0, waited.stderr);
  });

  it('rejects TZ= inside a schedule', async () => {
    const r = await server.kubectl(['create', 'cronjob', 'tz', '--image=busybox', '--schedule=TZ=UTC */1 * * * *']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /cannot use TZ or CRON_TZ in schedule, use timeZone field instead/);
  });
});
