// Container rootfs on real overlayfs (as root): layers unpacked into snapshots, mounted, and what
// the container sees checked — whiteouts, opaque directories, hard links, modes and owners —
// then writes landing in the upper dir and nothing left mounted after removal.
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { mountsUnder, readMountInfo, runTool, unmountAllUnder } from '../../../src/runtime/mount.js';
import { mountRootfs, mountedRootfs, removeRootfs, rootfsPaths, unmountAllRootfs } from '../../../src/runtime/images/rootfs.js';
import { Snapshotter, containerOwner, type UnpackableImage } from '../../../src/runtime/images/snapshots.js';
import { LayerMediaType } from '../../../src/runtime/images/layer-stream.js';
import { digest, layer, type LayerBuilder } from './layer-builder.js';

function imageOf(blobs: Map<string, Buffer>, builders: LayerBuilder[]): UnpackableImage {
  const layers = builders.map((b) => {
    const gz = b.gzip();
    blobs.set(digest(gz), gz);
    return { digest: digest(gz), mediaType: LayerMediaType.dockerTarGzip };
  });
  return { config: { rootfs: { diff_ids: builders.map((b) => digest(b.tar())) } }, layers };
}

const exists = (p: string): Promise<boolean> => fsp.lstat(p).then(() => true, () => false);

