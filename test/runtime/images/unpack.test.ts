// applyLayer against real layer tars (as root): file types, ownership, modes, xattrs, whiteouts
// in overlay form, diffID checks and hostile entries.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { LayerMediaType, LayerUnpackError } from '../../../src/runtime/images/layer-stream.js';
import { applyLayer } from '../../../src/runtime/images/unpack.js';
import { getXattr, setXattrs } from '../../../src/runtime/images/xattr.js';
import { runTool } from '../../../src/runtime/mount.js';
import { digest, layer } from './layer-builder.js';

const TAR = LayerMediaType.ociTar;
const GZ = LayerMediaType.ociTarGzip;

let tmp: string;
let n = 0;
const next = (): string => path.join(tmp, `l${n++}`);
const apply = (bytes: Buffer, target: string, opts: Partial<Parameters<typeof applyLayer>[2]> = {}) =>
  applyLayer(Readable.from([bytes]), target, { mediaType: TAR, ...opts });

async function exists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(() => true, () => false);
}

async function rejectsWith(p: Promise<unknown>, reason: LayerUnpackError['reason'], re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof LayerUnpackError, `expected LayerUnpackError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.match(err.message, re);
    return true;
  });
}

describe('applyLayer', () => {
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-unpack-test-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('writes files, directories, links, devices with owners, modes, times and xattrs; returns the diffID', async () => {
    const bin = Buffer.from([0xff, 0x00, 0x80, 0x7f]);
    const tarBytes = layer()
      .dir('./usr', { mtime: 1_600_000_000 })
      .dir('usr/bin')
      .file('usr/bin/tool', '#!/bin/sh\n', { mode: 0o4755, uid: 0, gid: 0, xattrs: { 'user.text': 'hello', 'user.bin': bin } })
      .hardlink('usr/bin/tool2', 'usr/bin/tool')
      .symlink('usr/bin/sh', '/bin/busybox')
      .dir('tmp', { mode: 0o1777 })
      .dir('home/app', { uid: 1000, gid: 1001, mode: 0o750 })
      .file('home/app/data', 'x'.repeat(70_000), { uid: 1000, gid: 1001, mode: 0o600, mtime: 1_500_000_000 })
      .charDevice('dev/null', 1, 3, { mode: 0o666 })
      .fifo('run/fifo', { mode: 0o620 })
      .file(`deep/${'n'.repeat(120)}`, 'long name')
      .tar();
    const target = next();
    const res = await apply(tarBytes, target, { diffId: digest(tarBytes) });
    assert.equal(res.diffId, digest(tarBytes));
    assert.equal(res.size, tarBytes.length);

    const tool = await fsp.stat(path.join(target, 'usr/bin/tool'));
    assert.equal(tool.mode & 0o7777, 0o4755);
    assert.equal((await fsp.stat(path.join(target, 'usr/bin/tool2'))).ino, tool.ino);
    assert.equal(await fsp.readlink(path.join(target, 'usr/bin/sh')), '/bin/busybox');
    assert.equal((await fsp.stat(path.join(target, 'tmp'))).mode & 0o7777, 0o1777);
    const home = await fsp.stat(path.join(target, 'home/app'));
    assert.deepEqual([home.uid, home.gid, home.mode & 0o7777], [1000, 1001, 0o750]);
    const data = await fsp.stat(path.join(target, 'home/app/data'));
    assert.deepEqual([data.uid, data.gid, data.mode & 0o7777, data.size], [1000, 1001, 0o600, 70_000]);
    assert.equal(data.mtimeMs, 1_500_000_000_000);
    assert.equal((await fsp.stat(path.join(target, 'usr'))).mtimeMs, 1_600_000_000_000, 'directory times are set after their children');
    const dev = await fsp.lstat(path.join(target, 'dev/null'));
    assert.ok(dev.isCharacterDevice());
    assert.equal(dev.rdev, (1 << 8) | 3);
    const fifo = await fsp.lstat(path.join(target, 'run/fifo'));
    assert.ok(fifo.isFIFO());
    assert.equal(fifo.mode & 0o777, 0o620);
    assert.equal(await fsp.readFile(path.join(target, 'deep', 'n'.repeat(120)), 'utf8'), 'long name');
    assert.deepEqual(await getXattr(path.join(target, 'usr/bin/tool'), 'user.text'), Buffer.from('hello'));
    assert.deepEqual(await getXattr(path.join(target, 'usr/bin/tool'), 'user.bin'), bin, 'binary xattr values survive');
  });

  it('reproduces a tree that GNU tar archived with --xattrs', async () => {
    const src = path.join(tmp, 'gnu-src');
    await fsp.mkdir(path.join(src, 'dir/sub'), { recursive: true });
    await fsp.writeFile(path.join(src, 'dir/file'), 'content');
    await fsp.chmod(path.join(src, 'dir/file'), 0o2755);
    await fsp.link(path.join(src, 'dir/file'), path.join(src, 'dir/sub/link'));
    await fsp.symlink('../file', path.join(src, 'dir/sub/sym'));
    await fsp.chown(path.join(src, 'dir/sub'), 123, 456);
    await runTool('mknod', [path.join(src, 'dir/pipe'), 'p']);
    assert.deepEqual(await setXattrs([{ path: path.join(src, 'dir/file'), name: 'user.note', value: Buffer.from([1, 2, 0xfe]) }]), []);
    const tarFile = path.join(tmp, 'gnu.tar');
    await runTool('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-C', src, '-cf', tarFile, '.']);
    const target = next();
    await applyLayer(createReadStream(tarFile), target, { mediaType: TAR });
    const listing = async (dir: string) => (await runTool('find', ['.', '-printf', '%p %y %m %U %G %n %l %s %T@\\n'], { cwd: dir })).stdout
      .split('\n').map((l) => l.replace(/(\.\d{3})\d*$/, '$1')).sort(); // times to the millisecond
    assert.deepEqual(await listing(target), await listing(src));
    assert.deepEqual(await getXattr(path.join(target, 'dir/file'), 'user.note'), Buffer.from([1, 2, 0xfe]));
  });

  it('converts whiteouts to 0/0 character devices and opaque markers to trusted.overlay.opaque', async () => {
    const tarBytes = layer().dir('etc').whiteout('etc/passwd').whiteout('gone').dir('data').opaque('data').file('data/new', 'n').tar();
    const target = next();
    await apply(tarBytes, target);
    for (const p of ['etc/passwd', 'gone']) {
      const st = await fsp.lstat(path.join(target, p));
      assert.ok(st.isCharacterDevice() && st.rdev === 0, `${p} is a whiteout device`);
    }
    assert.ok(!(await exists(path.join(target, 'etc/.wh.passwd'))));
    assert.ok(!(await exists(path.join(target, 'data/.wh..wh..opq'))));
    assert.deepEqual(await getXattr(path.join(target, 'data'), 'trusted.overlay.opaque'), Buffer.from('y'));
    const leftovers = (await fsp.readdir(tmp)).filter((f) => f.includes('whiteout'));
    assert.deepEqual(leftovers, [], 'the whiteout template is removed');
  });

  it('computes the same diffID for a gzip-compressed layer and checks it', async () => {
    const t = layer().file('a', 'a').tar();
    const res = await applyLayer(Readable.from([layer().file('a', 'a').gzip()]), next(), { mediaType: GZ, diffId: digest(t) });
    assert.equal(res.diffId, digest(t));
  });

  it('rejects a diffID mismatch and removes the partial directory', async () => {
    const target = next();
    await rejectsWith(apply(layer().file('a', 'a').tar(), target, { diffId: digest('other') }), 'diffid-mismatch', /diffID mismatch/);
    assert.ok(!(await exists(target)));
  });

  it('rejects entries that escape the target', async () => {
    const outside = path.join(tmp, 'outside');
    await fsp.mkdir(outside);
    const cases: Array<[Buffer, RegExp]> = [
      [layer().file('../escape', 'x').tar(), /contains '\.\.'/],
      [layer().file('a/../../escape', 'x').tar(), /contains '\.\.'/],
      [layer().file('/etc/escape', 'x').tar(), /absolute path/],
      [layer().symlink('link', outside).file('link/escape', 'x').tar(), /through a symlink/],
      [layer().symlink('link', '../outside').file('link/escape', 'x').tar(), /through a symlink/],
      [layer().symlink('link', outside).hardlink('h', 'link/escape').tar(), /through a symlink/],
      [layer().hardlink('h', '../outside/x').tar(), /contains '\.\.'/],
    ];
    for (const [bytes, re] of cases) {
      const target = next();
      await rejectsWith(apply(bytes, target), 'invalid', re);
      assert.ok(!(await exists(target)), 'partial directory removed');
    }
    assert.deepEqual(await fsp.readdir(outside), [], 'nothing was written outside the target');
  });

  it('applies nothing through a symlink that replaced a directory', async () => {
    const outside = path.join(tmp, 'outside-times');
    await fsp.mkdir(path.join(outside, 'b'), { recursive: true });
    const before = (await fsp.stat(path.join(outside, 'b'))).mtimeMs;
    const target = next();
    await apply(layer().dir('a').dir('a/b', { mtime: 1000 }).symlink('a', outside).tar(), target);
    assert.equal(await fsp.readlink(path.join(target, 'a')), outside);
    assert.equal((await fsp.stat(path.join(outside, 'b'))).mtimeMs, before);
  });

  it('replaces a symlink by a file without following it', async () => {
    const outside = path.join(tmp, 'victim');
    await fsp.writeFile(outside, 'original');
    const target = next();
    await apply(layer().symlink('f', outside).file('f', 'new').tar(), target);
    assert.equal(await fsp.readFile(outside, 'utf8'), 'original');
    assert.equal(await fsp.readFile(path.join(target, 'f'), 'utf8'), 'new');
  });

  it('rejects zstd layers and corrupt archives clearly', async () => {
    await rejectsWith(apply(Buffer.alloc(0), next(), { mediaType: LayerMediaType.ociTarZstd }), 'unsupported', /zstd/);
    await rejectsWith(apply(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]), next()), 'unsupported', /zstd/);
    await rejectsWith(apply(Buffer.alloc(10), next(), { mediaType: 'application/x-foo' }), 'unsupported', /not a supported/);
    const gz = layer().file('a', 'a'.repeat(5000)).gzip();
    await rejectsWith(apply(gz.subarray(0, gz.length - 20), next(), { mediaType: GZ }), 'invalid', /not a valid gzip-compressed tar/);
    const t = layer().file('a', 'a'.repeat(5000)).tar();
    await rejectsWith(apply(t.subarray(0, 1500), next()), 'invalid', /not a valid tar/);
  });

  it('creates parent directories with the lower layer attributes and copies up hard-link targets', async () => {
    const lower = next();
    await apply(layer().dir('srv', { uid: 7, gid: 8, mode: 0o710 }).file('srv/base', 'base', { uid: 7, mode: 0o640 }).tar(), lower);
    const upper = next();
    await apply(layer().file('srv/added', 'added').hardlink('srv/link', 'srv/base').tar(), upper, { parents: [lower] });
    const srv = await fsp.stat(path.join(upper, 'srv'));
    assert.deepEqual([srv.uid, srv.gid, srv.mode & 0o7777], [7, 8, 0o710]);
    const base = await fsp.stat(path.join(upper, 'srv/base'));
    assert.equal((await fsp.stat(path.join(upper, 'srv/link'))).ino, base.ino);
    assert.deepEqual([base.uid, base.mode & 0o7777], [7, 0o640]);
    assert.equal(await fsp.readFile(path.join(upper, 'srv/link'), 'utf8'), 'base');
    await rejectsWith(apply(layer().hardlink('x', 'srv/missing').tar(), next(), { parents: [lower] }), 'invalid', /neither a file in this layer nor in the layers below/);
  });
});
