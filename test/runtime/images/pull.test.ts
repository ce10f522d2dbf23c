// Pulls from a real registry: Debian's docker-registry on 127.0.0.1, fed with the project's busybox
// test images. `busybox` reaches it through a docker.io mirror, as k3s's registries.yaml does.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBusyboxImage, buildLayeredImage, type BuiltImage } from '../../../scripts/build-test-image.js';
import { ContentStore } from '../../../src/runtime/images/content.js';
import { ImageRecords } from '../../../src/runtime/images/image-records.js';
import { pullImage, type PullProgress } from '../../../src/runtime/images/pull.js';
import { parseRegistriesConfig, type RegistriesConfig } from '../../../src/runtime/images/registries-config.js';
import { ImageError } from '../../../src/runtime/images/registry-errors.js';
import { startRegistry, type LocalRegistry } from '../../helpers/registry.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Adds an arm64 manifest next to the layout's amd64 one and makes index.json point at an index of both. */
async function makeMultiPlatform(img: BuiltImage): Promise<{ indexDigest: string; arm64Digest: string }> {
  const blobs = join(img.dir, 'blobs', 'sha256');
  const put = async (doc: unknown): Promise<{ digest: string; size: number }> => {
    const b = Buffer.from(JSON.stringify(doc));
    await writeFile(join(blobs, sha(b).slice(7)), b);
    return { digest: sha(b), size: b.length };
  };
  const amd64 = JSON.parse(await readFile(join(blobs, img.manifestDigest.slice(7)), 'utf8')) as { config: { digest: string }; layers: unknown[] };
  const cfg = JSON.parse(await readFile(join(blobs, amd64.config.digest.slice(7)), 'utf8')) as Record<string, unknown>;
  const armCfg = await put({ ...cfg, architecture: 'arm64', variant: 'v8' });
  const armMan = await put({ ...amd64, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...armCfg } });
  const oci = 'application/vnd.oci.image.manifest.v1+json';
  const index = await put({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: oci, ...armMan, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { mediaType: oci, digest: img.manifestDigest, size: img.manifestSize, platform: { os: 'linux', architecture: 'amd64' } },
    ],
  });
  await writeFile(
    join(img.dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }),
  );
  return { indexDigest: index.digest, arm64Digest: armMan.digest };
}

