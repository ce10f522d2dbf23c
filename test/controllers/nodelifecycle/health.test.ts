// Node health from heartbeats and Leases, taints from conditions, eviction times from tolerations.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { NodeHealth } from '../../../src/controllers/nodelifecycle/health.js';
import { reconcileTaints } from '../../../src/controllers/nodelifecycle/taints.js';
import { evictionDecision } from '../../../src/controllers/nodelifecycle/tolerations.js';
import { toleratesTaint as tolerates } from '../../../src/api/tolerations.js';

const t0 = Date.parse('2024-05-01T10:00:00Z');

function readyNode(status: string, heartbeat = '2024-05-01T09:59:00Z', extra: Partial<Node['spec']> = {}): Node {
  return {
    metadata: { name: 'n1', creationTimestamp: '2024-05-01T09:00:00Z' },
    spec: { ...extra },
    status: {
      conditions: [
        { type: 'Ready', status, reason: 'KubeletReady', lastHeartbeatTime: heartbeat, lastTransitionTime: '2024-05-01T09:00:00Z' },
        { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: heartbeat, lastTransitionTime: '2024-05-01T09:00:00Z' },
      ],
    },
  };
}

const lease = (renew: string) => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: renew } });

describe('node health', () => {
  it('marks conditions Unknown once neither status nor lease was renewed within the grace period', () => {
    let now = t0;
    const h = new NodeHealth({ now: () => now, gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 });
    assert.equal(h.evaluate(readyNode('True'), lease('2024-05-01T10:00:00.000000Z')).update, undefined);
    now += 30_000;
    // Lease renewed: heard from, the clock restarts.
    assert.equal(h.evaluate(readyNode('True'), lease('2024-05-01T10:00:30.000000Z')).update, undefined);
    now += 39_000;
    const quiet = h.evaluate(readyNode('True'), lease('2024-05-01T10:00:30.000000Z'));
    assert.equal(quiet.update, undefined);
    assert.equal(quiet.remainingMs, 1000);
    now += 2_000;
    const v = h.evaluate(readyNode('True'), lease('2024-05-01T10:00:30.000000Z'));
    assert.equal(v.observed.status, 'True');
    assert.equal(v.current?.status, 'Unknown');
    const ready = v.update?.find((c) => c.type === 'Ready');
    assert.deepEqual(
      { status: ready?.status, reason: ready?.reason, message: ready?.message, hb: ready?.lastHeartbeatTime, tt: ready?.lastTransitionTime },
      { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', hb: '2024-05-01T09:59:00Z', tt: '2024-05-01T10:01:11Z' },
    );
    assert.equal(v.update?.find((c) => c.type === 'MemoryPressure')?.status, 'Unknown');
    assert.deepEqual(
      v.update?.filter((c) => c.reason === 'NodeStatusNeverUpdated').map((c) => c.type),
      ['DiskPressure', 'PIDPressure'],
    );
  });

  it('counts a new heartbeat in the Ready condition as being heard from', () => {
    let now = t0;
    const h = new NodeHealth({ now: () => now, gracePeriodMs: 10_000, startupGracePeriodMs: 60_000 });
    h.evaluate(readyNode('True', '2024-05-01T10:00:00Z'), undefined);
    now += 8_000;
    h.evaluate(readyNode('True', '2024-05-01T10:00:08Z'), undefined);
    now += 8_000;
    assert.equal(h.evaluate(readyNode('True', '2024-05-01T10:00:08Z'), undefined).update, undefined);
  });

  it('gives a node that never posted Ready the startup grace period from its creation', () => {
    let now = Date.parse('2024-05-01T09:00:50Z');
    const h = new NodeHealth({ now: () => now, gracePeriodMs: 10_000, startupGracePeriodMs: 60_000 });
    const fresh: Node = { metadata: { name: 'n1', creationTimestamp: '2024-05-01T09:00:00Z' }, status: {} };
    assert.equal(h.evaluate(fresh, undefined).update, undefined);
    now += 11_000;
    const v = h.evaluate(fresh, undefined);
    assert.equal(v.update?.find((c) => c.type === 'Ready')?.reason, 'NodeStatusNeverUpdated');
    assert.equal(v.update?.find((c) => c.type === 'Ready')?.message, 'Kubelet never posted node status.');
  });
});

describe('controller taints', () => {
  const now = '2024-05-01T10:00:00Z';
  it('adds unreachable or not-ready NoSchedule and NoExecute taints, stamped, keeping others', () => {
    const other: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    const unknown = reconcileTaints({ ...readyNode('Unknown'), spec: { taints: [other] } }, now);
    assert.deepEqual(unknown, [other, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: now }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now }]);
    const swapped = reconcileTaints({ ...readyNode('False'), spec: { taints: unknown } }, '2024-05-01T10:05:00Z');
    assert.deepEqual(
      swapped?.map((t) => `${t.key}:${t.effect}`),
      ['dedicated:NoSchedule', 'node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute'],
    );
    assert.deepEqual(reconcileTaints({ ...readyNode('True'), spec: { taints: swapped } }, now), [other]);
    assert.equal(reconcileTaints({ ...readyNode('True'), spec: { taints: [other] } }, now), undefined);
  });

  it('mirrors spec.unschedulable and keeps timeAdded of taints still wanted', () => {
    const first = reconcileTaints(readyNode('True', undefined, { unschedulable: true }), now);
    assert.deepEqual(first, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: now }]);
    assert.equal(reconcileTaints({ ...readyNode('True', undefined, { unschedulable: true, taints: first }) }, 'later'), undefined);
  });
});

