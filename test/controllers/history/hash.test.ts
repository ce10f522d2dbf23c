import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, computeHash, fnv32a, hashRevisionData, jsonEqual, safeEncodeString } from '../../../src/controllers/hash.js';

const enc = new TextEncoder();
const safe = /^[bcdfghjklmnpqrstvwxz2456789]+$/;

describe('revision hashing', () => {
  it('is 32-bit FNV-1a', () => {
    assert.equal(fnv32a(enc.encode('')), 0x811c9dc5);
    assert.equal(fnv32a(enc.encode('a')), 0xe40c292c);
    assert.equal(fnv32a(enc.encode('foobar')), 0xbf9cf968);
    // Continuing from a seed is the same as hashing the concatenation.
    assert.equal(fnv32a(enc.encode('bar'), fnv32a(enc.encode('foo'))), fnv32a(enc.encode('foobar')));
  });

  it('spells digits in the safe alphabet, as rand.SafeEncodeString', () => {
    assert.equal(safeEncodeString('0123456789'), 'bcdfghjklm'.split('').map((_, i) => 'bcdfghjklmnpqrstvwxz2456789'[(48 + i) % 27]).join(''));
    assert.match(safeEncodeString(String(4294967295)), safe);
  });

  it('gives equal templates equal hashes whatever their key order', () => {
    const a = { metadata: { labels: { app: 'x', tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const b = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { tier: 'web', app: 'x' } } };
    assert.equal(computeHash(a), computeHash(b));
    assert.match(computeHash(a), safe);
    assert.notEqual(computeHash(a), computeHash({ ...a, spec: { containers: [{ name: 'c', image: 'j' }] } }));
  });

  it('mixes the collision count in', () => {
    const t = { spec: { containers: [] } };
    assert.notEqual(computeHash(t, 1), computeHash(t));
    assert.notEqual(computeHash(t, 1), computeHash(t, 2));
    assert.equal(computeHash(t, null), computeHash(t));
    assert.notEqual(hashRevisionData(t, 1), hashRevisionData(t));
  });

  it('canonical JSON is order-independent and injective enough to compare values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        assert.equal(canonicalJson(o), canonicalJson(reversed));
        assert.ok(jsonEqual(o, JSON.parse(JSON.stringify(o))));
      }),
    );
    assert.ok(!jsonEqual({ a: 1 }, { a: '1' }));
    assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
  });
});
