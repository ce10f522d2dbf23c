// Snapshotter: chainID keys, sharing between images, owners persisted across restarts, GC, and
// failed unpacks leaving nothing behind.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { mountOverlay, unmount, unmountAllUnder } from '../../../src/runtime/mount.js';
import { diskUsage } from '../../../src/runtime/images/disk-usage.js';
import { Snapshotter, chainIds, containerOwner, imageOwner, type LayerSource, type UnpackableImage } from '../../../src/runtime/images/snapshots.js';
import { LayerMediaType } from '../../../src/runtime/images/layer-stream.js';
import { digest, layer } from './layer-builder.js';

/** Blobs in memory; counts opens so tests can see how often a layer was unpacked. */
class MemoryBlobs implements LayerSource {
  readonly blobs = new Map<string, Buffer>();
  readonly opens = new Map<string, number>();
  add(bytes: Buffer): string {
    const d = digest(bytes);
    this.blobs.set(d, bytes);
    return d;
  }
  open(d: string): Readable {
    this.opens.set(d, (this.opens.get(d) ?? 0) + 1);
    const b = this.blobs.get(d);
    if (!b) return new Readable({ read() { this.destroy(Object.assign(new Error(`ENOENT: ${d}`), { code: 'ENOENT' })); } });
    return Readable.from([b]);
  }
}

interface TestLayer { tar: Buffer; gz: Buffer }
const L = (b: ReturnType<typeof layer>): TestLayer => ({ tar: b.tar(), gz: b.gzip() });

function image(blobs: MemoryBlobs, layers: TestLayer[], diffIds?: string[]): UnpackableImage {
  return {
    config: { rootfs: { diff_ids: diffIds ?? layers.map((l) => digest(l.tar)) } },
    layers: layers.map((l) => ({ digest: blobs.add(l.gz), mediaType: LayerMediaType.ociTarGzip, size: l.gz.length })),
  };
}

const exists = (p: string): Promise<boolean> => fsp.lstat(p).then(() => true, () => false);

