import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asObject, asString, isValidRecordId, RecordError, RecordStore } from '../../../src/runtime/sandbox/records.js';

interface Thing {
  id: string;
  n: number;
}

function validate(v: unknown, id: string): Thing {
  const o = asObject(v, 'thing');
  const t = { id: asString(o.id, 'id'), n: o.n };
  if (typeof t.n !== 'number') throw new Error('n must be a number');
  if (t.id !== id) throw new Error('id mismatch');
  return { id: t.id, n: t.n };
}

describe('RecordStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-records-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('puts, gets, overwrites, lists and deletes', async () => {
    const store = new RecordStore<Thing>({ dir: join(dir, 'a'), validate });
    assert.equal(await store.get('x'), undefined);
    assert.deepEqual(await store.list(), []);
    await store.put('x', { id: 'x', n: 1 });
    await store.put('y', { id: 'y', n: 2 });
    await store.put('x', { id: 'x', n: 3 });
    assert.deepEqual(await store.get('x'), { id: 'x', n: 3 });
    assert.deepEqual(await store.list(), [
      { id: 'x', value: { id: 'x', n: 3 } },
      { id: 'y', value: { id: 'y', n: 2 } },
    ]);
    assert.equal(await store.delete('x'), true);
    assert.equal(await store.delete('x'), false);
    assert.deepEqual((await store.list()).map((e) => e.id), ['y']);
    // No temporary files are left behind.
    assert.deepEqual(await readdir(join(dir, 'a')), ['y.json']);
  });

  it('reports corrupt records clearly and skips them in list()', async () => {
    const corrupt: string[] = [];
    const store = new RecordStore<Thing>({ dir: join(dir, 'b'), validate, onCorrupt: (id) => corrupt.push(id) });
    await store.put('good', { id: 'good', n: 1 });
    await writeFile(join(dir, 'b', 'torn.json'), '{"id": "torn", "n"');
    await writeFile(join(dir, 'b', 'wrong.json'), '{"id": "other", "n": 1}');
    await writeFile(join(dir, 'b', '.good.abc.tmp'), 'partial');
    await assert.rejects(store.get('torn'), (e: unknown) => e instanceof RecordError && /torn\.json is not valid JSON/.test(e.message));
    await assert.rejects(store.get('wrong'), /wrong\.json is invalid: id mismatch/);
    assert.deepEqual((await store.list()).map((e) => e.id), ['good']);
    assert.deepEqual(corrupt.sort(), ['torn', 'wrong']);
  });

  it('refuses ids that are not plain file names', async () => {
    const store = new RecordStore<Thing>({ dir: join(dir, 'c'), validate });
    for (const bad of ['', '../x', 'a/b', '.hidden', '..', 'x'.repeat(300)]) {
      assert.equal(isValidRecordId(bad), false, bad);
      await assert.rejects(store.put(bad, { id: bad, n: 1 }), RecordError);
    }
    assert.equal(isValidRecordId('a'.repeat(64)), true);
  });
});
