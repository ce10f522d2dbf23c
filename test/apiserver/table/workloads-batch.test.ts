import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, HOUR, MIN, SEC, ago, cells, headers } from './fixtures.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25' }, { name: 'log', image: 'busybox' }] } };

describe('workload tables', () => {
  it('prints deployments', () => {
    assert.deepEqual(headers('apps', 'Deployment'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
    const d = {
      metadata: { name: 'web', creationTimestamp: ago(2 * MIN + 3 * SEC) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 3, readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 },
    };
    assert.deepEqual(cells('apps', 'Deployment', d), ['web', '2/3', 1, 2, '2m3s', 'nginx,log', 'nginx:1.25,busybox', 'app=web']);
    assert.deepEqual(cells('apps', 'Deployment', { metadata: { name: 'new' }, spec: { template } }).slice(1, 4), ['0/1', 0, 0]);
  });

  it('prints replica sets', () => {
    assert.deepEqual(headers('apps', 'ReplicaSet'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
    const rs = {
      metadata: { name: 'web-7d4b9', creationTimestamp: ago(3 * HOUR) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9' } }, template },
      status: { replicas: 3, readyReplicas: 2 },
    };
    assert.deepEqual(cells('apps', 'ReplicaSet', rs), ['web-7d4b9', 3, 3, 2, '3h', 'nginx,log', 'nginx:1.25,busybox', 'app=web,pod-template-hash=7d4b9']);
  });

  it('prints controller revisions with their controller as kind.group/name', () => {
    assert.deepEqual(headers('apps', 'ControllerRevision'), ['NAME', 'CONTROLLER', 'REVISION', 'AGE']);
    const owned = { metadata: { name: 'web-6c9f', creationTimestamp: ago(5 * MIN), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u', controller: true }] }, revision: 2 };
    assert.deepEqual(cells('apps', 'ControllerRevision', owned), ['web-6c9f', 'daemonset.apps/web', 2, '5m']);
    assert.deepEqual(cells('apps', 'ControllerRevision', { metadata: { name: 'loose', creationTimestamp: ago(DAY) }, revision: 1 }).slice(1, 3), ['<none>', 1]);
  });

  it('prints stateful sets', () => {
    assert.deepEqual(headers('apps', 'StatefulSet'), ['NAME', 'READY', 'AGE', 'CONTAINERS*', 'IMAGES*']);
    const sts = { metadata: { name: 'db', creationTimestamp: ago(DAY) }, spec: { replicas: 2, template }, status: { readyReplicas: 1 } };
    assert.deepEqual(cells('apps', 'StatefulSet', sts), ['db', '1/2', '24h', 'nginx,log', 'nginx:1.25,busybox']);
  });

  it('prints daemon sets', () => {
    assert.deepEqual(headers('apps', 'DaemonSet'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
    const ds = {
      metadata: { name: 'proxy', creationTimestamp: ago(10 * DAY) },
      spec: {
        selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['proxy'] }] },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'p', image: 'proxy:1' }] } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    };
    assert.deepEqual(cells('apps', 'DaemonSet', ds), ['proxy', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '10d', 'p', 'proxy:1', 'app in (proxy)']);
  });
});

describe('batch tables', () => {
  it('prints jobs with the 1.30+ STATUS column', () => {
    assert.deepEqual(headers('batch', 'Job'), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
    const base = { metadata: { name: 'j', creationTimestamp: ago(5 * MIN) }, spec: { completions: 3, parallelism: 1, template } };
    const complete = {
      ...base,
      status: {
        succeeded: 3,
        startTime: ago(4 * MIN),
        completionTime: ago(2 * MIN),
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ],
      },
    };
    assert.deepEqual(cells('batch', 'Job', complete), ['j', 'Complete', '3/3', '2m', '5m', 'nginx,log', 'nginx:1.25,busybox', '<none>']);
    assert.deepEqual(cells('batch', 'Job', { ...base, status: { succeeded: 1, startTime: ago(90 * SEC) } }).slice(1, 4), ['Running', '1/3', '90s']);
    assert.deepEqual(cells('batch', 'Job', { ...base, status: {} }).slice(1, 4), ['Running', '0/3', '']);
  });

  it('derives the job status from conditions and deletion', () => {
    const job = (conditions: unknown[], meta: Record<string, unknown> = {}): Record<string, unknown> => ({ metadata: { name: 'j', ...meta }, spec: {}, status: { conditions } });
    assert.equal(cells('batch', 'Job', job([{ type: 'Failed', status: 'True' }]))[1], 'Failed');
    assert.equal(cells('batch', 'Job', job([{ type: 'Suspended', status: 'True' }]))[1], 'Suspended');
    assert.equal(cells('batch', 'Job', job([{ type: 'FailureTarget', status: 'True' }]))[1], 'FailureTarget');
    assert.equal(cells('batch', 'Job', job([{ type: 'Complete', status: 'False' }]))[1], 'Running');
    assert.equal(cells('batch', 'Job', job([{ type: 'Suspended', status: 'True' }], { deletionTimestamp: ago(SEC) }))[1], 'Terminating');
    assert.equal(cells('batch', 'Job', job([{ type: 'Complete', status: 'True' }], { deletionTimestamp: ago(SEC) }))[1], 'Complete');
  });

  it('prints completions without spec.completions', () => {
    assert.equal(cells('batch', 'Job', { metadata: { name: 'j' }, spec: { parallelism: 3 }, status: { succeeded: 1 } })[2], '1/1 of 3');
    assert.equal(cells('batch', 'Job', { metadata: { name: 'j' }, spec: { parallelism: 1 } })[2], '0/1');
  });

  it('prints cron jobs', () => {
    assert.deepEqual(headers('batch', 'CronJob'), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS*', 'IMAGES*', 'SELECTOR*']);
    const cj = {
      metadata: { name: 'backup', creationTimestamp: ago(2 * DAY) },
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template } } },
      status: { active: [{ name: 'backup-1' }], lastScheduleTime: ago(3 * MIN) },
    };
    assert.deepEqual(cells('batch', 'CronJob', cj), ['backup', '*/5 * * * *', '<none>', 'False', 1, '3m', '2d', 'nginx,log', 'nginx:1.25,busybox', '<none>']);
    const never = { metadata: { name: 'n' }, spec: { schedule: '@daily', timeZone: 'Etc/UTC', jobTemplate: {} } };
    assert.deepEqual(cells('batch', 'CronJob', never).slice(1, 6), ['@daily', 'Etc/UTC', '<unset>', 0, '<none>']);
  });
});
