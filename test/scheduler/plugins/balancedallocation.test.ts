import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newBalancedAllocation } from '../../../src/scheduler/plugins/balancedallocation.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';
import { handleOf, makeNode, makePod, scoreAll } from '../fixtures.js';

const handle = handleOf(snapshotOf([]));

describe('NodeResourcesBalancedAllocation', () => {
  const n1 = makeNode('n1').capacity({ cpu: '4', memory: '10000' }).obj();
  const n2 = makeNode('n2').capacity({ cpu: '6', memory: '10000' }).obj();

  it('scores (1 - std of the requested fractions) * 100: even use wins', () => {
    const s = scoreAll(newBalancedAllocation(undefined, handle), makePod('p').req({ cpu: '3', memory: '5000' }).obj(), [n1, n2])!;
    // n1: 0.75 and 0.5 → std 0.125 → 87; n2: 0.5 and 0.5 → 100
    assert.deepEqual(Object.fromEntries(s), { n1: 87, n2: 100 });
  });

  it('counts pods already on the node with their actual requests', () => {
    const on = makePod('on').req({ cpu: '1', memory: '0' }).node('n1').obj();
    const s = scoreAll(newBalancedAllocation(undefined, handle), makePod('p').req({ cpu: '1', memory: '5000' }).obj(), [n1], [on])!;
    // cpu 2/4 = 0.5, memory 0.5 → 100
    assert.equal(s.get('n1'), 100);
  });

  it('skips pods that request nothing (best effort)', () => {
    assert.equal(scoreAll(newBalancedAllocation(undefined, handle), makePod('p').obj(), [n1, n2]), undefined);
  });
});
