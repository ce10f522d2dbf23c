// Mount helpers against the real kernel (as root): mountinfo parsing, overlay with a lowerdir list
// longer than a page, read-only binds, idempotent unmount.
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ToolError, bindMount, isMountPoint, mountOverlay, mountsUnder, parseMountInfo, runTool, unmount, unmountAllUnder } from '../../src/runtime/mount.js';

describe('mount helpers', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-mount-test-'));
  });
  after(async () => {
    await unmountAllUnder(tmp);
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('parses mountinfo lines with optional fields and octal escapes', () => {
    const [m] = parseMountInfo('36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - overlay overlay rw,lowerdir=/a:/b\n');
    assert.deepEqual(m, {
      mountId: 36, parentId: 35, majorMinor: '98:0', root: '/mnt1', mountPoint: '/mnt/with space', mountOptions: 'rw,noatime',
      fsType: 'overlay', source: 'overlay', superOptions: 'rw,lowerdir=/a:/b',
    });
  });

  it('mounts an overlay of more lowers than fit in one page of options', async () => {
    const lowers: string[] = [];
    for (let i = 0; i < 60; i++) {
      const d = path.join(tmp, 'snapshots', `${String(i).padStart(64, 'f')}`, 'fs');
      await fsp.mkdir(d, { recursive: true });
      await fsp.writeFile(path.join(d, `f${i}`), String(i));
      lowers.push(d);
    }
    assert.ok(lowers.join(':').length > 4096);
    const [upper, work, target] = ['upper', 'work', 'merged'].map((d) => path.join(tmp, d));
    for (const d of [upper, work, target]) await fsp.mkdir(d);
    await mountOverlay({ lowerDirs: lowers, upperDir: upper, workDir: work, target });
    try {
      assert.equal((await fsp.readdir(target)).length, 60);
      assert.equal(await fsp.readFile(path.join(target, 'f59'), 'utf8'), '59');
      assert.ok(!(await fsp.readdir(tmp)).some((f) => f.startsWith('.overlay-lowers-')), 'temporary links removed');
    } finally {
      await unmount(target);
    }
    assert.equal(await isMountPoint(target), false);
    await unmount(target); // not mounted: no error
  });

  it('bind-mounts read-only and unmounts everything below a directory', async () => {
    const src = path.join(tmp, 'src');
    const dst = path.join(tmp, 'dst');
    await fsp.mkdir(src);
    await fsp.mkdir(dst);
    await bindMount(src, dst, { readOnly: true });
    await assert.rejects(fsp.writeFile(path.join(dst, 'x'), 'x'), { code: 'EROFS' });
    assert.deepEqual((await mountsUnder(tmp)).map((m) => m.mountPoint), [dst]);
    assert.deepEqual(await unmountAllUnder(tmp), [dst]);
    assert.deepEqual(await mountsUnder(tmp), []);
  });

  it('reports a failing tool with its stderr', async () => {
    await assert.rejects(runTool('mount', ['-t', 'overlay', 'overlay', '-o', 'lowerdir=/nonexistent-skiff', path.join(tmp, 'nowhere')]), (err: unknown) => {
      assert.ok(err instanceof ToolError);
      assert.match(err.message, /mount -t overlay .* failed \(exit \d+\): .+/);
      return true;
    });
  });
});
