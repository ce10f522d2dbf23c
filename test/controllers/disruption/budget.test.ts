// The budget arithmetic: scaled values (percentages round up), desired and allowed counts, healthy
// pods and the disruptedPods map with its timeout, and the DisruptionAllowed condition.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  conditionsUpToDate,
  countHealthy,
  deletionTimeoutMs,
  desiredHealthyFor,
  disruptionsAllowedFor,
  needsControllerScale,
  pruneDisruptedPods,
  withDisruptionAllowedCondition,
} from '../../../src/controllers/disruption/budget.js';
import { scaledValue } from '../../../src/api/intstr.js';

const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(name: string, ready: boolean, deleting = false): Pod {
  return {
    metadata: { name, ...(deleting ? { deletionTimestamp: at(0) } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

describe('budget arithmetic', () => {
  it('scales integers as they are and percentages of the total, rounding up', () => {
    assert.equal(scaledValue(3, 10, true), 3);
    assert.equal(scaledValue('50%', 3, true), 2);
    assert.equal(scaledValue('50%', 3, false), 1);
    assert.equal(scaledValue('10%', 1, true), 1);
    assert.equal(scaledValue('0%', 7, true), 0);
    assert.equal(scaledValue('100%', 7, true), 7);
    assert.throws(() => scaledValue('5', 10, true), /string is not a percentage/);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 10_000 }), (pct, total) => {
        const up = scaledValue(`${pct}%`, total, true);
        // The smallest integer at least pct% of total.
        assert.ok(up * 100 >= pct * total && (up - 1) * 100 < pct * total);
      }),
    );
  });

  it('needs the controllers’ scale for percentages and maxUnavailable only', () => {
    assert.equal(needsControllerScale({ minAvailable: 2 }), false);
    assert.equal(needsControllerScale({ minAvailable: '50%' }), true);
    assert.equal(needsControllerScale({ maxUnavailable: 1 }), true);
    assert.equal(needsControllerScale({ maxUnavailable: '25%' }), true);
    assert.equal(needsControllerScale({}), false);
  });

  it('derives desiredHealthy from minAvailable or maxUnavailable', () => {
    assert.equal(desiredHealthyFor({ minAvailable: 2 }, 5), 2);
    assert.equal(desiredHealthyFor({ minAvailable: '50%' }, 5), 3);
    assert.equal(desiredHealthyFor({ maxUnavailable: 1 }, 5), 4);
    // maxUnavailable rounds up too: ceil(25% of 5) = 2 may be down.
    assert.equal(desiredHealthyFor({ maxUnavailable: '25%' }, 5), 3);
    assert.equal(desiredHealthyFor({ maxUnavailable: 7 }, 5), 0);
    assert.equal(desiredHealthyFor({}, 5), 0);
  });

  it('allows healthy minus desired disruptions, never negative, none while no pod is expected', () => {
    assert.equal(disruptionsAllowedFor(3, 2, 3), 1);
    assert.equal(disruptionsAllowedFor(1, 2, 3), 0);
    assert.equal(disruptionsAllowedFor(3, 0, 0), 0);
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), fc.nat(50), (healthy, desired, expected) => {
        const a = disruptionsAllowedFor(healthy, desired, expected);
        assert.ok(a >= 0 && a <= healthy);
        if (expected > 0 && healthy > desired) assert.equal(a, healthy - desired);
      }),
    );
  });

  it('counts ready pods that are neither being deleted nor recently disrupted', () => {
    const now = 1_000_000_000;
    const pods = [pod('a', true), pod('b', true), pod('c', false), pod('d', true, true), pod('e', true)];
    assert.equal(countHealthy(pods, {}, now), 3);
    // b was evicted a minute ago: not counted; e's eviction is older than the timeout: counted again.
    assert.equal(countHealthy(pods, { b: at(now - 60_000), e: at(now - deletionTimeoutMs - 1000) }, now), 2);
  });

  it('keeps disruptedPods entries within the timeout and schedules a recheck at the earliest expiry', () => {
    const now = 1_000_000_000;
    const pods = [pod('recent', true), pod('older', true), pod('stale', true), pod('deleting', true, true)];
    const map = {
      recent: at(now - 10_000),
      older: at(now - 60_000),
      stale: at(now - deletionTimeoutMs - 5000),
      deleting: at(now - 1000),
      gone: at(now - 1000),
    };
    const r = pruneDisruptedPods(pods, map, now);
    assert.deepEqual(r.kept, { recent: map.recent, older: map.older });
    assert.equal(r.recheckAtMs, Date.parse(map.older) + deletionTimeoutMs);
    assert.deepEqual(r.expired.map((p) => p.metadata?.name), ['stale']);
    assert.deepEqual(pruneDisruptedPods(pods, undefined, now), { kept: {}, expired: [] });
  });

  it('sets DisruptionAllowed with SufficientPods / InsufficientPods and moves the transition time only on change', () => {
    const base = { currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, observedGeneration: 4 };
    const s1 = withDisruptionAllowedCondition(base, 't1');
    assert.deepEqual(s1.conditions, [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: 4, lastTransitionTime: 't1' }]);
    assert.equal(conditionsUpToDate(s1, 4), true);
    assert.equal(conditionsUpToDate(s1, 5), false);
    const s2 = withDisruptionAllowedCondition({ ...s1, disruptionsAllowed: 1 }, 't2');
    assert.equal(s2.conditions?.[0]?.lastTransitionTime, 't1');
    const s3 = withDisruptionAllowedCondition({ ...s1, disruptionsAllowed: 0 }, 't3');
    assert.deepEqual(
      s3.conditions?.map((c) => [c.status, c.reason, c.lastTransitionTime]),
      [['False', 'InsufficientPods', 't3']],
    );
    assert.equal(conditionsUpToDate({ ...s1, disruptionsAllowed: 0 }, 4), false);
  });
});
