import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterEvent } from '../../src/scheduler/framework/types.js';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { PrioritySort } from '../../src/scheduler/plugins/prioritysort.js';
import { SchedulingGates } from '../../src/scheduler/plugins/schedulinggates.js';
import { makePod } from './fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';

const registered: Record<string, ClusterEvent[]> = { NodeResourcesFit: ['PodDelete', 'NodeAdd', 'NodeUpdate'], NodeAffinity: ['NodeAdd', 'NodeUpdate'] };

function newQueue(clock = new FakeClock(1_000_000)) {
  const gates = new SchedulingGates();
  const ps = new PrioritySort();
  const q = new SchedulingQueue({
    less: (a, b) => ps.less(a, b),
    clock,
    pluginEvents: (p) => (registered[p] ? new Set(registered[p]) : 'all'),
    preEnqueue: (pi) => gates.preEnqueue(pi),
  });
  return { q, clock };
}

/** Pops `name` and fails it, rejected by `plugins` (none: an error). */
async function popAndFail(q: SchedulingQueue, plugins: string[] = []): Promise<string> {
  const qp = (await q.pop())!;
  qp.unschedulablePlugins = new Set(plugins);
  q.addUnschedulableIfNotPresent(qp);
  return qp.podInfo.key;
}

describe('scheduling queue', () => {
  it('pops by priority, then by arrival', async () => {
    const { q, clock } = newQueue();
    q.add(makePod('low').priority(1).obj());
    clock.advance(1);
    q.add(makePod('high').priority(100).obj());
    clock.advance(1);
    q.add(makePod('low2').priority(1).obj());
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())!.podInfo.pod.metadata!.name);
    assert.deepEqual(order, ['high', 'low', 'low2']);
  });

  it('backs off 1 s doubling to 10 s after failures without a rejecting plugin', async () => {
    const { q, clock } = newQueue();
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10000, 10000]);
    q.add(makePod('p').obj());
    const key = await popAndFail(q);
    assert.equal(q.where(key), 'backoff');
    clock.advance(999);
    assert.equal(q.where(key), 'backoff');
    clock.advance(1);
    assert.equal(q.where(key), 'active');
    await popAndFail(q);
    clock.advance(1999);
    assert.equal(q.where(key), 'backoff', 'the second failure waits 2 s');
    clock.advance(1);
    assert.equal(q.where(key), 'active');
  });

  it('moves a rejected pod back only on an event a rejecting plugin registered', async () => {
    const { q, clock } = newQueue();
    q.add(makePod('p').obj());
    const key = await popAndFail(q, ['NodeResourcesFit']);
    assert.equal(q.where(key), 'unschedulable');
    q.moveAllToActiveOrBackoffQueue('PodAdd');
    assert.equal(q.where(key), 'unschedulable', 'NodeResourcesFit did not register PodAdd');
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    assert.equal(q.where(key), 'backoff', 'its backoff has not ended yet');
    clock.advance(1000);
    assert.equal(q.where(key), 'active');
  });

  it('moves straight to active when the backoff already ended', async () => {
    const { q, clock } = newQueue();
    q.add(makePod('p').obj());
    const key = await popAndFail(q, ['NodeAffinity']);
    clock.advance(5000);
    q.moveAllToActiveOrBackoffQueue('NodeUpdate');
    assert.equal(q.where(key), 'active');
  });

  it('a plugin that registers nothing is interested in every event', async () => {
    const { q } = newQueue();
    q.add(makePod('p').obj());
    const key = await popAndFail(q, ['SomeOutOfTreePlugin']);
    q.moveAllToActiveOrBackoffQueue('PodUpdate');
    assert.equal(q.where(key), 'backoff');
  });

  it('flushes pods unschedulable for more than 5 minutes (checked every 30 s)', async () => {
    const { q, clock } = newQueue();
    const ac = new AbortController();
    q.start(ac.signal);
    try {
      q.add(makePod('p').obj());
      const key = await popAndFail(q, ['NodeAffinity']);
      clock.advance(5 * 60_000);
      assert.equal(q.where(key), 'unschedulable');
      clock.advance(30_000);
      assert.equal(q.where(key), 'active');
    } finally {
      ac.abort();
    }
  });

  it('an event while the pod is being scheduled sends it to backoff instead of waiting', async () => {
    const { q } = newQueue();
    q.add(makePod('p').obj());
    const qp = (await q.pop())!;
    q.moveAllToActiveOrBackoffQueue('NodeAdd');
    qp.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulableIfNotPresent(qp);
    assert.equal(q.where(qp.podInfo.key), 'backoff');
    // An event no rejecting plugin registered does not count.
    q.add(makePod('p2').obj());
    const qp2 = (await q.pop())!;
    q.moveAllToActiveOrBackoffQueue('PodAdd');
    qp2.unschedulablePlugins = new Set(['NodeResourcesFit']);
    q.addUnschedulableIfNotPresent(qp2);
    assert.equal(q.where(qp2.podInfo.key), 'unschedulable');
  });

  it('a spec update moves an unschedulable pod; a status update does not', async () => {
    const { q } = newQueue();
    const pod = makePod('p').obj();
    q.add(pod);
    const key = await popAndFail(q, ['NodeAffinity']);
    const statusOnly = { ...pod, metadata: { ...pod.metadata, resourceVersion: '9' }, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } };
    q.update(pod, statusOnly);
    assert.equal(q.where(key), 'unschedulable');
    const relabelled = { ...statusOnly, metadata: { ...statusOnly.metadata, labels: { app: 'x' } } };
    q.update(statusOnly, relabelled);
    assert.equal(q.where(key), 'backoff');
  });

  it('keeps gated pods out until their gates are removed', async () => {
    const { q } = newQueue();
    const gated = makePod('g').gate('wait').obj();
    q.add(gated);
    assert.equal(q.where('default/g'), 'gated');
    q.update(gated, { ...gated, spec: { ...gated.spec!, schedulingGates: [] } });
    assert.equal(q.where('default/g'), 'active');
    assert.equal((await q.pop())!.podInfo.key, 'default/g');
  });

  it('delete removes the pod from every queue and from the nominations', async () => {
    const { q } = newQueue();
    const pod = { ...makePod('p').obj(), status: { nominatedNodeName: 'n1' } };
    q.add(pod);
    assert.deepEqual(q.nominator.forNode('n1').map((p) => p.key), ['default/p']);
    q.delete(pod);
    assert.equal(q.where('default/p'), undefined);
    assert.deepEqual(q.nominator.forNode('n1'), []);
  });

  it('pop waits for a pod and returns undefined once closed', async () => {
    const { q } = newQueue();
    const waiting = q.pop();
    q.add(makePod('late').obj());
    assert.equal((await waiting)!.podInfo.key, 'default/late');
    const never = q.pop();
    q.close();
    assert.equal(await never, undefined);
  });
});
