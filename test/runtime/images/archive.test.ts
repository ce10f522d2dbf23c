// Import of OCI layouts and docker-archives built here, export to an OCI layout tar and re-import,
// and the imported images unpacking into snapshots.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exportOciArchive, importArchive } from '../../../src/runtime/images/archive.js';
import { ContentStore } from '../../../src/runtime/images/content.js';
import { MediaType } from '../../../src/runtime/images/oci-image.js';
import { Snapshotter, imageOwner } from '../../../src/runtime/images/snapshots.js';
import { digest, layer } from './layer-builder.js';

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const l1 = layer().dir('bin').file('bin/hello', 'hello', { mode: 0o755 });
const l2 = layer().dir('etc').file('etc/motd', 'motd');
const config = (arch = 'amd64'): Buffer => json({
  architecture: arch, os: 'linux', config: { Cmd: ['/bin/hello'] },
  rootfs: { type: 'layers', diff_ids: [digest(l1.tar()), digest(l2.tar())] },
});

/** Files of an OCI layout: a multi-platform index (amd64 + arm64) named `example.com/app:v1`. */
function ociLayout(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const blob = (b: Buffer, mediaType: string) => {
    files.set(`blobs/sha256/${digest(b).slice(7)}`, b);
    return { mediaType, digest: digest(b), size: b.length };
  };
  const manifest = (arch: string) => json({
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: blob(config(arch), MediaType.ociConfig),
    layers: [blob(l1.gzip(), MediaType.ociLayerGzip), blob(l2.tar(), MediaType.ociLayer)],
  });
  const amd = blob(manifest('amd64'), MediaType.ociManifest);
  const arm = blob(manifest('arm64'), MediaType.ociManifest);
  const idx = blob(json({
    schemaVersion: 2, mediaType: MediaType.ociIndex,
    manifests: [{ ...arm, platform: { os: 'linux', architecture: 'arm64' } }, { ...amd, platform: { os: 'linux', architecture: 'amd64' } }],
  }), MediaType.ociIndex);
  files.set('oci-layout', json({ imageLayoutVersion: '1.0.0' }));
  files.set('index.json', json({ schemaVersion: 2, manifests: [{ ...idx, annotations: { 'io.containerd.image.name': 'example.com/app:v1', 'org.opencontainers.image.ref.name': 'v1' } }] }));
  return files;
}

/** A legacy `docker save` archive: layer dirs, a config named by its hex, a duplicate layer symlinked. */
function dockerArchive(): Buffer {
  const cfg = config();
  const b = layer()
    .dir('aaa').file('aaa/layer.tar', l1.tar()).file('aaa/VERSION', '1.0')
    .dir('bbb').file('bbb/layer.tar', l2.tar())
    .dir('ccc').symlink('ccc/layer.tar', '../aaa/layer.tar')
    .file(`${digest(cfg).slice(7)}.json`, cfg)
    .file('repositories', '{}');
  const manifest = [{ Config: `${digest(cfg).slice(7)}.json`, RepoTags: ['busybox:test'], Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }];
  const cfg3 = json({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digest(l1.tar()), digest(l2.tar()), digest(l1.tar())] } });
  manifest.push({ Config: `${digest(cfg3).slice(7)}.json`, RepoTags: ['dup:1'], Layers: ['aaa/layer.tar', 'bbb/layer.tar', 'ccc/layer.tar'] });
  return b.file(`${digest(cfg3).slice(7)}.json`, cfg3).file('manifest.json', json(manifest)).tar();
}

function tarOf(files: Map<string, Buffer>): Buffer {
  const b = layer();
  for (const [name, data] of files) b.file(name, data);
  return b.tar();
}