describe('pullImage from a local docker-registry', () => {
  let work: string;
  let reg: LocalRegistry;
  let busybox: BuiltImage;
  let layered: BuiltImage;
  let dockerFormat: BuiltImage;
  let multi: { indexDigest: string; arm64Digest: string; amd64: BuiltImage };
  let mirror: RegistriesConfig;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-pull-'));
    busybox = await buildBusyboxImage(join(work, 'layouts', 'busybox'));
    layered = await buildLayeredImage(join(work, 'layouts', 'layered'), { tag: 'v1' });
    dockerFormat = await buildBusyboxImage(join(work, 'layouts', 'docker'), { format: 'docker', config: { Cmd: ['httpd', '-f'], User: 'app' } });
    const amd64 = await buildBusyboxImage(join(work, 'layouts', 'multi'));
    multi = { ...(await makeMultiPlatform(amd64)), amd64 };
    reg = await startRegistry();
    assert.equal(await reg.push(busybox.dir, 'library/busybox:latest'), busybox.manifestDigest);
    await reg.push(layered.dir, 'library/layered:v1');
    await reg.push(dockerFormat.dir, 'tools/httpd:1.0');
    assert.equal(await reg.push(multi.amd64.dir, 'library/multi:multi'), multi.indexDigest);
    mirror = parseRegistriesConfig(`mirrors:\n  docker.io:\n    endpoint: ["http://${reg.host}"]\n`);
  });
  after(async () => {
    await reg?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('pulls `busybox` through the docker.io mirror, stores verified blobs, and downloads nothing the second time', async () => {
    const root = join(work, 'root-busybox');
    const events: PullProgress[] = [];
    const r = await pullImage('busybox', { root, registries: mirror, onProgress: (p) => events.push(p) });
    assert.equal(r.name, 'docker.io/library/busybox:latest');
    assert.equal(r.digest, busybox.manifestDigest);
    assert.equal(r.manifestDigest, busybox.manifestDigest);
    assert.equal(r.id, busybox.configDigest);
    assert.deepEqual(r.layers.map((l) => l.digest), busybox.layers.map((l) => l.digest));
    assert.deepEqual(r.config.rootfs.diff_ids, busybox.layers.map((l) => l.diffId));
    assert.deepEqual(r.config.config?.Cmd, ['sh']);
    assert.equal(r.config.architecture, 'amd64');
    assert.deepEqual(r.names, ['docker.io/library/busybox:latest', `docker.io/library/busybox@${busybox.manifestDigest}`]);
    assert.deepEqual(r.fetched, { blobs: 2, bytes: r.size - busybox.manifestSize });

    const store = new ContentStore(root);
    for (const d of [busybox.manifestDigest, busybox.configDigest, ...busybox.layers.map((l) => l.digest)]) {
      assert.equal(sha(await readFile(store.path(d))), d, `${d} stored and verified`);
    }
    assert.deepEqual(await readdir(store.ingestDir), []);
    const rec = await new ImageRecords(root).get('busybox');
    assert.equal(rec?.manifestDigest, busybox.manifestDigest);
    assert.equal((await new ImageRecords(root).get(busybox.configDigest))?.manifestDigest, busybox.manifestDigest);

    const layer = busybox.layers[0];
    assert.ok(layer);
    const layerEvents = events.filter((e) => e.digest === layer.digest);
    assert.ok(layerEvents.some((e) => e.status === 'downloading' && e.done <= e.total && e.total === layer.size));
    assert.deepEqual(layerEvents.at(-1), { reference: r.name, digest: layer.digest, kind: 'layer', mediaType: layer.mediaType, done: layer.size, total: layer.size, status: 'done' });

    const again: PullProgress[] = [];
    const r2 = await pullImage('docker.io/library/busybox', { root, registries: mirror, onProgress: (p) => again.push(p) });
    assert.deepEqual(r2.fetched, { blobs: 0, bytes: 0 });
    assert.equal(r2.manifestDigest, r.manifestDigest);
    assert.ok(again.length === 2 && again.every((e) => e.status === 'exists'));
    assert.equal((await new ImageRecords(root).list()).length, 1);
  });

  it('reaches a loopback registry over http without configuration, by tag, digest and tag@digest', async () => {
    const root = join(work, 'root-loopback');
    const byTag = await pullImage(`${reg.host}/library/busybox:latest`, { root });
    assert.equal(byTag.manifestDigest, busybox.manifestDigest);
    const byDigest = await pullImage(`${reg.host}/library/busybox@${busybox.manifestDigest}`, { root });
    assert.equal(byDigest.name, `${reg.host}/library/busybox@${busybox.manifestDigest}`);
    assert.deepEqual(byDigest.fetched, { blobs: 0, bytes: 0 });
    const both = await pullImage(`busybox:pinned@${busybox.manifestDigest}`, { root, registries: mirror });
    assert.ok(both.names.includes('docker.io/library/busybox:pinned'));
    assert.ok(both.names.includes(`docker.io/library/busybox@${busybox.manifestDigest}`));
    const rec = await new ImageRecords(root).get(busybox.manifestDigest);
    assert.ok(rec?.names.includes(`${reg.host}/library/busybox:latest`));
  });

  it('pulls the layered image (sharing the busybox layer) and a Docker schema 2 image', async () => {
    const root = join(work, 'root-layered');
    await pullImage('busybox', { root, registries: mirror });
    const l = await pullImage('layered:v1', { root, registries: mirror });
    assert.equal(l.layers.length, 3);
    assert.equal(l.layers[0]?.digest, busybox.layers[0]?.digest);
    assert.equal(l.fetched.blobs, 3, 'config + two new layers; the busybox layer is already there');
    assert.deepEqual(l.config.config?.Cmd, ['cat', '/data/keep.txt']);

    const d = await pullImage(`${reg.host}/tools/httpd:1.0`, { root });
    assert.equal(d.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(d.configDescriptor.mediaType, 'application/vnd.docker.container.image.v1+json');
    assert.equal(d.config.config?.User, 'app');
    assert.deepEqual(d.config.config?.Cmd, ['httpd', '-f']);
  });

  it('narrows an OCI image index to linux/amd64', async () => {
    const root = join(work, 'root-multi');
    const r = await pullImage(`${reg.host}/library/multi:multi`, { root });
    assert.equal(r.digest, multi.indexDigest);
    assert.equal(r.manifestDigest, multi.amd64.manifestDigest);
    assert.equal(r.config.architecture, 'amd64');
    assert.deepEqual(r.platform, { os: 'linux', architecture: 'amd64' });
    assert.ok(r.names.includes(`${reg.host}/library/multi@${multi.indexDigest}`));
    assert.ok(await new ContentStore(root).has(multi.indexDigest));
    assert.ok(!(await new ContentStore(root).has(multi.arm64Digest)));
  });

  it('shares one download per blob between concurrent pulls', async () => {
    const root = join(work, 'root-concurrent');
    const [a, b] = await Promise.all([pullImage('busybox', { root, registries: mirror }), pullImage('busybox', { root, registries: mirror })]);
    assert.equal(a.fetched.blobs + b.fetched.blobs, 2);
  });

  it('reports a missing repository or tag as NotFound, naming the endpoint', async () => {
    const root = join(work, 'root-missing');
    for (const ref of [`${reg.host}/library/nope:latest`, `${reg.host}/library/busybox:nope`]) {
      await assert.rejects(pullImage(ref, { root }), (e: unknown) => {
        assert.ok(e instanceof ImageError, String(e));
        assert.equal(e.code, 'NotFound');
        assert.ok(e.message.includes(`http://${reg.host}/v2`), e.message);
        return true;
      });
    }
    await assert.rejects(pullImage('Busybox', { root }), /invalid reference format: repository name must be lowercase/);
  });
});
