// Rolling-update and proportional-scaling arithmetic, against upstream's cases and a simulated
// rollout that checks the maxSurge / maxUnavailable bounds at every step.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newRSNewReplicas, planCleanup, planNewReplicaSet, planOldReplicaSets, planScale, type ScaleStep } from '../../../src/controllers/deployment/plan.js';
import { maxSurge, maxUnavailable, resolveFenceposts, type DeploymentObj, type ReplicaSetObj } from '../../../src/controllers/deployment/util.js';
import { scaledValue } from '../../../src/api/intstr.js';

function deploy(replicas: number, surge: number | string = 0, unavailable: number | string = 0, status: { replicas?: number } = {}): DeploymentObj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'foo', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'foo' } }, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } }, revisionHistoryLimit: 2 },
    status: { replicas: status.replicas ?? 0 },
  };
}

let seq = 0;
function rs(name: string, replicas: number, opts: { available?: number; maxReplicas?: number; desired?: number; age?: number; revision?: number } = {}): ReplicaSetObj {
  const annotations: Record<string, string> = {};
  if (opts.maxReplicas !== undefined) annotations['deployment.kubernetes.io/max-replicas'] = String(opts.maxReplicas);
  if (opts.desired !== undefined) annotations['deployment.kubernetes.io/desired-replicas'] = String(opts.desired);
  if (opts.revision !== undefined) annotations['deployment.kubernetes.io/revision'] = String(opts.revision);
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, uid: `uid-${name}-${seq++}`, annotations, creationTimestamp: new Date(Date.UTC(2025, 0, 1) - (opts.age ?? 0) * 1000).toISOString(), generation: 1 },
    spec: { replicas, selector: { matchLabels: { app: 'foo' } } },
    status: { replicas, availableReplicas: opts.available ?? replicas, observedGeneration: 1 },
  };
}

const sizes = (steps: ScaleStep[]) => Object.fromEntries(steps.map((s) => [s.rs.metadata.name, s.to]));

describe('fenceposts', () => {
  it('rounds surge up and unavailable down; both 0 makes unavailable 1', () => {
    assert.equal(scaledValue('25%', 10, true), 3);
    assert.equal(scaledValue('25%', 10, false), 2);
    assert.equal(scaledValue(4, 10, true), 4);
    assert.deepEqual(resolveFenceposts('25%', '25%', 1), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveFenceposts(0, '10%', 5), { surge: 0, unavailable: 1 });
    assert.equal(maxUnavailable(deploy(2, 0, 5)), 2, 'never more than the replicas');
    assert.equal(maxUnavailable(deploy(0, 1, 1)), 0);
    const recreate = deploy(3, 1, 1);
    recreate.spec.strategy = { type: 'Recreate' };
    assert.equal(maxSurge(recreate), 0);
    assert.equal(maxUnavailable(recreate), 0);
  });
});

describe('rolling update steps', () => {
  it('surges the new ReplicaSet, then scales old ones down within maxUnavailable', () => {
    const d = deploy(10, '25%', '25%');
    const old = rs('foo-v1', 10, { age: 100 });
    const fresh = rs('foo-v2', 0);
    assert.equal(newRSNewReplicas(d, [old, fresh], fresh), 3);
    const grown = { ...fresh, spec: { ...fresh.spec, replicas: 3 }, status: { replicas: 3, availableReplicas: 0 } };
    assert.deepEqual(sizes(planOldReplicaSets(d, [old], grown)), { 'foo-v1': 8 });
  });

  it('does not scale up beyond desired + surge, and shrinks a new ReplicaSet above desired', () => {
    const d = deploy(4, 1, 0);
    assert.deepEqual(planNewReplicaSet(d, [rs('old', 4), rs('new', 1)], rs('new', 1)), []);
    assert.deepEqual(sizes(planNewReplicaSet(d, [rs('new', 6)], rs('new', 6))), { new: 4 });
  });

  it('removes unavailable old replicas first, oldest ReplicaSet first', () => {
    const d = deploy(5, 0, 1);
    const older = rs('v1', 2, { available: 0, age: 200 });
    const old = rs('v2', 3, { available: 3, age: 100 });
    const fresh = rs('v3', 0);
    // maxScaledDown = 5 - 4 - 0 = 1: one unhealthy replica of v1 goes, nothing else.
    assert.deepEqual(
      planOldReplicaSets(d, [old, older], fresh).map((s) => [s.rs.metadata.name, s.to]),
      [
        ['v1', 1],
      ],
    );
  });

  it('keeps maxSurge and maxUnavailable at every step of a simulated rollout', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('25%', '50%', '0%')),
        fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('25%', '50%', '0%')),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 60, maxLength: 60 }),
        (replicas, surge, unavailable, readiness) => {
          const d = deploy(replicas, surge, unavailable);
          const { surge: s, unavailable: u } = { surge: maxSurge(d), unavailable: maxUnavailable(d) };
          const old = rs('old', replicas, { age: 100 });
          let fresh = rs('new', 0);
          const set = (x: ReplicaSetObj, to: number, avail: number) => ({ ...x, spec: { ...x.spec, replicas: to }, status: { replicas: to, availableReplicas: Math.min(avail, to) } });
          let o = old;
          // The random readiness, then everything turning available: the rollout must finish.
          for (const ready of [...readiness, ...Array<number>(3 * replicas + 5).fill(replicas)]) {
            for (const step of planNewReplicaSet(d, [o, fresh], fresh)) fresh = set(fresh, step.to, fresh.status!.availableReplicas ?? 0);
            assert.ok((o.spec.replicas ?? 0) + (fresh.spec.replicas ?? 0) <= replicas + s, 'surge bound');
            // Scaling down deletes unavailable pods first.
            for (const step of planOldReplicaSets(d, o.spec.replicas ? [o] : [], fresh)) o = set(o, step.to, o.status!.availableReplicas ?? 0);
            const available = (o.status!.availableReplicas ?? 0) + (fresh.status!.availableReplicas ?? 0);
            assert.ok(available >= replicas - u, `availability bound: ${available} < ${replicas} - ${u}`);
            fresh = set(fresh, fresh.spec.replicas ?? 0, (fresh.status!.availableReplicas ?? 0) + ready);
          }
          assert.deepEqual([o.spec.replicas, fresh.spec.replicas], [0, replicas], 'the rollout completes');
          return true;
        },
      ),
    );
  });
});

