import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveInRoot } from '../../../src/runtime/oci/rootpath.js';
import { loadUserDb, parseGroup, parsePasswd } from '../../../src/runtime/oci/user.js';

describe('passwd and group parsing', () => {
  it('skips comments, blanks and malformed lines', () => {
    const users = parsePasswd('# c\n\nroot:x:0:0:root:/root:/bin/sh\nbad:x:zz:0::/:/bin/sh\nshort:x\napp:x:1000:1000\n');
    assert.deepEqual(users.map((u) => [u.name, u.uid, u.gid]), [['root', 0, 0], ['app', 1000, 1000]]);
    const groups = parseGroup('wheel:x:10:root, app\nempty:x:11:\nbad:x:q:\n');
    assert.deepEqual(groups, [{ name: 'wheel', gid: 10, members: ['root', 'app'] }, { name: 'empty', gid: 11, members: [] }]);
  });
});

describe('files inside a rootfs', () => {
  let root = '';
  let outside = '';
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'skiff-oci-root-'));
    outside = await mkdtemp(path.join(os.tmpdir(), 'skiff-oci-outside-'));
    await mkdir(path.join(root, 'etc'));
    await mkdir(path.join(root, 'data'));
    await writeFile(path.join(root, 'data/passwd.real'), 'app:x:1000:1000::/:/bin/sh\n');
    await writeFile(path.join(outside, 'secret'), 'host:x:0:0::/:/bin/sh\n');
    // /etc/passwd -> /data/passwd.real (absolute, must resolve inside the root)
    await symlink('/data/passwd.real', path.join(root, 'etc/passwd'));
    // /etc/group -> ../../../<outside>/secret (must not escape)
    await symlink(`../../../../../..${outside}/secret`, path.join(root, 'etc/group'));
    await symlink('loop2', path.join(root, 'loop1'));
    await symlink('loop1', path.join(root, 'loop2'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('follows absolute and relative links without leaving the root', async () => {
    assert.equal(await resolveInRoot(root, '/etc/passwd'), path.join(root, 'data/passwd.real'));
    assert.equal(await resolveInRoot(root, '/etc/group'), path.join(root, outside, 'secret'));
    assert.equal(await resolveInRoot(root, '../../etc/../data/x'), path.join(root, 'data/x'));
    await assert.rejects(resolveInRoot(root, '/loop1'), /too many levels of symbolic links/);
  });

  it('loadUserDb reads through the links and reports missing files as absent', async () => {
    const db = await loadUserDb(root);
    assert.equal(db.passwd, 'app:x:1000:1000::/:/bin/sh\n');
    assert.equal(db.group, undefined);
  });
});
