// The store contract suite: every backend runs exactly these tests (see src/storage/store.ts).
//
// Backends may share one server between tests (etcd), so tests use unique key prefixes and only
// compare revisions relative to ones they observed; tests in a file run one after another.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Store } from '../../src/storage/store.js';
import { Collector, rejectsWith, uniquePrefix } from './contract-helpers.js';
import { registerPropertyTest } from './contract-property.js';
import { registerWatchTests } from './contract-watch.js';

/** Runs one test body against a freshly opened store, closing it afterwards. */
export type StoreTest = (title: string, body: (store: Store, prefix: string) => Promise<void>) => void;

export function storeContract(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`store contract: ${name}`, () => {
    after(async () => {
      await cleanup?.();
    });
    const it: StoreTest = (title, body) => {
      test(title, async () => {
        const store = await open();
        try {
          await body(store, uniquePrefix());
        } finally {
          await store.close();
        }
      });
    };
    registerBasicTests(it);
    registerRangeTests(it);
    registerWatchTests(it);
    registerCompactionTests(it);
    registerConcurrencyTests(it);
    registerPropertyTest(it);
  });
}

function registerBasicTests(it: StoreTest): void {
  it('revisions are global and grow by one per successful write', async (s, p) => {
    const r0 = await s.currentRevision();
    const a = await s.create(`${p}a`, '1');
    const b = await s.create(`${p}b`, '2');
    assert.equal(a.modRevision, r0 + 1);
    assert.equal(b.modRevision, r0 + 2);
    await rejectsWith(s.create(`${p}a`, 'again'), 'KeyExists');
    await rejectsWith(s.update(`${p}a`, 'x', a.modRevision + 100), 'Conflict');
    const a2 = await s.update(`${p}a`, '3', a.modRevision);
    assert.equal(a2.modRevision, r0 + 3, 'failed writes must not consume revisions');
    const del = await s.delete(`${p}b`);
    assert.equal(del.revision, r0 + 4);
    assert.equal(await s.currentRevision(), r0 + 4);
  });

  it('create and get', async (s, p) => {
    assert.equal(await s.get(`${p}missing`), undefined);
    const value = JSON.stringify({ kind: 'Pod', metadata: { name: 'ünïcødé-✓' } });
    const kv = await s.create(`${p}k`, value);
    assert.deepEqual(kv, { key: `${p}k`, value, createRevision: kv.modRevision, modRevision: kv.modRevision });
    assert.deepEqual(await s.get(`${p}k`), kv);
    const err = await rejectsWith(s.create(`${p}k`, 'other'), 'KeyExists');
    assert.match(err.message, /k/);
    assert.equal((await s.get(`${p}k`))?.value, value, 'a failed create must not change the value');
  });

  it('update is a compare-and-swap on modRevision', async (s, p) => {
    const created = await s.create(`${p}k`, 'v1');
    const updated = await s.update(`${p}k`, 'v2', created.modRevision);
    assert.equal(updated.value, 'v2');
    assert.equal(updated.createRevision, created.createRevision);
    assert.ok(updated.modRevision > created.modRevision);
    const err = await rejectsWith(s.update(`${p}k`, 'stale', created.modRevision), 'Conflict');
    assert.deepEqual(err.current, updated, 'Conflict carries the current value');
    assert.deepEqual(await s.get(`${p}k`), updated);
    await rejectsWith(s.update(`${p}missing`, 'v', created.modRevision), 'NotFound');
    await rejectsWith(s.update(`${p}missing`, 'v', 0), 'NotFound');
  });

  it('delete with and without compare-and-swap', async (s, p) => {
    const a = await s.create(`${p}a`, 'va');
    const b = await s.create(`${p}b`, 'vb');
    const delA = await s.delete(`${p}a`);
    assert.deepEqual(delA.prev, a);
    assert.ok(delA.revision > b.modRevision);
    assert.equal(await s.get(`${p}a`), undefined);
    await rejectsWith(s.delete(`${p}a`), 'NotFound');
    const err = await rejectsWith(s.delete(`${p}b`, b.modRevision + 1000), 'Conflict');
    assert.deepEqual(err.current, b);
    assert.deepEqual(await s.get(`${p}b`), b, 'a failed delete leaves the key');
    const delB = await s.delete(`${p}b`, b.modRevision);
    assert.deepEqual(delB.prev, b);
    await rejectsWith(s.delete(`${p}b`, b.modRevision), 'NotFound');
    const again = await s.create(`${p}a`, 'reborn');
    assert.ok(again.createRevision > delB.revision, 'a re-created key starts a new life');
    assert.equal(again.createRevision, again.modRevision);
  });

  it('operations on a closed store fail with Closed and watches end', async (s, p) => {
    const c = new Collector(s, p, await s.currentRevision());
    await s.create(`${p}x`, '1');
    await c.untilKey(`${p}x`);
    await s.close();
    assert.equal((await c.failure()).code, 'Closed');
    await rejectsWith(s.get(`${p}x`), 'Closed');
    await rejectsWith(s.create(`${p}y`, '1'), 'Closed');
    const late = new Collector(s, p, 0);
    assert.equal(late.error, undefined, 'handlers are never called from inside watch()');
    assert.equal((await late.failure()).code, 'Closed');
    await s.close(); // closing twice is harmless
  });
}

