// Property tests: whatever bytes arrive, decodeK8sProtobuf returns an object or throws a 400
// StatusError — never another exception, never a hang. Inputs: random bytes, random bytes behind
// the magic prefix, random and well-formed-but-random messages inside valid envelopes of every
// kind, and every truncation and single-byte corruption of a real object.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StatusError } from '../../../src/api/errors.js';
import { decodeK8sProtobuf } from '../../../src/api/protobuf/index.js';
import { topLevelKinds } from '../../../src/api/protobuf/schema.js';
import { envelope, message, objectMeta, Msg } from './proto-writer.js';

function onlyBadRequest(body: Uint8Array): void {
  try {
    const out = decodeK8sProtobuf(body);
    assert.equal(typeof out, 'object');
    JSON.stringify(out); // the result must be plain JSON data
  } catch (e) {
    if (!(e instanceof StatusError) || e.code !== 400) throw e;
  }
}

const kinds: [string, string][] = Object.entries(topLevelKinds).flatMap(([gv, k]) => [...k.kinds, 'DeleteOptions'].map((kind): [string, string] => [gv, kind]));

/** A random but well-formed protobuf message: fields 1..40 of every wire type, nested up to `depth`. */
const wellFormed = fc.letrec<{ msg: Buffer }>((tie) => ({
  msg: fc
    .array(
      fc.oneof(
        fc.record({ no: fc.integer({ min: 1, max: 40 }), v: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }) }).map(({ no, v }) => (m: Msg) => m.varint(no, v)),
        fc.record({ no: fc.integer({ min: 1, max: 40 }), s: fc.uint8Array({ maxLength: 12 }) }).map(({ no, s }) => (m: Msg) => m.bytes(no, s)),
        fc.record({ no: fc.integer({ min: 1, max: 40 }), inner: tie('msg') }).map(({ no, inner }) => (m: Msg) => m.bytes(no, inner)),
      ),
      { maxLength: 8 },
    )
    .map((fields) => message((m) => fields.forEach((f) => f(m)))),
}));

test('random bytes only ever produce a 400', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyBadRequest(b)), { numRuns: 2000 });
});

test('random bytes after the k8s prefix only ever produce a 400', () => {
  const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyBadRequest(Buffer.concat([magic, b]))), { numRuns: 2000 });
});

test('random objects inside valid envelopes of every kind only ever produce a result or a 400', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), fc.oneof(fc.uint8Array({ maxLength: 300 }), wellFormed.msg), ([gv, kind], raw) => onlyBadRequest(envelope(gv, kind, raw))),
    { numRuns: 3000 },
  );
});

test('every truncation and every single-byte corruption of a real Deployment body is handled', () => {
  const body = envelope(
    'apps/v1',
    'Deployment',
    message((m) =>
      m.msg(1, (md) => objectMeta(md, 'web', 'ns', { app: 'web' })).msg(2, (s) =>
        s
          .varint(1, 3)
          .msg(2, (sel) => sel.entry(1, 'app', 'web'))
          .msg(3, (t) =>
            t.msg(1, (md) => objectMeta(md, '', '', { app: 'web' })).msg(2, (ps) =>
              ps.msg(2, (c) => c.string(1, 'web').string(2, 'nginx').msg(8, (r) => r.entryMsg(1, 'cpu', (q) => q.string(1, '1'))).msg(6, (p) => p.varint(3, 80))),
            ),
          ),
      ),
    ),
  );
  assert.equal((decodeK8sProtobuf(body).spec as { replicas: number }).replicas, 3, 'the intact body decodes');
  for (let n = 0; n < body.length; n++) onlyBadRequest(body.subarray(0, n));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: body.length - 1 }), fc.integer({ min: 0, max: 255 }), (i, v) => {
      const copy = Buffer.from(body);
      copy[i] = v;
      onlyBadRequest(copy);
    }),
    { numRuns: 3000 },
  );
});
