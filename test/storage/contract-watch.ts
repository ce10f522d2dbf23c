// Watch tests of the store contract: ordering, exactly-once delivery across the switch from
// replay to live events, prefix filtering, and close.

import assert from 'node:assert/strict';
import type { WatchEvent } from '../../src/storage/store.js';
import { Collector, keyOf, revisionOf } from './contract-helpers.js';
import type { StoreTest } from './contract.js';

export function registerWatchTests(it: StoreTest): void {
  it('watch from now: puts and deletes in order, with prev values', async (s, p) => {
    const c = new Collector(s, p, await s.currentRevision());
    const a = await s.create(`${p}a`, '1');
    const a2 = await s.update(`${p}a`, '2', a.modRevision);
    const del = await s.delete(`${p}a`);
    const z = await s.create(`${p}z`, 'sentinel');
    await c.untilKey(`${p}z`);
    const expected: WatchEvent[] = [
      { type: 'put', kv: a },
      { type: 'put', kv: a2, prev: a },
      { type: 'delete', key: `${p}a`, revision: del.revision, prev: a2 },
      { type: 'put', kv: z },
    ];
    assert.deepEqual(c.events, expected);
    assert.ok(c.batches.every((b) => b.length > 0), 'no empty batches');
    c.close();
  });

  it('watch from a past revision replays, then switches to live events exactly once', async (s, p) => {
    const r0 = await s.currentRevision();
    for (let i = 0; i < 5; i++) await s.create(`${p}k${i}`, `${i}`);
    const mid = await s.currentRevision();
    const c = new Collector(s, p, r0);
    const fromMid = new Collector(s, p, mid);
    // Writes issued while the watches are starting must land either in the replay or live.
    await Promise.all(Array.from({ length: 5 }, (_, i) => s.create(`${p}k${i + 5}`, `${i + 5}`)));
    for (let i = 10; i < 15; i++) await s.create(`${p}k${i}`, `${i}`);
    await c.untilKey(`${p}k14`);
    await fromMid.untilKey(`${p}k14`);
    const revs = c.events.map(revisionOf);
    assert.deepEqual(revs, Array.from({ length: 15 }, (_, i) => r0 + 1 + i), 'every revision once, in order');
    assert.deepEqual(fromMid.events.map(revisionOf), revs.slice(5));
    assert.equal(new Set(c.events.map(keyOf)).size, 15);
    c.close();
    fromMid.close();
  });

  it('watch filters by key prefix', async (s, p) => {
    const c = new Collector(s, `${p}a/`, await s.currentRevision());
    await s.create(`${p}a/1`, 'in');
    await s.create(`${p}ab/1`, 'sibling prefix');
    await s.create(`${p}b/1`, 'other');
    const b = await s.create(`${p}a`, 'the prefix without its slash');
    await s.delete(`${p}a`, b.modRevision);
    await s.create(`${p}a/2`, 'in');
    await c.untilKey(`${p}a/2`);
    assert.deepEqual(c.events.map(keyOf), [`${p}a/1`, `${p}a/2`]);
    c.close();
  });

  it('close stops delivery', async (s, p) => {
    const r0 = await s.currentRevision();
    const closed = new Collector(s, p, r0);
    const open = new Collector(s, p, r0);
    await s.create(`${p}x`, '1');
    await closed.untilKey(`${p}x`);
    closed.close();
    await s.create(`${p}y`, '2');
    await s.create(`${p}z`, '3');
    await open.untilKey(`${p}z`);
    // Give a misbehaving backend a chance to deliver late events.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(closed.events.map(keyOf), [`${p}x`]);
    assert.equal(closed.error, undefined, 'close is not an error');
    assert.deepEqual(open.events.map(keyOf), [`${p}x`, `${p}y`, `${p}z`]);
    open.close();
  });

  it('a watch from a future revision waits for it', async (s, p) => {
    const r0 = await s.currentRevision();
    const c = new Collector(s, p, r0 + 2);
    await s.create(`${p}1`, '1');
    await s.create(`${p}2`, '2');
    const third = await s.create(`${p}3`, '3');
    await c.untilKey(`${p}3`);
    assert.deepEqual(c.events, [{ type: 'put', kv: third }]);
    c.close();
  });

  it('a delete event carries the delete revision and the deleted value', async (s, p) => {
    const kv = await s.create(`${p}gone`, 'last words');
    const c = new Collector(s, p, kv.modRevision);
    const del = await s.delete(`${p}gone`, kv.modRevision);
    await c.untilKey(`${p}gone`);
    assert.deepEqual(c.events, [{ type: 'delete', key: `${p}gone`, revision: del.revision, prev: kv }]);
    assert.equal(del.revision, kv.modRevision + 1);
    c.close();
  });
}
