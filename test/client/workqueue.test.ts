import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from '../../src/client/workqueue.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Resolves with the promise's value, or 'pending' if it has not settled after a tick. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setImmediate(() => r('pending')))]);
}

test('duplicate keys collapse and keep first-queued order', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(await peek(q.get()), 'pending');
});

test('a key being processed is not handed to a second worker; re-added it is queued after done', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a');
  q.add('a');
  const second = q.get();
  assert.equal(await peek(second), 'pending', 'a is processing: nobody else gets it');
  q.done('a');
  assert.equal(await second, 'a', 'the re-add comes out once done');
  q.done('a');
  assert.equal(q.len(), 0);
  assert.equal(await peek(q.get()), 'pending', 'and only once');
});

test('waiting workers each get a different key', async () => {
  const q = new WorkQueue();
  const w1 = q.get();
  const w2 = q.get();
  q.add('x');
  q.add('x');
  q.add('y');
  assert.deepEqual([await w1, await w2], ['x', 'y']);
});

test('rate-limited backoff doubles from 5 ms, caps at 1000 s, and forget resets it', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const growth: number[] = [];
  for (let i = 0; i < 20; i++) {
    growth.push(q.nextDelay('k'));
    q.addRateLimited('k');
  }
  assert.deepEqual(growth.slice(0, 5), [5, 10, 20, 40, 80]);
  assert.equal(growth[19], 1_000_000, 'capped at 1000 s');
  assert.equal(q.numRequeues('k'), 20);
  q.forget('k');
  assert.equal(q.numRequeues('k'), 0);
  assert.equal(q.nextDelay('k'), 5);
});

test('addRateLimited delays the key by its backoff on the injected clock', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addRateLimited('k'); // 5 ms
  assert.equal(q.len(), 0);
  clock.advance(4);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'k');
  q.done('k');
  q.addRateLimited('k'); // 10 ms
  clock.advance(9);
  assert.equal(q.len(), 0);
  clock.advance(1);
  assert.equal(await q.get(), 'k');
});

test('addAfter keeps the earliest of several delays for one key', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  q.addAfter('k', 100);
  q.addAfter('k', 50);
  q.addAfter('k', 200);
  assert.equal(clock.pending(), 1);
  clock.advance(50);
  assert.equal(q.len(), 1);
  clock.advance(500);
  assert.equal(q.len(), 1, 'the dropped delays do not add it again');
});

test('shutDown drains queued keys, then get resolves undefined; adds are ignored', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue({ clock });
  const waiting = q.get();
  q.add('a');
  assert.equal(await waiting, 'a');
  q.add('b');
  q.addAfter('c', 10);
  const idle = new WorkQueue();
  const idleGet = idle.get();
  idle.shutDown();
  assert.equal(await idleGet, undefined, 'a waiting worker is released');
  q.shutDown();
  q.add('d');
  assert.equal(await q.get(), 'b');
  assert.equal(await q.get(), undefined);
  assert.equal(clock.pending(), 0, 'delayed adds are dropped');
});
