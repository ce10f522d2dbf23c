// JSON Patch (RFC 6902) with upstream's status codes and messages.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/api/errors.js';
import { applyJsonPatch } from '../../../src/api/patch/json.js';

const doc = () => ({ metadata: { name: 'p', labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

function failsWith(f: () => unknown, code: number, reason: string, message: string | RegExp, cause?: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.reason, reason);
    assert.match(e.message, typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
    if (cause !== undefined) assert.equal(e.details?.causes?.[0]?.message, cause);
    return true;
  });
}

describe('applyJsonPatch', () => {
  const ok: { name: string; ops: unknown[]; want: unknown }[] = [
    {
      name: 'add, replace and remove',
      ops: [
        { op: 'add', path: '/metadata/labels/tier', value: 'web' },
        { op: 'replace', path: '/spec/containers/0/image', value: 'nginx' },
        { op: 'remove', path: '/metadata/labels/app' },
      ],
      want: { metadata: { name: 'p', labels: { tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
    {
      name: 'append to a list with -, move and copy',
      ops: [
        { op: 'add', path: '/spec/containers/-', value: { name: 'd' } },
        { op: 'copy', from: '/spec/containers/0/image', path: '/spec/containers/1/image' },
        { op: 'move', from: '/metadata/labels', path: '/metadata/annotations' },
      ],
      want: { metadata: { name: 'p', annotations: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'busybox' }, { name: 'd', image: 'busybox' }] } },
    },
    { name: 'a passing test', ops: [{ op: 'test', path: '/metadata/name', value: 'p' }], want: doc() },
    { name: 'test of null passes on an absent member, as upstream', ops: [{ op: 'test', path: '/metadata/uid', value: null }], want: doc() },
    { name: 'replace of the whole document', ops: [{ op: 'replace', path: '', value: { kind: 'X' } }], want: { kind: 'X' } },
    { name: 'no operations', ops: [], want: doc() },
  ];
  for (const c of ok) {
    it(c.name, () => {
      const original = doc();
      assert.deepEqual(applyJsonPatch(original, c.ops), c.want);
      assert.deepEqual(original, doc(), 'the document is not modified');
    });
  }

  const generic = 'the server rejected our request due to an error in our request';
  const failing: { name: string; ops: unknown[]; cause: string }[] = [
    { name: 'a failed test', ops: [{ op: 'test', path: '/metadata/name', value: 'q' }], cause: 'testing value /metadata/name failed: test failed' },
    { name: 'removing a missing member', ops: [{ op: 'remove', path: '/metadata/labels/nope' }], cause: 'Unable to remove nonexistent key: nope: missing value' },
    { name: 'replacing a missing member', ops: [{ op: 'replace', path: '/spec/nope', value: 1 }], cause: 'replace operation does not apply: doc is missing key: /spec/nope: missing value' },
    { name: 'adding under a missing parent', ops: [{ op: 'add', path: '/status/phase', value: 'x' }], cause: 'add operation does not apply: doc is missing path: "/status/phase": missing value' },
    { name: 'an index past the end', ops: [{ op: 'add', path: '/spec/containers/5', value: {} }], cause: 'Unable to access invalid index: 5: invalid index referenced' },
    { name: 'moving from a missing path', ops: [{ op: 'move', from: '/nope', path: '/x' }], cause: 'move operation does not apply: doc is missing from path: /nope: missing value' },
    { name: 'an unknown operation', ops: [{ op: 'frobnicate', path: '/x' }], cause: 'Unexpected kind: frobnicate' },
  ];
  for (const c of failing) {
    it(`${c.name} is a 422 Invalid`, () => failsWith(() => applyJsonPatch(doc(), c.ops), 422, 'Invalid', generic, c.cause));
  }

  it('applies nothing when a later operation fails', () => {
    const original = doc();
    assert.throws(() => applyJsonPatch(original, [{ op: 'add', path: '/metadata/labels/x', value: '1' }, { op: 'test', path: '/metadata/name', value: 'no' }]));
    assert.deepEqual(original, doc());
  });

  it('a body that is not a list of operations is a 400 BadRequest', () => {
    failsWith(() => applyJsonPatch(doc(), { op: 'add' }), 400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
    failsWith(() => applyJsonPatch(doc(), ['add']), 400, 'BadRequest', 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
  });
});
