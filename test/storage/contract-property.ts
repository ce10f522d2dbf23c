// Property test of the store contract: a random sequence of operations gives the same results as
// a plain Map-based model, and a watch from the start replays exactly the model's events.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isStoreError, type KeyValue, type Store, type WatchEvent } from '../../src/storage/store.js';
import { Collector, uniquePrefix } from './contract-helpers.js';
import type { StoreTest } from './contract.js';

type Op =
  | { op: 'create'; key: string; value: string }
  | { op: 'update'; key: string; value: string; stale: boolean }
  | { op: 'delete'; key: string; cas: 'none' | 'right' | 'stale' }
  | { op: 'get'; key: string }
  | { op: 'range'; limit: number };

// Keys that share prefixes, so prefix ranges and ordering are exercised.
const KEYS = ['a', 'a/b', 'ab', 'b', 'b/c/d'];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), key: fc.constantFrom(...KEYS), value: fc.string({ unit: 'grapheme', maxLength: 8 }) }),
  fc.record({ op: fc.constant('update' as const), key: fc.constantFrom(...KEYS), value: fc.string({ maxLength: 8 }), stale: fc.boolean() }),
  fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...KEYS), cas: fc.constantFrom('none' as const, 'right' as const, 'stale' as const) }),
  fc.record({ op: fc.constant('get' as const), key: fc.constantFrom(...KEYS) }),
  fc.record({ op: fc.constant('range' as const), limit: fc.integer({ min: 0, max: 4 }) }),
);

/** The reference: what a correct store does, computed without any cleverness. */
class Model {
  readonly kvs = new Map<string, KeyValue>();
  readonly events: WatchEvent[] = [];
  constructor(public rev: number) {}

  apply(o: Op, p: string): unknown {
    const key = 'key' in o ? p + o.key : '';
    const cur = this.kvs.get(key);
    switch (o.op) {
      case 'create': {
        if (cur) return 'KeyExists';
        const kv = { key, value: o.value, createRevision: ++this.rev, modRevision: this.rev };
        this.kvs.set(key, kv);
        this.events.push({ type: 'put', kv });
        return kv;
      }
      case 'update': {
        if (!cur) return 'NotFound';
        if (o.stale) return 'Conflict';
        const kv = { key, value: o.value, createRevision: cur.createRevision, modRevision: ++this.rev };
        this.kvs.set(key, kv);
        this.events.push({ type: 'put', kv, prev: cur });
        return kv;
      }
      case 'delete': {
        if (!cur) return 'NotFound';
        if (o.cas === 'stale') return 'Conflict';
        this.kvs.delete(key);
        this.events.push({ type: 'delete', key, revision: ++this.rev, prev: cur });
        return { revision: this.rev, prev: cur };
      }
      case 'get':
        return cur;
      case 'range': {
        const all = [...this.kvs.values()].sort((x, y) => (x.key < y.key ? -1 : 1));
        const limit = o.limit > 0 ? o.limit : all.length;
        return { kvs: all.slice(0, limit), more: all.length > limit, revision: this.rev };
      }
    }
  }
}

async function run(s: Store, o: Op, p: string, model: Model): Promise<unknown> {
  const key = 'key' in o ? p + o.key : '';
  const cur = model.kvs.get(key);
  // Expected revisions come from the model, which the store must agree with anyway.
  const right = cur?.modRevision ?? model.rev + 1;
  try {
    switch (o.op) {
      case 'create':
        return await s.create(key, o.value);
      case 'update':
        return await s.update(key, o.value, o.stale ? right - 1 : right);
      case 'delete':
        return await s.delete(key, o.cas === 'none' ? undefined : o.cas === 'stale' ? right - 1 : right);
      case 'get':
        return await s.get(key);
      case 'range':
        return await s.range(p, { limit: o.limit });
    }
  } catch (err) {
    if (isStoreError(err)) return err.code;
    throw err;
  }
}

export function registerPropertyTest(it: StoreTest): void {
  it('random operation sequences match a simple model', async (s) => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 20 }), async (ops) => {
        const p = uniquePrefix();
        const model = new Model(await s.currentRevision());
        const start = model.rev;
        for (const o of ops) {
          const got = await run(s, o, p, model); // reads the model's state before the op
          const want = model.apply(o, p);
          assert.deepEqual(got, want, `${JSON.stringify(o)}`);
        }
        assert.equal(await s.currentRevision(), model.rev);
        const c = new Collector(s, p, start);
        const sentinel = await s.create(`${p}~sentinel`, '');
        await c.untilKey(sentinel.key);
        c.close();
        assert.deepEqual(c.events, [...model.events, { type: 'put', kv: sentinel }]);
      }),
      { numRuns: 30 },
    );
  });
}