describe('container rootfs on overlayfs', () => {
  let root: string;
  let snaps: Snapshotter;
  const blobs = new Map<string, Buffer>();
  before(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-rootfs-test-'));
    snaps = new Snapshotter(root, { open: (d) => Readable.from([blobs.get(d) as Buffer]) });
  });
  after(async () => {
    await unmountAllUnder(root);
    await fsp.rm(root, { recursive: true, force: true });
  });

  const image = (): UnpackableImage => imageOf(blobs, [
    layer()
      .dir('etc').file('etc/secret', 'lower secret').file('etc/hosts', 'hosts')
      .dir('data').dir('data/cache').file('data/cache/old', 'old').file('data/keep', 'keep')
      .dir('bin').file('bin/busybox', 'bb', { mode: 0o4755 }).hardlink('bin/sh', 'bin/busybox')
      .dir('home/app', { uid: 1000, gid: 1000, mode: 0o700 }).file('home/app/.profile', 'p', { uid: 1000, gid: 1000, mode: 0o600 }),
    layer()
      .dir('etc').whiteout('etc/secret')
      .dir('data/cache').opaque('data/cache').file('data/cache/new', 'new')
      .symlink('bin/ls', 'busybox'),
    layer().dir('etc').file('etc/hosts', 'top hosts', { mode: 0o640, gid: 42 }),
  ]);

  it('shows the merged image, takes writes in the upper dir, and unmounts cleanly', async () => {
    const lowerDirs = await snaps.prepare(image(), containerOwner('c1'));
    const p = await mountRootfs({ root, containerId: 'c1', lowerDirs });
    try {
      const r = (rel: string): string => path.join(p.target, rel);
      assert.ok(!(await exists(r('etc/secret'))), 'whiteout hides the lower file');
      assert.deepEqual((await fsp.readdir(r('data/cache'))).sort(), ['new'], 'opaque dir hides lower content');
      assert.equal(await fsp.readFile(r('data/keep'), 'utf8'), 'keep');
      assert.equal(await fsp.readFile(r('etc/hosts'), 'utf8'), 'top hosts');
      const hosts = await fsp.stat(r('etc/hosts'));
      assert.deepEqual([hosts.mode & 0o7777, hosts.uid, hosts.gid], [0o640, 0, 42]);
      const bb = await fsp.stat(r('bin/busybox'));
      assert.equal(bb.mode & 0o7777, 0o4755);
      assert.equal((await fsp.stat(r('bin/sh'))).ino, bb.ino, 'hard link shares the inode');
      assert.equal(await fsp.readlink(r('bin/ls')), 'busybox');
      const home = await fsp.stat(r('home/app'));
      assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1000, 0o700]);

      await fsp.writeFile(r('etc/new.conf'), 'written');
      await fsp.rm(r('data/keep'));
      assert.equal(await fsp.readFile(path.join(p.upper, 'etc/new.conf'), 'utf8'), 'written');
      const wh = await fsp.lstat(path.join(p.upper, 'data/keep'));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'deleting a lower file leaves a whiteout in upper');
      for (const l of lowerDirs) assert.ok(!(await exists(path.join(l, 'etc/new.conf'))), 'snapshots untouched');

      assert.deepEqual(await mountedRootfs(root), ['c1']);
      const again = await mountRootfs({ root, containerId: 'c1', lowerDirs });
      assert.deepEqual(again, p, 'mounting again keeps the existing mount');
      assert.equal((await mountsUnder(p.target)).length, 1);
    } finally {
      await removeRootfs(root, 'c1');
    }
    assert.equal((await readMountInfo()).filter((m) => m.mountPoint.startsWith(root)).length, 0, 'nothing left mounted');
    for (const d of [p.upper, p.work, p.target]) assert.ok(!(await exists(d)));
    await removeRootfs(root, 'c1'); // idempotent
  });

  it('mounts read-only, single-layer and layerless images with the same mechanism', async () => {
    const ro = await mountRootfs({ root, containerId: 'ro', lowerDirs: await snaps.prepare(image(), containerOwner('ro')), readOnly: true });
    const single = await mountRootfs({ root, containerId: 'one', lowerDirs: await snaps.prepare(imageOf(blobs, [layer().file('only', '1')]), containerOwner('one')) });
    const empty = await mountRootfs({ root, containerId: 'empty', lowerDirs: [] });
    try {
      await assert.rejects(fsp.writeFile(path.join(ro.target, 'x'), 'x'), { code: 'EROFS' });
      assert.equal(await fsp.readFile(path.join(single.target, 'only'), 'utf8'), '1');
      await fsp.writeFile(path.join(empty.target, 'x'), 'x');
      assert.deepEqual((await mountedRootfs(root)).sort(), ['empty', 'one', 'ro']);
    } finally {
      assert.deepEqual((await unmountAllRootfs(root)).sort(), ['empty', 'one', 'ro']);
      for (const id of ['ro', 'one', 'empty']) await removeRootfs(root, id);
    }
    assert.deepEqual(await mountsUnder(root), []);
  });

  it('unmounts a busy rootfs lazily', async () => {
    const p = await mountRootfs({ root, containerId: 'busy', lowerDirs: await snaps.prepare(image(), containerOwner('busy')) });
    const fh = await fsp.open(path.join(p.target, 'etc/hosts'), 'r');
    try {
      await removeRootfs(root, 'busy');
      assert.deepEqual(await mountsUnder(root), []);
    } finally {
      await fh.close();
    }
  });

  it('runs a program from the mounted image (Debian busybox-static in a two-layer image)', async () => {
    const busybox = await fsp.readFile('/usr/bin/busybox');
    const img = imageOf(blobs, [
      layer().dir('bin').file('bin/busybox', busybox, { mode: 0o755 }).symlink('bin/sh', 'busybox'),
      layer().dir('etc').file('etc/greeting', 'hello from the image'),
    ]);
    const p = await mountRootfs({ root, containerId: 'bb', lowerDirs: await snaps.prepare(img, containerOwner('bb')) });
    try {
      const { stdout } = await runTool('chroot', [p.target, '/bin/sh', '-c', '/bin/busybox cat /etc/greeting && echo written > /tmp-out && /bin/busybox cat /tmp-out']);
      assert.equal(stdout, 'hello from the imagewritten\n');
      assert.equal(await fsp.readFile(path.join(p.upper, 'tmp-out'), 'utf8'), 'written\n');
    } finally {
      await removeRootfs(root, 'bb');
    }
  });

  it('rejects container ids that are not plain directory names', () => {
    for (const id of ['../x', 'a/b', '', '.hidden']) assert.throws(() => rootfsPaths(root, id), /not usable as a directory name/);
  });
});
