// ImageFsInfo of a real `skiff runtime`: the usage it reports comes from snapshot and blob
// records, not from walking the trees at every call, yet equals what a du-style walk of the
// snapshots directory and the content store counts — after a pull, after RemoveImage, and after
// a restart on records written before usage was kept.

import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diskUsage, type DiskUsage } from '../../../src/runtime/images/disk-usage.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/cri-runtime.js';

describe('skiff runtime: ImageFsInfo', () => {
  let rt: TestRuntime;
  const snapshotsDir = (): string => join(rt.root, 'snapshots');

  /** What the runtime reports, checked for its shape. */
  const reported = async (): Promise<DiskUsage> => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const { image_filesystems, container_filesystems } = await rt.client.imageFsInfo({});
    assert.equal(image_filesystems.length, 1);
    assert.deepEqual(container_filesystems, []);
    const fs = image_filesystems[0]!;
    assert.equal(fs.fs_id?.mountpoint, snapshotsDir());
    assert.ok(BigInt(fs.timestamp) >= before - 1_000_000_000n, 'timestamp: when it was asked');
    return { bytes: fs.used_bytes?.value ?? -1, inodes: fs.inodes_used?.value ?? -1 };
  };
  /** The du-style walk ImageFsInfo used to do at every call. */
  const walked = async (): Promise<DiskUsage> => {
    const [s, c] = await Promise.all([diskUsage(snapshotsDir()), diskUsage(join(rt.root, 'content'))]);
    return { bytes: s.bytes + c.bytes, inodes: s.inodes + c.inodes };
  };

  before(async () => {
    rt = await startTestRuntime();
  });
  after(async () => {
    await rt?.stop();
  });

  it('grows with a pull and shrinks with RemoveImage, equal to a walk of the trees', async () => {
    const empty = await reported();
    assert.deepEqual(empty, await walked());

    const { image_ref } = await rt.client.pullImage({ image: { image: 'busybox' } });
    const pulled = await reported();
    assert.deepEqual(pulled, await walked());
    assert.ok(pulled.bytes > empty.bytes + 500_000, `the unpacked busybox counts (${empty.bytes} → ${pulled.bytes} bytes)`);
    assert.ok(pulled.inodes > empty.inodes + 3, `and its files (${empty.inodes} → ${pulled.inodes} inodes)`);
    assert.deepEqual(await reported(), pulled, 'asked again: the same');

    await rt.client.removeImage({ image: { image: image_ref } });
    const removed = await reported();
    assert.deepEqual(removed, await walked());
    assert.ok(removed.bytes < pulled.bytes && removed.inodes < pulled.inodes, `freed (${pulled.bytes} → ${removed.bytes} bytes)`);
  });

  it('counts snapshots recorded before usage was kept, and records their usage', async () => {
    await rt.client.pullImage({ image: { image: 'busybox' } });
    const expected = await reported();
    const records = (await readdir(snapshotsDir())).filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => join(snapshotsDir(), n, 'snapshot.json'));
    assert.ok(records.length > 0);
    for (const file of records) {
      const rec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      assert.ok(rec.usage !== undefined, `${file} records its usage`);
      delete rec.usage;
      await writeFile(file, JSON.stringify(rec, null, 2) + '\n');
    }
    await rt.restart();
    const afterRestart = await reported();
    assert.deepEqual(afterRestart, await walked());
    assert.equal(afterRestart.inodes, expected.inodes);
    for (const file of records) {
      const rec = JSON.parse(await readFile(file, 'utf8')) as { usage?: DiskUsage };
      assert.ok((rec.usage?.inodes ?? 0) > 0, `${file}: usage measured once and stored`);
    }
  });
});