function registerRangeTests(it: StoreTest): void {
  it('range by prefix: ascending order, prefix boundaries, count', async (s, p) => {
    for (const k of ['c', 'a', 'b', 'a/deeper']) await s.create(`${p}dir/${k}`, k);
    await s.create(`${p}dir2/x`, 'sibling');
    await s.create(`${p}di`, 'shorter');
    const res = await s.range(`${p}dir/`);
    assert.deepEqual(res.kvs.map((kv) => kv.key.slice(p.length)), ['dir/a', 'dir/a/deeper', 'dir/b', 'dir/c']);
    assert.deepEqual(res.kvs.map((kv) => kv.value), ['a', 'a/deeper', 'b', 'c']);
    assert.equal(res.more, false);
    assert.equal(res.revision, await s.currentRevision());
    assert.equal(await s.count(`${p}dir/`), 4);
    assert.equal(await s.count(p), 6);
    await s.delete(`${p}dir/b`);
    assert.equal(await s.count(`${p}dir/`), 3);
    assert.deepEqual((await s.range(`${p}nothing/`)).kvs, []);
  });

  it('range with limit and startAfter paginates without gaps or repeats', async (s, p) => {
    const keys = Array.from({ length: 7 }, (_, i) => `${p}item-${String(i).padStart(2, '0')}`);
    for (const k of [...keys].reverse()) await s.create(k, k);
    const first = await s.range(p, { limit: 3 });
    assert.deepEqual(first.kvs.map((kv) => kv.key), keys.slice(0, 3));
    assert.equal(first.more, true);
    const seen: string[] = [];
    let startAfter: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await s.range(p, { limit: 3, startAfter, revision: first.revision });
      seen.push(...res.kvs.map((kv) => kv.key));
      assert.equal(res.revision, first.revision);
      if (!res.more) break;
      startAfter = res.kvs[res.kvs.length - 1]?.key;
    }
    assert.deepEqual(seen, keys);
    const exact = await s.range(p, { limit: 7 });
    assert.equal(exact.kvs.length, 7);
    assert.equal(exact.more, false, 'more is false when nothing was left out');
    const tail = await s.range(p, { startAfter: keys[4] });
    assert.deepEqual(tail.kvs.map((kv) => kv.key), keys.slice(5));
  });

  it('range at a past revision sees the keys as they were', async (s, p) => {
    const a = await s.create(`${p}a`, 'a1');
    const b = await s.create(`${p}b`, 'b1');
    const then = await s.currentRevision();
    await s.update(`${p}a`, 'a2', a.modRevision);
    await s.delete(`${p}b`, b.modRevision);
    await s.create(`${p}c`, 'c1');
    const past = await s.range(p, { revision: then });
    assert.deepEqual(past.kvs, [a, b]);
    assert.equal(past.revision, then);
    const limited = await s.range(p, { revision: then, limit: 1 });
    assert.deepEqual(limited.kvs, [a]);
    assert.equal(limited.more, true);
    const now = await s.range(p);
    assert.deepEqual(now.kvs.map((kv) => `${kv.key.slice(p.length)}=${kv.value}`), ['a=a2', 'c=c1']);
    await rejectsWith(s.range(p, { revision: (await s.currentRevision()) + 1000 }), 'FutureRevision');
  });
}

