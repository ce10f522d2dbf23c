import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { buildLease, buildNode, conditionsDiffer, microTime, nodeConditions, renewOffset } from '../../src/sim/node.js';
import { resolveOptions } from '../../src/sim/options.js';
import { realClock } from '../../src/client/workqueue.js';
import type { Client } from '../../src/client/client.js';

const opts = (o: Record<string, unknown> = {}) => resolveOptions({ client: {} as Client, nodes: 3, ...o }, realClock);
const T = Date.parse('2025-01-02T03:04:05.678Z');

describe('simulated node objects', () => {
  it('builds a node as the kubelet registers it', () => {
    const node = buildNode('sim-node-1', 1, opts({ zones: 2, labels: { team: 'a' }, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], capacity: { 'nvidia.com/gpu': '8' }, allocatable: { cpu: '31' } }), T);
    const labels = node.metadata.labels ?? {};
    assert.equal(labels['kubernetes.io/hostname'], 'sim-node-1');
    assert.equal(labels['kubernetes.io/os'], 'linux');
    assert.equal(labels['kubernetes.io/arch'], 'amd64');
    assert.equal(labels['skiff.dev/sim'], 'true');
    assert.equal(labels['topology.kubernetes.io/zone'], 'zone-1');
    assert.equal(labels.team, 'a');
    assert.deepEqual((node.spec as { taints: unknown }).taints, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]);
    const status = node.status as Record<string, Record<string, unknown> & unknown[]>;
    assert.equal(status.capacity!.cpu, '32');
    assert.equal(status.capacity!['nvidia.com/gpu'], '8');
    assert.equal(status.allocatable!.cpu, '31');
    assert.equal(status.allocatable!.memory, '256Gi');
    assert.deepEqual(status.addresses, [{ type: 'InternalIP', address: '172.16.0.2' }, { type: 'Hostname', address: 'sim-node-1' }]);
    assert.deepEqual(status.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
    assert.equal((status.nodeInfo as unknown as Record<string, string>).kubeletVersion, 'v1.31.0');
    const conds = status.conditions as unknown as NodeCondition[];
    assert.deepEqual(conds.map((c) => [c.type, c.status, c.reason]), [
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    assert.equal(conds[3]!.lastHeartbeatTime, '2025-01-02T03:04:05Z');
  });

  it('keeps a condition transition time while its status holds, and notices a changed condition', () => {
    const first = nodeConditions(T);
    const later = nodeConditions(T + 60_000, first);
    assert.equal(later[3]!.lastTransitionTime, first[3]!.lastTransitionTime);
    assert.notEqual(later[3]!.lastHeartbeatTime, first[3]!.lastHeartbeatTime);
    assert.equal(conditionsDiffer(later), false);
    const unknown = later.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c));
    assert.equal(conditionsDiffer(unknown), true);
    assert.equal(conditionsDiffer(undefined), true);
    const back = nodeConditions(T + 120_000, unknown);
    assert.equal(back[3]!.lastTransitionTime, '2025-01-02T03:06:05Z');
  });

  it('builds the lease owned by its node with a MicroTime renewTime', () => {
    const lease = buildLease('sim-node-0', 'uid-1', 40, T, '17');
    assert.equal(lease.metadata.namespace, 'kube-node-lease');
    assert.equal(lease.metadata.resourceVersion, '17');
    assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-node-0', uid: 'uid-1' }]);
    assert.deepEqual(lease.spec, { holderIdentity: 'sim-node-0', leaseDurationSeconds: 40, renewTime: '2025-01-02T03:04:05.678000Z' });
    assert.equal(microTime(T), '2025-01-02T03:04:05.678000Z');
  });

  it('spreads renewals evenly over the interval', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6000 }), fc.integer({ min: 100, max: 20_000 }), (n, interval) => {
        const offs = Array.from({ length: n }, (_, i) => renewOffset(i, n, interval));
        const maxGap = Math.ceil(interval / n);
        for (let i = 0; i < n; i++) {
          const o = offs[i] as number;
          assert.ok(o >= 0 && o < interval);
          const next = i + 1 < n ? (offs[i + 1] as number) : interval + (offs[0] as number);
          assert.ok(next - o <= maxGap, `gap ${next - o} after offset ${o} > ${maxGap}`);
        }
        const same = new Map<number, number>();
        for (const o of offs) same.set(o, (same.get(o) ?? 0) + 1);
        assert.ok(Math.max(...same.values()) <= Math.ceil(n / interval));
      }),
    );
  });
});