describe('proportional scaling', () => {
  it('10 -> 20 mid-rollout: each ReplicaSet doubles', () => {
    const d = deploy(20);
    assert.deepEqual(sizes(planScale(d, rs('foo-v2', 8, { maxReplicas: 10 }), [rs('foo-v1', 2, { maxReplicas: 10, age: 50 })])), { 'foo-v2': 16, 'foo-v1': 4 });
  });

  it('3 -> 4: the leftover goes to the largest (newest on ties)', () => {
    const d = deploy(4);
    const steps = planScale(d, rs('foo-v3', 1, { maxReplicas: 3 }), [rs('foo-v2', 1, { maxReplicas: 3, age: 10 }), rs('foo-v1', 1, { maxReplicas: 3, age: 20 })]);
    assert.deepEqual(sizes(steps), { 'foo-v3': 2, 'foo-v2': 1, 'foo-v1': 1 });
    assert.ok(steps.every((s) => s.always?.operation === 'up'), 'every active ReplicaSet is written (annotations)');
  });

  it('10 -> 8 scales down proportionally and 10 -> 0 empties everything', () => {
    assert.deepEqual(sizes(planScale(deploy(8), rs('new', 6, { maxReplicas: 10 }), [rs('old', 4, { maxReplicas: 10, age: 9 })])), { new: 5, old: 3 });
    assert.deepEqual(sizes(planScale(deploy(0), rs('new', 6, { maxReplicas: 10 }), [rs('old', 4, { maxReplicas: 10, age: 9 })])), { new: 0, old: 0 });
  });

  it('resizes the only active ReplicaSet, and zeroes old ones beside a saturated new one', () => {
    assert.deepEqual(sizes(planScale(deploy(5), rs('new', 3), [rs('old', 0, { age: 9 })])), { new: 5 });
    assert.deepEqual(planScale(deploy(3), rs('new', 3), []), []);
    const saturated = rs('new', 3, { desired: 3, available: 3 });
    assert.deepEqual(sizes(planScale(deploy(3), saturated, [rs('old', 1, { age: 9 })])), { old: 0 });
  });

  it('keeps the sum at desired + surge and never goes negative (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }), (rsSizes, desired, surge) => {
        const before = rsSizes.reduce((a, b) => a + b, 0);
        const all = rsSizes.map((n, i) => rs(`rs${i}`, n, { maxReplicas: before, age: i }));
        const d = deploy(desired, surge, 1);
        const steps = planScale(d, all[0], all.slice(1));
        const total = steps.reduce((a, s) => a + s.to, 0);
        assert.ok(steps.every((s) => s.to >= 0));
        assert.equal(total, desired === 0 ? 0 : desired + surge);
      }),
    );
  });
});

describe('history cleanup', () => {
  it('deletes the lowest revisions beyond the limit, only when empty', () => {
    const d = deploy(1);
    const old = [rs('r1', 0, { revision: 1 }), rs('r2', 0, { revision: 2 }), rs('r3', 0, { revision: 3 }), rs('r4', 1, { revision: 4 })];
    assert.deepEqual(planCleanup(d, old).map((r) => r.metadata.name), ['r1', 'r2']);
    const busy = [rs('r1', 1, { revision: 1 }), rs('r2', 0, { revision: 2 }), rs('r3', 0, { revision: 3 })];
    assert.deepEqual(planCleanup(d, busy).map((r) => r.metadata.name), [], 'r1 still has pods');
  });
});
