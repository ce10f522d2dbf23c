import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { containerID, crashLoopStatus, imageID, pendingStatus, runningStatus, startedBySim, terminatedStatus } from '../../src/sim/podstatus.js';

const T = Date.parse('2025-01-02T03:04:05Z');
const ctx = { now: T, hostIP: '172.16.0.1', podIP: '10.244.0.2' };

function pod(extra: Partial<Pod['spec']> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u-1' },
    spec: { nodeName: 'sim-node-0', containers: [{ name: 'app', image: 'nginx:1.27' }, { name: 'side', image: 'busybox' }], ...extra },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
  };
}

const condMap = (s: { conditions?: { type: string; status: string; reason?: string }[] }) => Object.fromEntries((s.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));

describe('simulated pod statuses', () => {
  it('Running: ready containers with fake IDs, addresses and every kubelet condition True', () => {
    const s = runningStatus(pod(), ctx);
    assert.equal(s.phase, 'Running');
    assert.deepEqual(condMap(s), {
      PodReadyToStartContainers: ['True', undefined],
      Initialized: ['True', undefined],
      Ready: ['True', undefined],
      ContainersReady: ['True', undefined],
      PodScheduled: ['True', undefined],
    });
    // The scheduler's PodScheduled time is kept.
    assert.equal(s.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime, '2025-01-01T00:00:00Z');
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime, '2025-01-02T03:04:05Z');
    assert.deepEqual([s.hostIP, s.hostIPs, s.podIP, s.podIPs, s.startTime], ['172.16.0.1', [{ ip: '172.16.0.1' }], '10.244.0.2', [{ ip: '10.244.0.2' }], '2025-01-02T03:04:05Z']);
    const app = s.containerStatuses![0]!;
    assert.equal(app.ready, true);
    assert.equal(app.started, true);
    assert.equal(app.restartCount, 0);
    assert.equal(app.image, 'nginx:1.27');
    assert.match(app.imageID, /^nginx@sha256:[0-9a-f]{64}$/);
    assert.match(app.containerID ?? '', /^sim:\/\/[0-9a-f]{64}$/);
    assert.equal(app.containerID, containerID('u-1', 'app'));
    assert.deepEqual(app.state, { running: { startedAt: '2025-01-02T03:04:05Z' } });
    assert.equal('qosClass' in s, false);
    assert.equal(startedBySim({ ...pod(), status: s }), true);
    assert.equal(startedBySim(pod()), false);
  });

  it('completes init containers and runs sidecars', () => {
    const s = runningStatus(pod({ initContainers: [{ name: 'init', image: 'busybox' }, { name: 'proxy', image: 'envoy', restartPolicy: 'Always' } as never] }), ctx);
    const [init, proxy] = s.initContainerStatuses!;
    assert.deepEqual(init!.state?.terminated?.exitCode, 0);
    assert.equal(init!.state?.terminated?.reason, 'Completed');
    assert.equal(init!.ready, true);
    assert.ok(proxy!.state?.running);
  });

  it('Pending: containers being created, not ready, no pod IP yet', () => {
    const s = pendingStatus(pod(), ctx);
    assert.equal(s.phase, 'Pending');
    assert.equal(s.podIP, undefined);
    assert.equal(s.hostIP, '172.16.0.1');
    assert.deepEqual(s.containerStatuses!.map((c) => c.state?.waiting?.reason), ['ContainerCreating', 'ContainerCreating']);
    assert.deepEqual(condMap(s).Ready, ['False', 'ContainersNotReady']);
    assert.equal(s.conditions?.find((c) => c.type === 'Ready')?.message, 'containers with unready status: [app side]');
    assert.equal(startedBySim({ ...pod(), status: s }), false);
  });

  it('Succeeded: every container exited 0, conditions say PodCompleted', () => {
    const running = { ...pod(), status: runningStatus(pod(), { ...ctx, now: T - 5000 }) };
    const s = terminatedStatus(running, ctx, 'Succeeded');
    assert.equal(s.phase, 'Succeeded');
    assert.deepEqual(condMap(s).Ready, ['False', 'PodCompleted']);
    assert.deepEqual(condMap(s).ContainersReady, ['False', 'PodCompleted']);
    for (const c of s.containerStatuses!) {
      assert.equal(c.state?.terminated?.exitCode, 0);
      assert.equal(c.state?.terminated?.reason, 'Completed');
      assert.equal(c.state?.terminated?.startedAt, '2025-01-02T03:04:00Z');
      assert.equal(c.state?.terminated?.finishedAt, '2025-01-02T03:04:05Z');
      assert.equal(c.ready, false);
    }
  });

  it('Failed: the first container exited 1 with Error', () => {
    const s = terminatedStatus(pod({ restartPolicy: 'Never' }), ctx, 'Failed');
    assert.equal(s.phase, 'Failed');
    assert.deepEqual(s.containerStatuses!.map((c) => [c.state?.terminated?.exitCode, c.state?.terminated?.reason]), [[1, 'Error'], [0, 'Completed']]);
    assert.deepEqual(condMap(s).Ready, ['False', 'PodFailed']);
  });

  it('CrashLoopBackOff: restarted once, waiting, the last state exit code 1, pod not ready', () => {
    const s = crashLoopStatus(pod(), ctx);
    assert.equal(s.phase, 'Running');
    const app = s.containerStatuses![0]!;
    assert.equal(app.restartCount, 1);
    assert.equal(app.ready, false);
    assert.equal(app.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.equal(app.lastState?.terminated?.exitCode, 1);
    assert.equal(s.containerStatuses![1]!.ready, true);
    assert.deepEqual(condMap(s).Ready, ['False', 'ContainersNotReady']);
  });

  it('derives image IDs from the repository', () => {
    assert.match(imageID('registry:5000/team/app:v1'), /^registry:5000\/team\/app@sha256:/);
    assert.match(imageID('registry:5000/app'), /^registry:5000\/app@sha256:/);
    assert.equal(imageID('app@sha256:abc'), 'app@sha256:abc');
  });
});