describe('Snapshotter', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-snap-test-'));
  });
  after(async () => {
    await unmountAllUnder(tmp);
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  const base = L(layer().dir('etc').file('etc/os-release', 'base'));
  const mid = L(layer().dir('usr').file('usr/tool', 'tool'));
  const topA = L(layer().file('a', 'a'));
  const topB = L(layer().file('b', 'b'));

  it('computes chainIDs as the OCI image spec defines them', () => {
    const [d0, d1, d2] = [base, mid, topA].map((l) => digest(l.tar));
    const c1 = 'sha256:' + createHash('sha256').update(`${d0} ${d1}`).digest('hex');
    const c2 = 'sha256:' + createHash('sha256').update(`${c1} ${d2}`).digest('hex');
    assert.deepEqual(chainIds([d0, d1, d2]), [d0, c1, c2]);
    assert.throws(() => chainIds(['md5:abc']), /not a sha256/);
  });

  it('shares snapshots between images, keeps owners across restarts, and GC frees only unused ones', async () => {
    const root = path.join(tmp, 'share');
    const blobs = new MemoryBlobs();
    const snaps = new Snapshotter(root, blobs);
    const imgA = image(blobs, [base, mid, topA]);
    const imgB = image(blobs, [base, mid, topB]);
    // The same image prepared twice at once unpacks each layer once.
    const [lowersA] = await Promise.all([snaps.prepare(imgA, imageOwner('A')), snaps.prepare(imgA, containerOwner('c1'))]);
    const lowersB = await snaps.prepare(imgB, imageOwner('B'));
    for (const l of imgA.layers) assert.equal(blobs.opens.get(l.digest), 1, 'each layer unpacked once');
    assert.equal(blobs.opens.get(imgB.layers[2].digest), 1);

    const chainA = chainIds(imgA.config.rootfs.diff_ids);
    const chainB = chainIds(imgB.config.rootfs.diff_ids);
    assert.deepEqual(lowersA, chainA.map((c) => path.join(root, 'snapshots', c.slice(7), 'fs')).reverse(), 'top layer first');
    assert.deepEqual(lowersB.slice(1), lowersA.slice(1), 'lower two snapshots shared');
    assert.equal(await fsp.readFile(path.join(lowersA[0], 'a'), 'utf8'), 'a');
    assert.equal((await snaps.list()).length, 4);
    assert.deepEqual((await snaps.get(chainA[0]))?.owners.sort(), ['container:c1', 'image:A', 'image:B']);

    // A new Snapshotter (a restarted runtime) reads the same records.
    const again = new Snapshotter(root, blobs);
    assert.deepEqual((await again.get(chainA[2]))?.owners.sort(), ['container:c1', 'image:A']);
    assert.equal((await again.get(chainA[1]))?.parent, chainA[0]);

    await again.release(imageOwner('A'));
    assert.deepEqual(await again.gc(), [], 'container c1 still uses image A');
    await again.release(containerOwner('c1'));
    await again.release(containerOwner('c1')); // idempotent
    assert.deepEqual(await again.gc(), [chainA[2]]);
    assert.ok(!(await exists(path.join(root, 'snapshots', chainA[2].slice(7)))));
    assert.ok(await exists(lowersB[0]));
    await again.release(imageOwner('B'));
    assert.deepEqual((await again.gc()).sort(), [chainB[0], chainB[1], chainB[2]].sort());
    assert.deepEqual(await fsp.readdir(path.join(root, 'snapshots')), []);
  });

  it('fails on a diffID mismatch, leaving no snapshot for that layer and no owner on the others', async () => {
    const root = path.join(tmp, 'mismatch');
    const blobs = new MemoryBlobs();
    const snaps = new Snapshotter(root, blobs);
    const bad = image(blobs, [base, mid], [digest(base.tar), digest('not the layer')]);
    await assert.rejects(snaps.prepare(bad, imageOwner('bad')), (err: Error) => {
      assert.match(err.message, /diffID mismatch/);
      assert.equal((err as { code?: string }).code, 'DigestMismatch');
      return true;
    });
    const chain = chainIds(bad.config.rootfs.diff_ids);
    assert.ok(!(await exists(path.join(root, 'snapshots', chain[1].slice(7)))));
    assert.deepEqual((await fsp.readdir(path.join(root, 'snapshots'))).filter((f) => f.startsWith('.')), [], 'no temp directories left');
    assert.deepEqual((await snaps.get(chain[0]))?.owners, [], 'owner rolled back');
    assert.deepEqual(await snaps.gc(), [chain[0]]);
  });

  it('reports a missing layer blob as NotFound', async () => {
    const blobs = new MemoryBlobs();
    const snaps = new Snapshotter(path.join(tmp, 'missing'), blobs);
    const img = image(blobs, [base]);
    blobs.blobs.clear();
    await assert.rejects(snaps.prepare(img, imageOwner('x')), (err: Error) => (err as { code?: string }).code === 'NotFound' && /not in the content store/.test(err.message));
  });

  it('does not collect a snapshot an overlay still mounts', async () => {
    const root = path.join(tmp, 'mounted');
    const blobs = new MemoryBlobs();
    const snaps = new Snapshotter(root, blobs);
    const [lower] = await snaps.prepare(image(blobs, [base]), imageOwner('m'));
    const [upper, work, target] = ['u', 'w', 'm'].map((d) => path.join(root, d));
    for (const d of [upper, work, target]) await fsp.mkdir(d);
    await mountOverlay({ lowerDirs: [lower], upperDir: upper, workDir: work, target });
    try {
      await snaps.release(imageOwner('m'));
      assert.deepEqual(await snaps.gc(), []);
    } finally {
      await unmount(target);
    }
    assert.equal((await snaps.gc()).length, 1);
  });

  it('usage() sums the records as a du walk counts the snapshots; records without usage are measured once and rewritten', async () => {
    const root = path.join(tmp, 'usage');
    const dir = path.join(root, 'snapshots');
    const blobs = new MemoryBlobs();
    const snaps = new Snapshotter(root, blobs);
    assert.deepEqual(await snaps.usage(), { bytes: 0, inodes: 0 });
    const big = L(layer().dir('data').file('data/blob', 'x'.repeat(200_000)).file('data/small', 's'));
    const img = image(blobs, [base, big]);
    await snaps.prepare(img, imageOwner('u'));
    const one = await snaps.usage();
    assert.deepEqual(one, await diskUsage(dir));
    assert.ok(one.bytes > 200_000, 'the 200 kB file counts');
    for (const info of await snaps.list()) assert.ok(info.usage !== undefined && info.usage.inodes > 0, 'usage recorded at unpack');

    // Owners change snapshot.json (rewritten, maybe larger): still what the walk counts.
    for (let i = 0; i < 60; i++) await snaps.prepare(img, containerOwner(`c${i}-${'x'.repeat(60)}`));
    assert.deepEqual(await snaps.usage(), await diskUsage(dir));

    // Records from before usage was kept: measured at the first usage() and stored.
    for (const c of chainIds(img.config.rootfs.diff_ids)) {
      const file = path.join(dir, c.slice(7), 'snapshot.json');
      const rec = JSON.parse(await fsp.readFile(file, 'utf8')) as { usage?: unknown };
      delete rec.usage;
      await fsp.writeFile(file, JSON.stringify(rec, null, 2) + '\n');
    }
    const old = new Snapshotter(root, blobs);
    assert.deepEqual(await old.usage(), await diskUsage(dir));
    for (const c of chainIds(img.config.rootfs.diff_ids)) {
      const rec = JSON.parse(await fsp.readFile(path.join(dir, c.slice(7), 'snapshot.json'), 'utf8')) as { usage?: { bytes: number } };
      assert.ok((rec.usage?.bytes ?? 0) > 0, 'usage written back to the record');
    }

    for (let i = 0; i < 60; i++) await old.release(containerOwner(`c${i}-${'x'.repeat(60)}`));
    await old.release(imageOwner('u'));
    await old.gc();
    assert.deepEqual(await old.usage(), { bytes: 0, inodes: 0 });
    assert.deepEqual(await old.usage(), await diskUsage(dir));
  });
});
