// Real network namespaces (root): bind-mounted under a directory unique to this run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NetnsError, NetnsManager, nsMounts } from '../../../src/runtime/sandbox/netns.js';

const execFileP = promisify(execFile);

describe('NetnsManager', () => {
  let root: string;
  let mgr: NetnsManager;
  const uniq = randomBytes(4).toString('hex');

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-netns-'));
    mgr = new NetnsManager({ dir: join(root, 'netns'), recordsDir: join(root, 'records') });
  });
  after(async () => {
    // Whatever a failed test left: unmount by exact path, then delete the directory.
    for (const m of await nsMounts()) if (m.startsWith(root + '/')) await execFileP('umount', ['--lazy', m]).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('creates a recorded, mounted namespace with only lo, and removes it idempotently', async () => {
    const name = `ns-${uniq}-a`;
    const path = await mgr.create(name);
    assert.equal(path, join(root, 'netns', name));
    assert.ok((await nsMounts()).includes(path));
    assert.deepEqual(await mgr.records.get(name), { name, path, createdAt: (await mgr.records.get(name))?.createdAt });
    assert.deepEqual(await mgr.list(), [{ name, path, mounted: true, recorded: true }]);
    assert.equal(await mgr.exists(name), true);

    const links = await mgr.exec(name, ['ip', '-o', 'link', 'show']);
    assert.equal(links.exitCode, 0, links.stderr);
    assert.deepEqual(links.stdout.trim().split('\n').map((l) => l.split(':')[1]?.trim()), ['lo']);
    // It is a different namespace from ours: its inode differs from /proc/self/ns/net.
    const inside = await mgr.exec(name, ['readlink', '/proc/self/ns/net']);
    const outside = await execFileP('readlink', ['/proc/self/ns/net']);
    assert.notEqual(inside.stdout.trim(), outside.stdout.trim());
    const failing = await mgr.exec(name, ['sh', '-c', 'exit 3']);
    assert.equal(failing.exitCode, 3);

    await assert.rejects(mgr.create(name), (e: unknown) => e instanceof NetnsError && /already exists/.test(e.message));

    await mgr.remove(name);
    assert.equal((await nsMounts()).includes(path), false);
    await assert.rejects(access(path));
    assert.equal(await mgr.records.get(name), undefined);
    assert.deepEqual(await mgr.list(), []);
    await mgr.remove(name); // again: nothing to do
  });

  it('lists and cleans what a crash leaves: a record without a mount, a mount without a record', async () => {
    const recordOnly = `ns-${uniq}-rec`;
    const mountOnly = `ns-${uniq}-mnt`;
    await mgr.records.put(recordOnly, { name: recordOnly, path: mgr.pathOf(recordOnly), createdAt: new Date().toISOString() });
    await writeFile(mgr.pathOf(recordOnly), ''); // touched but never mounted
    await mgr.create(mountOnly);
    await mgr.records.delete(mountOnly);
    assert.deepEqual(await mgr.list(), [
      { name: mountOnly, path: mgr.pathOf(mountOnly), mounted: true, recorded: false },
      { name: recordOnly, path: mgr.pathOf(recordOnly), mounted: false, recorded: true },
    ]);
    assert.deepEqual(await mgr.removeAll(), [mountOnly, recordOnly]);
    assert.deepEqual(await mgr.list(), []);
    await assert.rejects(access(mgr.pathOf(recordOnly)));
  });

  it('reuses a leftover unmounted file and rejects names that are not plain', async () => {
    const name = `ns-${uniq}-left`;
    await mgr.create(name).then(() => mgr.remove(name));
    await writeFile(mgr.pathOf(name), '');
    await mgr.create(name);
    assert.equal(await mgr.exists(name), true);
    await mgr.remove(name);
    for (const bad of ['../x', 'a/b', '', '.x']) assert.throws(() => mgr.pathOf(bad), NetnsError);
  });
});