function registerCompactionTests(it: StoreTest): void {
  it('compaction: older reads and watches fail with Compacted, later ones work', async (s, p) => {
    const a = await s.create(`${p}a`, 'a1');
    const b = await s.create(`${p}b`, 'b1');
    const old = await s.currentRevision();
    const a2 = await s.update(`${p}a`, 'a2', a.modRevision);
    await s.delete(`${p}b`, b.modRevision);
    const c = await s.create(`${p}c`, 'c1');
    const compactAt = c.modRevision;
    const a3 = await s.update(`${p}a`, 'a3', a2.modRevision);
    await s.compact(compactAt);
    assert.equal(await s.compactedRevision(), compactAt);
    await rejectsWith(s.range(p, { revision: old }), 'Compacted');
    await rejectsWith(s.compact(compactAt), 'Compacted');
    await rejectsWith(s.compact((await s.currentRevision()) + 1000), 'FutureRevision');
    const atCompact = await s.range(p, { revision: compactAt });
    assert.deepEqual(atCompact.kvs.map((kv) => `${kv.key.slice(p.length)}=${kv.value}`), ['a=a2', 'c=c1']);
    assert.deepEqual(await s.get(`${p}a`), a3);

    const tooOld = new Collector(s, p, old);
    assert.equal((await tooOld.failure()).code, 'Compacted');
    assert.equal(tooOld.events.length, 0);
    const justBefore = new Collector(s, p, compactAt - 1);
    assert.equal((await justBefore.failure()).code, 'Compacted');

    const fromCompact = new Collector(s, p, compactAt);
    const d = await s.create(`${p}d`, 'd1');
    await fromCompact.untilKey(`${p}d`);
    assert.deepEqual(
      fromCompact.events.map((ev) => (ev.type === 'put' ? ev.kv.modRevision : ev.revision)),
      [a3.modRevision, d.modRevision],
    );
    fromCompact.close();
  });
}

function registerConcurrencyTests(it: StoreTest): void {
  it('concurrent compare-and-swap: exactly one writer wins', async (s, p) => {
    const kv = await s.create(`${p}k`, 'start');
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => s.update(`${p}k`, `writer-${i}`, kv.modRevision)),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1, 'exactly one update may succeed');
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<Store['update']>>>).value;
    for (const r of results) {
      if (r.status === 'rejected') {
        assert.equal(r.reason.code, 'Conflict');
        assert.deepEqual(r.reason.current, winner);
      }
    }
    assert.deepEqual(await s.get(`${p}k`), winner);

    const creates = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.create(`${p}new`, `c${i}`)));
    assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of creates) if (r.status === 'rejected') assert.equal(r.reason.code, 'KeyExists');

    const deletes = await Promise.allSettled(Array.from({ length: 10 }, () => s.delete(`${p}k`, winner.modRevision)));
    assert.equal(deletes.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of deletes) if (r.status === 'rejected') assert.ok(['Conflict', 'NotFound'].includes(r.reason.code));
  });

  it('concurrent writes to different keys all succeed with distinct revisions', async (s, p) => {
    const before = await s.currentRevision();
    const kvs = await Promise.all(Array.from({ length: 50 }, (_, i) => s.create(`${p}k${i}`, `${i}`)));
    const revs = kvs.map((kv) => kv.modRevision).sort((x, y) => x - y);
    assert.deepEqual(revs, Array.from({ length: 50 }, (_, i) => before + 1 + i));
    assert.equal(await s.count(p), 50);
  });
}
