import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { computeStatus, FailedPodBackoff, planManage, planRollingUpdate } from '../../../src/controllers/daemonset/plan.js';
import { newDaemonPod } from '../../../src/controllers/daemonset/pods.js';
import { daemonSet, node, pod } from './fixtures.js';

const now = Date.parse('2024-01-01T01:00:00Z');
const snap = (ds: DaemonSet, nodes: Node[], pods: Pod[], hash = 'new') => ({ ds, nodes, pods, hash, nowMs: now });
const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);

describe('DaemonSet manage', () => {
  it('creates a pod on every eligible node that has none, and removes misplaced ones', () => {
    const nodes = [node('a'), node('b'), node('tainted', { taints: [{ key: 'x', effect: 'NoExecute' }] })];
    const onTainted = pod('tainted', 'new');
    const plan = planManage(snap(daemonSet(), nodes, [pod('a', 'new'), onTainted]), new FailedPodBackoff());
    assert.deepEqual(plan.create, ['b']);
    assert.deepEqual(names(plan.delete), names([onTainted]));
  });

  it('counts an unbound pod as on the node its affinity names (no double create before binding)', () => {
    const plan = planManage(snap(daemonSet(), [node('a')], [pod('a', 'new', { bound: false })]), new FailedPodBackoff());
    assert.deepEqual(plan.create, []);
    assert.deepEqual(plan.delete, []);
  });

  it('keeps the oldest of duplicate pods', () => {
    const old = pod('a', 'new', { created: '2024-01-01T00:00:00Z' });
    const dup = pod('a', 'new', { created: '2024-01-01T00:00:05Z' });
    assert.deepEqual(names(planManage(snap(daemonSet(), [node('a')], [dup, old]), new FailedPodBackoff()).delete), names([dup]));
  });

  it('deletes pods of vanished nodes', () => {
    const orphan = pod('gone', 'new');
    const plan = planManage(snap(daemonSet(), [node('a')], [pod('a', 'new'), orphan]), new FailedPodBackoff());
    assert.deepEqual(names(plan.delete), names([orphan]));
  });

  it('deletes failed pods with per-node backoff and a FailedDaemonPod event', () => {
    const backoff = new FailedPodBackoff(1000, 60_000);
    const failed = pod('a', 'new', { phase: 'Failed', ready: false });
    const first = planManage(snap(daemonSet(), [node('a')], [failed]), backoff);
    assert.deepEqual(names(first.delete), names([failed]));
    assert.equal(first.events[0]?.reason, 'FailedDaemonPod');
    assert.match(first.events[0]?.message ?? '', /^Found failed daemon pod default\/ds-a-new-\d+ on node a, will try to kill it$/);
    // The replacement fails at once: its deletion waits out the backoff.
    const again = planManage(snap(daemonSet(), [node('a')], [pod('a', 'new', { phase: 'Failed', ready: false })]), backoff);
    assert.deepEqual(again.delete, []);
    assert.equal(again.retryAfterMs, 1000);
  });

  it('with surge allowed, keeps one new and one old pod until the new one is available', () => {
    const ds = daemonSet({ maxSurge: 1, maxUnavailable: 0 });
    const old = pod('a', 'old');
    const fresh = pod('a', 'new', { ready: false, created: '2024-01-01T00:00:10Z' });
    assert.deepEqual(planManage(snap(ds, [node('a')], [old, fresh]), new FailedPodBackoff()).delete, []);
    const ready = pod('a', 'new', { created: '2024-01-01T00:00:10Z' });
    assert.deepEqual(names(planManage(snap(ds, [node('a')], [old, ready]), new FailedPodBackoff()).delete), names([old]));
  });
});

describe('DaemonSet rolling update', () => {
  const nodes = [node('a'), node('b'), node('c'), node('d')];

  it('replaces at most maxUnavailable available old pods at a time', () => {
    const pods = nodes.map((n) => pod(n.metadata?.name ?? '', 'old'));
    assert.equal(planRollingUpdate(snap(daemonSet({ maxUnavailable: 1 }), nodes, pods)).delete.length, 1);
    assert.equal(planRollingUpdate(snap(daemonSet({ maxUnavailable: '50%' }), nodes, pods)).delete.length, 2);
  });

  it('waits while an updated pod is not yet available, but replaces unavailable old pods at once', () => {
    const pods = [pod('a', 'new', { ready: false }), pod('b', 'old'), pod('c', 'old', { ready: false }), pod('d', 'old')];
    const plan = planRollingUpdate(snap(daemonSet({ maxUnavailable: 1 }), nodes, pods));
    assert.deepEqual(names(plan.delete), names([pods[2] as Pod]));
  });

  it('counts a node still without a pod as unavailable', () => {
    const pods = [pod('a', 'old'), pod('b', 'old'), pod('c', 'new')];
    assert.equal(planRollingUpdate(snap(daemonSet({ maxUnavailable: 1 }), nodes, pods)).delete.length, 0);
  });

  it('surges new pods next to old ones under maxSurge, and retires old pods whose replacement is available', () => {
    const ds = daemonSet({ maxSurge: 2, maxUnavailable: 0 });
    const pods = nodes.map((n) => pod(n.metadata?.name ?? '', 'old'));
    assert.equal(planRollingUpdate(snap(ds, nodes, pods)).create.length, 2);
    const old = pods[0] as Pod;
    const plan = planRollingUpdate(snap(ds, nodes, [...pods, pod('a', 'new')]));
    assert.deepEqual(names(plan.delete), names([old]));
    assert.equal(plan.create.length, 2);
  });
});

describe('DaemonSet status and pods', () => {
  it('counts scheduled, misscheduled, ready, updated and available pods per node', () => {
    const nodes = [node('a'), node('b'), node('c'), node('off', { labels: { role: 'x' } })];
    const ds = daemonSet({ spec: { nodeSelector: {} }, minReadySeconds: 0 });
    ds.spec!.template.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'role', operator: 'DoesNotExist' }] }] } } };
    const pods = [pod('a', 'new'), pod('b', 'old', { ready: false }), pod('off', 'new')];
    assert.deepEqual(computeStatus(snap(ds, nodes, pods)), {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      numberReady: 1,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });

  it('makes pods pinned to their node with the revision labels, tolerations and owner', () => {
    const ds = daemonSet();
    const p = newDaemonPod(ds, 'n1', 'h4sh');
    assert.equal(p.metadata?.generateName, 'ds-');
    assert.deepEqual(p.metadata?.labels, { app: 'd', 'controller-revision-hash': 'h4sh', 'pod-template-generation': '1' });
    assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]);
    assert.equal(p.spec?.tolerations?.length, 6);
    assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.spec?.nodeName, undefined, 'the scheduler binds it');
  });
});
