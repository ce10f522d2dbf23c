import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ContentStore, sha256Digest } from '../../../src/runtime/images/content.js';
import { diskUsage } from '../../../src/runtime/images/disk-usage.js';
import { ImageError } from '../../../src/runtime/images/registry-errors.js';

describe('ContentStore', () => {
  let root: string;
  let store: ContentStore;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-content-'));
    store = new ContentStore(root);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores a stream under its digest, verified, at content/blobs/sha256/<hex>', async () => {
    const data = Buffer.from('hello blob\n'.repeat(1000));
    const d = sha256Digest(data);
    const seen: number[] = [];
    const info = await store.put(Readable.from([data.subarray(0, 100), data.subarray(100)]), d, data.length, { onData: (n) => seen.push(n) });
    assert.deepEqual(info, { digest: d, size: data.length });
    assert.equal(store.path(d), join(root, 'content', 'blobs', 'sha256', d.slice(7)));
    assert.deepEqual(await readFile(store.path(d)), data);
    assert.deepEqual(await store.get(d), data);
    assert.ok(await store.has(d));
    assert.ok(await store.has(d, data.length));
    assert.ok(!(await store.has(d, data.length + 1)));
    assert.equal(seen.at(-1), data.length);
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('rejects content that hashes differently, naming the digest, and keeps nothing', async () => {
    const want = sha256Digest('the real thing');
    await assert.rejects(store.put(Readable.from([Buffer.from('something else')]), want), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.code, 'DigestMismatch');
      assert.ok(e.message.includes(want), e.message);
      return true;
    });
    assert.ok(!(await store.has(want)));
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('rejects a short read and an overlong body', async () => {
    const data = Buffer.from('0123456789');
    const d = sha256Digest(data);
    await assert.rejects(store.put(Readable.from([data.subarray(0, 5)]), d, 10), /short read, received 5 of 10 bytes/);
    await assert.rejects(store.put(Readable.from([data, data]), d, 10), /more than the expected 10 bytes/);
    assert.ok(!(await store.has(d)));
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('removes the temp file when the source fails mid-way', async () => {
    const d = sha256Digest('x');
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('partial');
        throw new Error('connection reset');
      })(),
    );
    await assert.rejects(store.put(failing, d), (e: unknown) => e instanceof ImageError && e.code === 'Unavailable' && /blob sha256:\w+: reading the content failed after 7 bytes: connection reset/.test(e.message));
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('lists, deletes, rejects bad digests and cleans stale ingest files', async () => {
    const a = await store.putBytes(Buffer.from('a'));
    const b = await store.putBytes(Buffer.from('bb'));
    const listed = await store.list();
    assert.ok(listed.some((i) => i.digest === a.digest && i.size === 1));
    assert.ok(listed.some((i) => i.digest === b.digest && i.size === 2));
    assert.equal(await store.delete(a.digest), true);
    assert.equal(await store.delete(a.digest), false);
    await assert.rejects(store.get(a.digest), (e: unknown) => e instanceof ImageError && e.code === 'NotFound');
    assert.throws(() => store.path('sha256:../../etc/passwd'), /not a sha256/);
    await mkdir(store.ingestDir, { recursive: true });
    await writeFile(join(store.ingestDir, 'leftover'), 'x');
    assert.equal(await store.cleanIngest(), 1);
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('tolerates concurrent puts of the same blob', async () => {
    const data = Buffer.alloc(200_000, 7);
    const d = sha256Digest(data);
    await Promise.all([1, 2, 3].map(() => store.put(Readable.from([data]), d, data.length)));
    assert.deepEqual(await store.get(d), data);
  });

  it('usage() counts what a du walk of content/ counts, blobs from before and by others included', async () => {
    const r = await mkdtemp(join(tmpdir(), 'skiff-content-usage-'));
    try {
      const walk = (): ReturnType<typeof diskUsage> => diskUsage(join(r, 'content'));
      const s1 = new ContentStore(r);
      assert.deepEqual(await s1.usage(), { bytes: 0, inodes: 0 }, 'an empty root');
      const big = await s1.putBytes(Buffer.alloc(300_000, 1));
      await s1.putBytes(Buffer.from('small'));
      assert.deepEqual(await s1.usage(), await walk());
      // A second store on the root (another process: skiff images) writes and deletes blobs.
      const s2 = new ContentStore(r);
      const third = await s2.putBytes(Buffer.alloc(50_000, 3));
      await s2.delete(big.digest);
      const u = await s1.usage();
      assert.deepEqual(u, await walk());
      await writeFile(join(s1.ingestDir, 'in-progress'), Buffer.alloc(10_000, 9));
      assert.deepEqual(await s1.usage(), await walk(), 'a write in progress counts, as it did');
      await rm(join(s1.ingestDir, 'in-progress'));
      await s1.delete(third.digest);
      const after = await s1.usage();
      assert.deepEqual(after, await walk());
      assert.ok(after.bytes < u.bytes && after.inodes === u.inodes - 1);
    } finally {
      await rm(r, { recursive: true, force: true });
    }
  });
});
