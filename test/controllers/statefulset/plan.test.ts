import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { completeRollingUpdate, planStatefulSet, type Action } from '../../../src/controllers/statefulset/plan.js';
import { member, snapshot, statefulSet } from './fixtures.js';

const summary = (actions: Action[]) => actions.map((a) => `${a.kind} ${a.pod.metadata?.name}${a.kind === 'delete' ? ` (${a.reason})` : ''}`);

describe('StatefulSet plan: OrderedReady', () => {
  const set = statefulSet({ replicas: 3 });

  it('creates the lowest missing ordinal only, and only once its predecessors are Running and Ready', () => {
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [])).actions), ['create web-0']);
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [member(set, 0, 'web-r1', 'pending')])).actions), []);
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [member(set, 0, 'web-r1', 'running')])).actions), []);
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [member(set, 0, 'web-r1')])).actions), ['create web-1']);
    // A gap is filled first, whatever exists above it.
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [member(set, 0, 'web-r1'), member(set, 2, 'web-r1')])).actions), ['create web-1']);
  });

  it('waits for a terminating member before going on', () => {
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [member(set, 0, 'web-r1', 'terminating')])).actions), []);
  });

  it('recreates failed members', () => {
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [member(set, 0, 'web-r1', 'failed')])).actions), ['delete web-0 (failed)', 'create web-0']);
  });

  it('scales down from the highest ordinal, one at a time, once all replicas are healthy', () => {
    const two = statefulSet({ replicas: 1 });
    const pods = [0, 1, 2].map((o) => member(two, o, 'web-r1'));
    assert.deepEqual(summary(planStatefulSet(snapshot(two, pods)).actions), ['delete web-2 (scale)']);
    const terminating = [member(two, 0, 'web-r1'), member(two, 1, 'web-r1'), member(two, 2, 'web-r1', 'terminating')];
    assert.deepEqual(summary(planStatefulSet(snapshot(two, terminating)).actions), []);
    const unhealthyReplica = [member(two, 0, 'web-r1', 'running'), member(two, 1, 'web-r1')];
    assert.deepEqual(summary(planStatefulSet(snapshot(two, unhealthyReplica)).actions), []);
  });

  it('honours spec.ordinals.start', () => {
    const shifted = statefulSet({ replicas: 2, start: 5 });
    assert.deepEqual(summary(planStatefulSet(snapshot(shifted, [])).actions), ['create web-5']);
    assert.deepEqual(summary(planStatefulSet(snapshot(shifted, [member(shifted, 5, 'web-r1'), member(shifted, 0, 'web-r1')])).actions), ['create web-6']);
    const full = [member(shifted, 5, 'web-r1'), member(shifted, 6, 'web-r1'), member(shifted, 0, 'web-r1')];
    assert.deepEqual(summary(planStatefulSet(snapshot(shifted, full)).actions), ['delete web-0 (scale)']);
  });
});

describe('StatefulSet plan: Parallel', () => {
  it('creates and deletes everything at once', () => {
    const set = statefulSet({ replicas: 3, parallel: true });
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [])).actions), ['create web-0', 'create web-1', 'create web-2']);
    const down = statefulSet({ replicas: 1, parallel: true });
    const pods = [member(down, 0, 'web-r1', 'pending'), member(down, 1, 'web-r1', 'pending'), member(down, 2, 'web-r1')];
    assert.deepEqual(summary(planStatefulSet(snapshot(down, pods)).actions), ['delete web-2 (scale)', 'delete web-1 (scale)']);
  });
});

describe('StatefulSet plan: rolling update', () => {
  const at = (set: ReturnType<typeof statefulSet>, revs: string[], states: Parameters<typeof member>[3][] = []): Pod[] => revs.map((r, i) => member(set, i, r, states[i] ?? 'ready'));
  const upd = { current: 'web-r1', update: 'web-r2' };

  it('replaces the highest ordinal not at the update revision, one at a time, waiting for health', () => {
    const set = statefulSet({ replicas: 3 });
    let plan = planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1', 'web-r1']), upd));
    assert.deepEqual(summary(plan.actions), ['delete web-2 (update)']);
    assert.equal(plan.status.currentReplicas, 2);
    plan = planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1', 'web-r2'], ['ready', 'ready', 'running']), upd));
    assert.deepEqual(summary(plan.actions), []);
    plan = planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1', 'web-r2']), upd));
    assert.deepEqual(summary(plan.actions), ['delete web-1 (update)']);
  });

  it('leaves ordinals below the partition alone and recreates them at the current revision', () => {
    const set = statefulSet({ replicas: 3, partition: 2 });
    assert.deepEqual(summary(planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1', 'web-r2']), upd)).actions), []);
    const missing = planStatefulSet(snapshot(set, at(set, ['web-r1']), upd));
    assert.deepEqual(summary(missing.actions), ['create web-1']);
    const created = missing.actions[0]?.pod;
    assert.equal(created?.metadata?.labels?.['controller-revision-hash'], 'web-r1');
    assert.equal(created?.spec?.containers[0]?.image, 'v1');
    const above = planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1']), upd)).actions[0]?.pod;
    assert.equal(above?.metadata?.labels?.['controller-revision-hash'], 'web-r2');
    assert.equal(above?.spec?.containers[0]?.image, 'v2');
  });

  it('replaces up to maxUnavailable pods at once when set', () => {
    const set = statefulSet({ replicas: 4, maxUnavailable: 2 });
    assert.deepEqual(summary(planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1', 'web-r1', 'web-r1']), upd)).actions), ['delete web-3 (update)', 'delete web-2 (update)']);
  });

  it('does nothing under OnDelete', () => {
    const set = statefulSet({ replicas: 2, onDelete: true });
    assert.deepEqual(summary(planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r1']), upd)).actions), []);
  });

  it('counts revisions in the status and completes the rollout once every replica is updated and ready', () => {
    const set = statefulSet({ replicas: 2, partition: 1 });
    const mid = planStatefulSet(snapshot(set, at(set, ['web-r1', 'web-r2']), upd)).status;
    assert.deepEqual([mid.replicas, mid.readyReplicas, mid.currentReplicas, mid.updatedReplicas], [2, 2, 1, 1]);
    assert.equal(completeRollingUpdate(set, mid).currentRevision, 'web-r1');
    const done = completeRollingUpdate(set, planStatefulSet(snapshot(set, at(set, ['web-r2', 'web-r2']), upd)).status);
    assert.equal(done.currentRevision, 'web-r2');
    assert.equal(done.currentReplicas, 2);
  });
});

describe('StatefulSet plan: claims', () => {
  it('waits while a claim still belongs to an earlier pod of the same name', () => {
    const set = statefulSet({ replicas: 1, claims: true, retention: { whenDeleted: 'Retain', whenScaled: 'Delete' } });
    const stale = { metadata: { name: 'data-web-0', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'gone', controller: true }] } };
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [], { claims: [stale] })).actions), []);
    assert.deepEqual(summary(planStatefulSet(snapshot(set, [])).actions), ['create web-0']);
  });

  it('marks condemned claims for deletion before scaling down under whenScaled: Delete', () => {
    const set = statefulSet({ replicas: 1, claims: true, retention: { whenDeleted: 'Retain', whenScaled: 'Delete' } });
    const pods = [member(set, 0, 'web-r1'), member(set, 1, 'web-r1')];
    const claims = [{ metadata: { name: 'data-web-0' } }, { metadata: { name: 'data-web-1' } }];
    assert.deepEqual(summary(planStatefulSet(snapshot(set, pods, { claims })).actions), ['fixClaims web-1', 'delete web-1 (scale)']);
  });
});