describe('toleration timing', () => {
  const added = '2024-05-01T10:00:00Z';
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: added };
  const seen = () => 0;
  it('evicts untolerated pods at once, tolerated ones after tolerationSeconds from timeAdded', () => {
    assert.equal(evictionDecision([], [unreachable], 0, seen).kind, 'evict');
    assert.deepEqual(evictionDecision([{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }], [unreachable], 0, seen), {
      kind: 'evict',
      at: Date.parse(added) + 2000,
      reason: 'expired',
    });
    assert.deepEqual(evictionDecision([{ operator: 'Exists' }], [unreachable], 0, seen), { kind: 'keep' });
    assert.deepEqual(evictionDecision([], [{ key: 'x', effect: 'NoSchedule' }], 0, seen), { kind: 'keep' });
  });

  it('counts from the pod creation when the pod came after the taint, and takes the earliest taint', () => {
    const tol = [{ operator: 'Exists' as const, tolerationSeconds: 60 }];
    const created = Date.parse('2024-05-01T10:10:00Z');
    assert.equal((evictionDecision(tol, [unreachable], created, seen) as { at: number }).at, created + 60_000);
    const other: Taint = { key: 'maint', effect: 'NoExecute', timeAdded: '2024-05-01T09:00:00Z' };
    assert.equal((evictionDecision(tol, [unreachable, other], 0, seen) as { at: number }).at, Date.parse('2024-05-01T09:01:00Z'));
    const noStamp: Taint = { key: 'maint', effect: 'NoExecute' };
    assert.equal((evictionDecision(tol, [noStamp], 0, () => 5000) as { at: number }).at, 65_000);
  });

  it('matches key, value, effect and operator as upstream', () => {
    const taint: Taint = { key: 'k', value: 'v', effect: 'NoExecute' };
    assert.equal(tolerates({ key: 'k', value: 'v' }, taint), true);
    assert.equal(tolerates({ key: 'k', value: 'w' }, taint), false);
    assert.equal(tolerates({ key: 'k', operator: 'Exists', effect: 'NoSchedule' }, taint), false);
    assert.equal(tolerates({ operator: 'Exists' }, taint), true);
  });
});
