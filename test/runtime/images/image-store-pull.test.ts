// ImageStore.pull unpacks each layer as soon as its blob is stored and verified, while the
// layers above it still download: a pull yields the image's snapshots, owned by the image; a
// corrupt upper layer is never unpacked and leaves no owned snapshot nor an image record.

import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ImageStore } from '../../../src/runtime/images/image-store.js';
import { ImageError } from '../../../src/runtime/images/registry-errors.js';
import { chainIds, imageOwner } from '../../../src/runtime/images/snapshots.js';
import { startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.js';
import { digest, layer } from './layer-builder.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('ImageStore.pull: unpacking while downloading', () => {
  let fake: FakeRegistry;
  let work: string;
  let n = 0;

  /** An image of three real layers; returns its config digest, chainIDs, layer digests and blobs. */
  const addImage = (repo: string): { id: string; chain: string[]; layers: string[]; blobs: Map<string, Buffer> } => {
    const builders = [layer().dir('bin').file('bin/a', 'a'), layer().dir('etc').file('etc/b', 'b'.repeat(100_000)), layer().file('c', 'c')];
    const diffIds = builders.map((b) => digest(b.tar()));
    const gz = builders.map((b) => b.gzip());
    const layers = gz.map((g) => fake.addBlob(g));
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
    const id = fake.addBlob(config);
    fake.addManifest(
      repo,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: id, size: config.length },
        layers: gz.map((g, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layers[i], size: g.length })),
      },
      OCI_MANIFEST,
      'v1',
    );
    return { id, chain: chainIds(diffIds), layers, blobs: new Map([[id, config], ...gz.map((g, i): [string, Buffer] => [layers[i] as string, g])]) };
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-storepull-'));
    fake = await startFakeRegistry();
  });
  afterEach(() => {
    fake.corrupt.clear();
    fake.redirectBlobs = false;
  });
  after(async () => {
    await fake?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('unpacks every layer into snapshots the image owns', async () => {
    const img = addImage('good/app');
    const store = new ImageStore(join(work, `root-${++n}`));
    try {
      const { record } = await store.pull(`${fake.host}/good/app:v1`, { concurrency: 1 });
      assert.equal(record.config.digest, img.id);
      const snaps = await store.snapshots.list();
      assert.deepEqual(new Set(snaps.map((s) => s.chainId)), new Set(img.chain));
      for (const s of snaps) assert.deepEqual(s.owners, [imageOwner(img.id)]);
      assert.ok((await store.find(`${fake.host}/good/app:v1`)) !== undefined);
    } finally {
      store.close();
    }
  });

  it('unpacks the lower layers while the top one is still downloading', async () => {
    const img = addImage('slow/app');
    const root = join(work, `root-${++n}`);
    const lowest = join(root, 'snapshots', (img.chain[0] as string).replace('sha256:', ''));
    // Layer blobs come from this server (the registry redirects there): it holds the top layer
    // back until the lowest layer's snapshot exists, or 20 s — which only an unpack that waits
    // for every download would need.
    let heldUntilUnpacked: boolean | undefined;
    const storage = createServer((req, res) => {
      void (async () => {
        const d = decodeURIComponent((req.url ?? '').replace('/_storage/', ''));
        const body = img.blobs.get(d);
        if (body === undefined) return void res.writeHead(404).end();
        if (d === img.layers[2]) {
          const deadline = Date.now() + 20_000;
          while (!(await access(lowest).then(() => true, () => false)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          heldUntilUnpacked = Date.now() < deadline;
        }
        res.writeHead(200, { 'content-length': body.length }).end(body);
      })();
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    fake.redirectBlobs = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    const store = new ImageStore(root);
    try {
      await store.pull(`${fake.host}/slow/app:v1`);
      assert.equal(heldUntilUnpacked, true, 'the lowest layer was unpacked before the top layer finished downloading');
      assert.deepEqual(new Set((await store.snapshots.list()).map((s) => s.chainId)), new Set(img.chain));
    } finally {
      store.close();
      storage.closeAllConnections();
      await new Promise((r) => storage.close(r));
    }
  });

  it('never unpacks a corrupt upper layer; the lower ones lose their owner and no record is kept', async () => {
    const img = addImage('bad/app');
    fake.corrupt.add(img.layers[2] as string);
    const root = join(work, `root-${++n}`);
    const store = new ImageStore(root);
    try {
      // One download at a time, bottom up: the lower layers are unpacked before the corrupt one arrives.
      await assert.rejects(store.pull(`${fake.host}/bad/app:v1`, { concurrency: 1 }), (e: unknown) => e instanceof ImageError && e.code === 'DigestMismatch');
      const snaps = await store.snapshots.list();
      assert.ok(!snaps.some((s) => s.chainId === img.chain[2]), 'the corrupt layer has no snapshot');
      for (const s of snaps) assert.deepEqual(s.owners, [], `snapshot ${s.chainId} is owned by nobody`);
      assert.deepEqual(await store.records.list(), []);
      await store.snapshots.gc();
      assert.deepEqual((await readdir(join(root, 'snapshots'))).filter((d) => !d.startsWith('.') && d !== 'snapshot.json' && !d.endsWith('.json')), []);
    } finally {
      store.close();
    }
  });
});