describe('image archives', () => {
  let tmp: string;
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-archive-test-'));
  });
  after(async () => {
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('imports an OCI layout directory and tar, choosing the linux/amd64 manifest of an index', async () => {
    const dir = path.join(tmp, 'layout');
    for (const [name, data] of ociLayout()) {
      await fsp.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await fsp.writeFile(path.join(dir, name), data);
    }
    const tarFile = path.join(tmp, 'layout.tar');
    await fsp.writeFile(tarFile, tarOf(ociLayout()));
    for (const source of [dir, tarFile]) {
      const store = new ContentStore(path.join(tmp, `store-${path.basename(source)}`));
      const [img, ...rest] = await importArchive(source, store, { tmpDir: tmp });
      assert.equal(rest.length, 0);
      assert.deepEqual(img.names, ['example.com/app:v1']);
      assert.equal(img.config.architecture, 'amd64');
      assert.notEqual(img.digest, img.manifestDigest, 'listed by its index digest');
      for (const d of [img.digest, img.manifestDigest, img.manifest.config.digest, ...img.manifest.layers.map((l) => l.digest)]) {
        assert.ok(await store.has(d), `${d} stored`);
      }
      const snaps = new Snapshotter(path.join(tmp, `root-${path.basename(source)}`), store);
      const [top] = await snaps.prepare(img, imageOwner(img.manifest.config.digest));
      assert.equal(await fsp.readFile(path.join(top, 'etc/motd'), 'utf8'), 'motd');
    }
    assert.ok(!(await fsp.readdir(tmp)).some((f) => f.startsWith('skiff-import-')), 'temp dir removed');
  });

  it('imports a docker-archive, synthesising manifests, and round-trips through export', async () => {
    const archive = path.join(tmp, 'docker.tar');
    await fsp.writeFile(archive, dockerArchive());
    const store = new ContentStore(path.join(tmp, 'store-docker'));
    const imported = await importArchive(archive, store, { tmpDir: tmp });
    assert.deepEqual(imported.map((i) => i.names), [['busybox:test'], ['dup:1']]);
    const [img, dup] = imported;
    assert.equal(img.manifest.mediaType, MediaType.dockerManifest);
    assert.deepEqual(img.manifest.layers.map((l) => l.digest), img.config.rootfs.diff_ids, 'uncompressed layers: digest = diffID');
    assert.equal(dup.manifest.layers[2].digest, dup.manifest.layers[0].digest, 'symlinked duplicate layer resolved');
    assert.ok(await store.has(img.manifestDigest));

    const exported = path.join(tmp, 'export.tar');
    await exportOciArchive(
      [{ digest: img.manifestDigest, names: ['docker.io/library/busybox:test'] }, { digest: dup.manifestDigest, names: ['docker.io/library/dup:1', 'docker.io/library/dup@' + dup.manifestDigest] }],
      store, createWriteStream(exported),
    );
    const store2 = new ContentStore(path.join(tmp, 'store-reimport'));
    const again = await importArchive(exported, store2, { tmpDir: tmp });
    assert.deepEqual(again.map((i) => [i.manifestDigest, i.names]), [
      [img.manifestDigest, ['docker.io/library/busybox:test']],
      [dup.manifestDigest, ['docker.io/library/dup:1', 'docker.io/library/dup@' + dup.manifestDigest]],
    ]);
    assert.deepEqual(again[0].config, img.config);

    // The export is also a docker-archive (manifest.json) for `docker load`.
    const unpacked = path.join(tmp, 'export-dir');
    await fsp.mkdir(unpacked);
    const dirStore = new ContentStore(path.join(tmp, 'store-dockerview'));
    const { default: tarStream } = await import('tar-stream');
    const ex = tarStream.extract();
    const files = new Map<string, Buffer>();
    const reading = (async () => {
      for await (const e of ex) {
        const parts: Buffer[] = [];
        for await (const c of e as unknown as AsyncIterable<Buffer>) parts.push(c);
        files.set(e.header.name, Buffer.concat(parts));
      }
    })();
    ex.end(await fsp.readFile(exported));
    await reading;
    const dockerManifest = JSON.parse(files.get('manifest.json')?.toString() ?? 'null') as Array<{ RepoTags: string[]; Layers: string[] }>;
    assert.deepEqual(dockerManifest.map((m) => m.RepoTags), [['docker.io/library/busybox:test'], ['docker.io/library/dup:1']]);
    files.delete('index.json');
    await fsp.writeFile(path.join(unpacked, 'as-docker.tar'), tarOf(files));
    const viaDocker = await importArchive(path.join(unpacked, 'as-docker.tar'), dirStore, { tmpDir: tmp });
    assert.deepEqual(viaDocker.map((i) => i.config.rootfs.diff_ids), [img.config.rootfs.diff_ids, dup.config.rootfs.diff_ids]);
  });

  it('rejects broken archives with clear errors', async () => {
    const store = new ContentStore(path.join(tmp, 'store-bad'));
    const write = async (name: string, bytes: Buffer): Promise<string> => {
      const p = path.join(tmp, name);
      await fsp.writeFile(p, bytes);
      return p;
    };
    const missing = ociLayout();
    for (const k of [...missing.keys()]) if (missing.get(k)?.equals(l2.tar())) missing.delete(k);
    await assert.rejects(importArchive(await write('missing.tar', tarOf(missing)), store, { tmpDir: tmp }), { code: 'NotFound', message: /missing blob/ });

    const corrupt = ociLayout();
    for (const [k, v] of corrupt) if (v.equals(l2.tar())) corrupt.set(k, layer().file('evil', 'x').tar());
    await assert.rejects(importArchive(await write('corrupt.tar', tarOf(corrupt)), store, { tmpDir: tmp }), { code: 'DigestMismatch' });

    const escape = layer().file('../escape', 'x').tar();
    await assert.rejects(importArchive(await write('escape.tar', escape), store, { tmpDir: tmp }), /contains '\.\.'/);
    await assert.rejects(importArchive(await write('empty.tar', layer().file('x', 'y').tar()), store, { tmpDir: tmp }), /neither index.json nor manifest.json/);
    await assert.rejects(importArchive(path.join(tmp, 'nope.tar'), store), { code: 'NotFound' });
    assert.ok(!(await fsp.readdir(tmp)).some((f) => f === 'escape'), 'nothing written outside');
  });
});
