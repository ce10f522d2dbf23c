// The compiled `skiff images` CLI on a temporary runtime root: import (OCI layout tar, exported
// tar, docker-archive), export, ls, pull (through a registries.yaml mirror to a local
// docker-registry) and rm, checking the records, snapshots and blobs it leaves in the root.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBusyboxImage, buildLayeredImage, type BuiltImage } from '../../scripts/build-test-image.js';
import { startRegistry, type LocalRegistry } from '../helpers/registry.js';
import { runSkiff, type CliResult } from '../helpers/run-skiff.js';

interface Snapshot {
  chainId: string;
  owners: string[];
}

describe('skiff images on a runtime root', () => {
  let work: string;
  let root: string;
  let registry: LocalRegistry | undefined;
  let busybox: BuiltImage;
  let layered: BuiltImage;
  let busyboxId = '';

  const images = async (args: string[], expectCode = 0): Promise<CliResult> => {
    const r = await runSkiff(['images', ...args]);
    assert.equal(r.code, expectCode, `skiff images ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };
  const tarDir = (dir: string, file: string): void => {
    const r = spawnSync('tar', ['-C', dir, '-cf', file, '.'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  const snapshots = async (r = root): Promise<Snapshot[]> => {
    const dir = join(r, 'snapshots');
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(n));
    return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n, 'snapshot.json'), 'utf8')) as Snapshot));
  };
  const blobs = async (r = root): Promise<string[]> => (await readdir(join(r, 'content', 'blobs', 'sha256')).catch(() => [] as string[])).sort();

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-images-cli-'));
    root = join(work, 'root');
    busybox = await buildBusyboxImage(join(work, 'busybox'));
    layered = await buildLayeredImage(join(work, 'layered'), { tag: 'v1' });
    tarDir(busybox.dir, join(work, 'busybox.tar'));
    tarDir(layered.dir, join(work, 'layered.tar'));
    registry = await startRegistry();
    await registry.push(busybox.dir, 'library/busybox:latest');
  });

  after(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('import an OCI layout tar: a bare tag needs --base-name; the layers are unpacked for image:<id>', async () => {
    const r = await images(['import', '--root', root, '--base-name', 'docker.io/library/busybox', join(work, 'busybox.tar')]);
    const m = /^imported docker\.io\/library\/busybox:latest (sha256:[0-9a-f]{64}) \([0-9.]+[kM]B\)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    busyboxId = m[1] as string;
    assert.equal(busyboxId, busybox.configDigest);
    const snaps = await snapshots();
    assert.equal(snaps.length, 1);
    assert.deepEqual(snaps[0]?.owners, [`image:${busyboxId}`]);
    assert.ok(existsSync(join(root, 'snapshots', snaps[0]!.chainId.slice(7), 'fs', 'bin', 'busybox')));

    const unnamed = await images(['import', '--root', root, join(work, 'layered.tar')]);
    assert.match(unnamed.stderr, /only tagged "v1" in the archive; give --base-name REPO to name it/);
    assert.match(unnamed.stdout, /^imported \(unnamed\) sha256:/);
    // The layered image shares the busybox layer: one more owner on it, two more snapshots.
    const after2 = await snapshots();
    assert.equal(after2.length, 3);
    assert.deepEqual(after2.find((s) => s.chainId === snaps[0]?.chainId)?.owners.sort(), [`image:${busyboxId}`, `image:${layered.configDigest}`].sort());
  });

  it('ls: crictl-style table, -q, --digests, json', async () => {
    const table = (await images(['ls', '--root', root])).stdout.split('\n');
    assert.match(table[0] as string, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    assert.ok(table.some((l) => new RegExp(`^docker\\.io/library/busybox\\s+latest\\s+${busyboxId.slice(7, 20)}\\s+[0-9.]+[kM]B$`).test(l)), table.join('\n'));
    assert.ok(table.some((l) => /^<none>\s+<none>\s+/.test(l)), table.join('\n'));
    assert.deepEqual((await images(['ls', '--root', root, '-q'])).stdout.trim().split('\n').sort(), [busyboxId, layered.configDigest].sort());
    assert.match((await images(['ls', '--root', root, '--digests'])).stdout, /^IMAGE\s+TAG\s+DIGEST\s+IMAGE ID\s+SIZE\n/);
    const json = JSON.parse((await images(['ls', '--root', root, '-o', 'json'])).stdout) as { images: { names: string[]; manifestDigest: string }[] };
    assert.deepEqual(json.images.map((i) => i.manifestDigest).sort(), [busybox.manifestDigest, layered.manifestDigest].sort());
  });

  it('export, then import into another root keeps names and ids', async () => {
    const out = join(work, 'export.tar');
    const r = await images(['export', '--root', root, 'busybox', '-o', out]);
    assert.match(r.stderr, /exported 1 image\(s\) to /);
    const other = join(work, 'other-root');
    const imported = await images(['import', '--root', other, out]);
    assert.equal(imported.stdout.split(' ').slice(0, 3).join(' '), `imported docker.io/library/busybox:latest ${busyboxId}`);
    assert.match((await images(['ls', '--root', other])).stdout, /docker\.io\/library\/busybox\s+latest/);
    const e = await images(['export', '--root', root, 'no-such-image', '-o', join(work, 'never.tar')], 1);
    assert.match(e.stderr, /image "no-such-image" not found/);
    assert.ok(!existsSync(join(work, 'never.tar')));
  });

  it('import a docker-archive (manifest.json with RepoTags)', async () => {
    const dir = join(work, 'docker-archive');
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const copy = async (d: string): Promise<string> => {
      const rel = `blobs/sha256/${d.slice(7)}`;
      await writeFile(join(dir, rel), await readFile(join(busybox.dir, rel)));
      return rel;
    };
    const manifest = [{ Config: await copy(busybox.configDigest), RepoTags: ['skiff/archived:v2'], Layers: [await copy(busybox.layers[0]!.digest)] }];
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    tarDir(dir, join(work, 'docker-archive.tar'));
    const root3 = join(work, 'root3');
    const r = await images(['import', '--root', root3, join(work, 'docker-archive.tar')]);
    assert.equal(r.stdout.split(' ').slice(0, 3).join(' '), `imported docker.io/skiff/archived:v2 ${busyboxId}`);
    assert.equal((await snapshots(root3))[0]?.owners[0], `image:${busyboxId}`);
  });

  it('pull through a registries.yaml mirror, and from the registry by its address', async () => {
    const reg = join(work, 'registries.yaml');
    await writeFile(reg, `mirrors:\n  docker.io:\n    endpoint: ["${registry?.url}"]\n`);
    const root4 = join(work, 'root4');
    const r = await images(['pull', '--root', root4, '--registries', reg, 'busybox']);
    assert.match(r.stdout, new RegExp(`^pulled docker\\.io/library/busybox:latest ${busyboxId} \\([0-9.]+[kM]B, 2 blob\\(s\\) downloaded\\)\\n$`));
    assert.equal((await snapshots(root4))[0]?.owners[0], `image:${busyboxId}`);
    const again = await images(['pull', '--root', root4, `${registry?.host}/library/busybox:latest`]);
    assert.match(again.stdout, /, 0 blob\(s\) downloaded\)\n$/);
    const names = JSON.parse((await images(['ls', '--root', root4, '-o', 'json'])).stdout) as { images: { names: string[] }[] };
    assert.ok(names.images[0]?.names.includes(`${registry?.host}/library/busybox:latest`));
  });

  it('rm frees what nothing else uses: shared layers stay until their last image goes', async () => {
    const before = await blobs();
    const r = await images(['rm', '--root', root, 'docker.io/library/busybox:latest']);
    assert.equal(r.stdout, 'Deleted: docker.io/library/busybox:latest\n');
    const after1 = await blobs();
    // busybox's manifest and config go; its layer is shared with the layered image and stays.
    assert.deepEqual(before.filter((b) => !after1.includes(b)).sort(), [busybox.manifestDigest, busybox.configDigest].map((d) => d.slice(7)).sort());
    assert.ok(after1.includes(busybox.layers[0]!.digest.slice(7)));
    assert.equal((await snapshots()).length, 3);
    assert.ok((await snapshots()).every((s) => s.owners.length === 1 && s.owners[0] === `image:${layered.configDigest}`));

    await images(['rm', '--root', root, layered.configDigest.slice(7, 19)]);
    assert.deepEqual(await blobs(), []);
    assert.deepEqual(await snapshots(), []);
    assert.equal((await images(['ls', '--root', root, '-q'])).stdout, '');
  });

  it('bad input: clear errors', async () => {
    assert.match((await images(['import', '--root', root, join(work, 'missing.tar')], 1)).stderr, /image archive .*missing\.tar does not exist/);
    await writeFile(join(work, 'not-an-archive.tar'), 'hello');
    assert.match((await images(['import', '--root', root, join(work, 'not-an-archive.tar')], 1)).stderr, /not a readable image archive|neither index\.json nor manifest\.json/);
    assert.match((await images(['pull', '--root', root, 'Bad/Name'], 1)).stderr, /invalid reference format/);
    assert.match((await images(['rm', '--root', root, 'nothing:here'], 1)).stderr, /image "nothing:here" not found/);
    assert.match((await images(['pull', '--root', root, '--registries', join(work, 'nope.yaml'), 'busybox'], 1)).stderr, /registries file .*nope\.yaml does not exist/);
  });
});
