// JSON Merge Patch (RFC 7386), plus the property that a computed merge patch reproduces its target.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StatusError } from '../../../src/api/errors.js';
import { applyMergePatch, createMergePatch } from '../../../src/api/patch/merge.js';

describe('applyMergePatch', () => {
  const cases: { name: string; doc: unknown; patch: unknown; want: unknown }[] = [
    { name: 'merges objects recursively', doc: { a: { b: 1, c: 2 }, d: 3 }, patch: { a: { b: 9 } }, want: { a: { b: 9, c: 2 }, d: 3 } },
    { name: 'null deletes a member', doc: { a: { b: 1, c: 2 } }, patch: { a: { c: null }, x: null }, want: { a: { b: 1 } } },
    { name: 'lists are replaced whole', doc: { l: [1, 2, 3], m: [{ n: 1 }] }, patch: { l: [4], m: [{ o: 2 }] }, want: { l: [4], m: [{ o: 2 }] } },
    { name: 'nulls inside a newly set object are dropped', doc: {}, patch: { a: { b: null, c: { d: null, e: 1 } } }, want: { a: { c: { e: 1 } } } },
    { name: 'an object replaces a scalar and the reverse', doc: { a: 1, b: { c: 1 } }, patch: { a: { x: 1 }, b: 'y' }, want: { a: { x: 1 }, b: 'y' } },
    { name: 'an empty patch changes nothing', doc: { a: [1] }, patch: {}, want: { a: [1] } },
    { name: 'a list patch replaces the document (the decoder rejects it later)', doc: { a: 1 }, patch: [1, null], want: [1, null] },
    { name: 'the key __proto__ is an ordinary member', doc: {}, patch: JSON.parse('{"__proto__": {"x": 1}}'), want: JSON.parse('{"__proto__": {"x": 1}}') },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.doc);
      const got = applyMergePatch(c.doc, c.patch);
      assert.deepEqual(got, c.want);
      assert.deepEqual(c.doc, before, 'the document is not modified');
    });
  }

  it('a null or scalar patch is a 400 "Invalid JSON Patch"', () => {
    for (const p of [null, 1, 'x']) {
      assert.throws(() => applyMergePatch({}, p), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'Invalid JSON Patch');
    }
  });

  // Objects whose members are never null: a merge patch cannot express a null member.
  const { object } = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', maxDepth: 4 }, fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), tie('array'), tie('object')),
    array: fc.array(fc.oneof(tie('value'), fc.constant(null)), { maxLength: 3 }),
    object: fc.dictionary(fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom('__proto__', 'constructor')), tie('value'), { maxKeys: 4, noNullPrototype: true }),
  }));

  it('applying the diff of two objects to the first gives the second (property)', () => {
    fc.assert(
      fc.property(object, object, (a, b) => {
        const original = a as Record<string, unknown>;
        const target = b as Record<string, unknown>;
        const before = structuredClone(original);
        const got = applyMergePatch(original, createMergePatch(original, target));
        assert.deepEqual(got, target);
        assert.deepEqual(original, before);
      }),
      { numRuns: 500 },
    );
  });
});
