import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toTable } from '../../../src/apiserver/table/index.js';
import { MIN, NOW, SEC, ago, cells, headers } from './fixtures.js';

type Json = Record<string, unknown>;

function pod(status: Json, spec: Json = {}, meta: Json = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(10 * MIN), ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
    status,
  };
}

const running = { running: { startedAt: ago(9 * MIN) } };

/** READY, STATUS, RESTARTS of a pod. */
function summary(p: Json): [unknown, unknown, unknown] {
  const c = cells('', 'Pod', p);
  return [c[1], c[2], c[3]];
}

describe('pod table', () => {
  it('has upstream columns', () => {
    assert.deepEqual(headers('', 'Pod'), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP*', 'NODE*', 'NOMINATED NODE*', 'READINESS GATES*']);
  });

  it('prints a terminating pod with 1/2 ready and 3 restarts', () => {
    const p = pod(
      {
        phase: 'Running',
        podIP: '10.0.0.5',
        podIPs: [{ ip: '10.0.0.5' }],
        containerStatuses: [
          { name: 'a', ready: true, restartCount: 3, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(5 * MIN) } } },
          { name: 'b', ready: false, restartCount: 0, state: running },
        ],
      },
      { containers: [{ name: 'a' }, { name: 'b' }], nodeName: 'node1' },
      { deletionTimestamp: ago(10 * SEC) },
    );
    assert.deepEqual(cells('', 'Pod', p), ['p', '1/2', 'Terminating', '3 (5m ago)', '10m', '10.0.0.5', 'node1', '<none>', '<none>']);
  });

  it('computes the STATUS column like upstream', () => {
    const cases: [string, Json, Json | undefined, unknown[]][] = [
      ['pending', { phase: 'Pending' }, undefined, ['0/1', 'Pending', '0']],
      ['creating', { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] }, undefined, ['0/1', 'ContainerCreating', '0']],
      ['image pull', { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } }] }, undefined, ['0/1', 'ErrImagePull', '0']],
      [
        'crash loop',
        {
          phase: 'Running',
          containerStatuses: [
            { name: 'app', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(90 * SEC) } } },
          ],
        },
        undefined,
        ['0/1', 'CrashLoopBackOff', '4 (90s ago)'],
      ],
      ['running', { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] }, undefined, ['1/1', 'Running', '0']],
      ['completed', { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, undefined, ['0/1', 'Completed', '0']],
      ['error', { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, undefined, ['0/1', 'Error', '0']],
      ['exit code', { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }] }, undefined, ['0/1', 'ExitCode:137', '0']],
      ['signal', { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } }] }, undefined, ['0/1', 'Signal:9', '0']],
      ['restarts without a finish time', { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running }] }, undefined, ['1/1', 'Running', '2']],
      ['evicted', { phase: 'Failed', reason: 'Evicted' }, undefined, ['0/1', 'Evicted', '0']],
      [
        'scheduling gated',
        { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
        undefined,
        ['0/1', 'SchedulingGated', '0'],
      ],
    ];
    for (const [label, status, spec, want] of cases) {
      assert.deepEqual(summary(pod(status, spec)), want, label);
    }
  });

  it('shows init container progress and failures', () => {
    const spec = { initContainers: [{ name: 'init', image: 'busybox' }] };
    const init = (state: Json, extra: Json = {}): Json => ({ phase: 'Pending', initContainerStatuses: [{ name: 'init', ready: false, restartCount: 0, state, ...extra }] });
    assert.deepEqual(summary(pod(init({ waiting: { reason: 'PodInitializing' } }), spec)), ['0/1', 'Init:0/1', '0']);
    assert.deepEqual(summary(pod(init(running), spec)), ['0/1', 'Init:0/1', '0']);
    assert.deepEqual(summary(pod(init({ waiting: { reason: 'ErrImagePull' } }), spec)), ['0/1', 'Init:ErrImagePull', '0']);
    assert.deepEqual(
      summary(pod(init({ waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 2, lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * SEC) } } }), spec)),
      ['0/1', 'Init:CrashLoopBackOff', '2 (30s ago)'],
    );
    assert.deepEqual(summary(pod(init({ terminated: { exitCode: 2 } }), spec)), ['0/1', 'Init:ExitCode:2', '0']);
    assert.deepEqual(summary(pod(init({ terminated: { exitCode: 1, reason: 'Error' } }), spec)), ['0/1', 'Init:Error', '0']);
    // A finished init container lets the main containers decide.
    const done = { ...init({ terminated: { exitCode: 0, reason: 'Completed' } }), phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] };
    assert.deepEqual(summary(pod(done, spec)), ['1/1', 'Running', '0']);
  });

  it('counts started sidecars as containers', () => {
    const spec = { initContainers: [{ name: 'side', image: 'busybox', restartPolicy: 'Always' }] };
    const status = {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 1, state: running }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }],
    };
    assert.deepEqual(summary(pod(status, spec)), ['2/2', 'Running', '1']);
  });

  it('reports Completed pods with a running container as Running or NotReady', () => {
    const statuses = [
      { name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'b', ready: true, restartCount: 0, state: running },
    ];
    const spec = { containers: [{ name: 'a' }, { name: 'b' }] };
    assert.deepEqual(summary(pod({ phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] }, spec)), ['1/2', 'Running', '0']);
    assert.deepEqual(summary(pod({ phase: 'Running', containerStatuses: statuses }, spec)), ['1/2', 'NotReady', '0']);
  });

  it('distinguishes deletion of lost, finished and live pods', () => {
    const del = { deletionTimestamp: ago(SEC) };
    assert.equal(summary(pod({ phase: 'Running', reason: 'NodeLost' }, {}, del))[1], 'Unknown');
    assert.equal(summary(pod({ phase: 'Succeeded' }, {}, del))[1], 'Succeeded');
    assert.equal(summary(pod({ phase: 'Pending' }, {}, del))[1], 'Terminating');
  });

  it('prints wide readiness gates and nominated node', () => {
    const p = pod(
      { phase: 'Pending', nominatedNodeName: 'n2', conditions: [{ type: 'example.com/a', status: 'True' }, { type: 'example.com/b', status: 'False' }] },
      { readinessGates: [{ conditionType: 'example.com/a' }, { conditionType: 'example.com/b' }] },
    );
    assert.deepEqual(cells('', 'Pod', p).slice(5), ['<none>', '<none>', 'n2', '1/2']);
  });

  it('marks finished pods with a Completed row condition', () => {
    const t = toTable({ group: '', kind: 'Pod' }, [pod({ phase: 'Succeeded' }), pod({ phase: 'Failed' }), pod({ phase: 'Running' })], { includeObject: 'None', now: NOW });
    assert.deepEqual(t.rows[0]?.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
    assert.deepEqual(t.rows[1]?.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
    assert.equal(t.rows[2]?.conditions, undefined);
  });

  it('survives a pod with no spec or status', () => {
    assert.deepEqual(cells('', 'Pod', { metadata: { name: 'bare' } }), ['bare', '0/0', '', '0', '<unknown>', '<none>', '<none>', '<none>', '<none>']);
  });
});
