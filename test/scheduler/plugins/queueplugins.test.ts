// PrioritySort, SchedulingGates and DefaultBinder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code, CycleState, type QueuedPodInfo } from '../../../src/scheduler/framework/types.js';
import { PrioritySort } from '../../../src/scheduler/plugins/prioritysort.js';
import { SchedulingGates } from '../../../src/scheduler/plugins/schedulinggates.js';
import { DefaultBinder } from '../../../src/scheduler/plugins/defaultbinder.js';
import { podInfoFrom } from '../../../src/scheduler/plugins/podinfo-terms.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';
import { handleOf, makePod } from '../fixtures.js';

const qp = (prio: number | undefined, timestamp: number): QueuedPodInfo => {
  const b = makePod(`p${prio}-${timestamp}`);
  if (prio !== undefined) b.priority(prio);
  return { podInfo: podInfoFrom(b.obj()), timestamp, attempts: 0, unschedulablePlugins: new Set() };
};

describe('PrioritySort', () => {
  const ps = new PrioritySort();
  it('higher priority first, then the earlier timestamp', () => {
    assert.equal(ps.less(qp(10, 2), qp(5, 1)), true);
    assert.equal(ps.less(qp(5, 1), qp(10, 2)), false);
    assert.equal(ps.less(qp(5, 1), qp(5, 2)), true);
    assert.equal(ps.less(qp(5, 2), qp(5, 1)), false);
    assert.equal(ps.less(qp(undefined, 1), qp(-1, 0)), true, 'no priority counts as 0');
  });
});

describe('SchedulingGates', () => {
  it('keeps gated pods out, naming the gates', () => {
    const s = new SchedulingGates().preEnqueue(podInfoFrom(makePod('p').gate('a').gate('b').obj()));
    assert.equal(s.code, Code.UnschedulableAndUnresolvable);
    assert.deepEqual(s.reasons, ['waiting for scheduling gates: [a b]']);
    assert.equal(new SchedulingGates().preEnqueue(podInfoFrom(makePod('p').obj())).code, Code.Success);
  });
});

describe('DefaultBinder', () => {
  it('binds through the handle and turns failures into Error statuses', async () => {
    const calls: string[] = [];
    const handle = { ...handleOf(snapshotOf([])), bindPod: async (pod: { metadata?: { name?: string } }, node: string) => void calls.push(`${pod.metadata?.name}->${node}`) };
    const pod = podInfoFrom(makePod('p').obj());
    assert.equal((await new DefaultBinder(handle).bind(new CycleState(), pod, 'n1')).code, Code.Success);
    assert.deepEqual(calls, ['p->n1']);
    const failing = { ...handle, bindPod: async () => Promise.reject(new Error('pod p is already assigned to node "n2"')) };
    const s = await new DefaultBinder(failing).bind(new CycleState(), pod, 'n1');
    assert.equal(s.code, Code.Error);
    assert.match(s.reasons[0]!, /already assigned/);
  });
});
