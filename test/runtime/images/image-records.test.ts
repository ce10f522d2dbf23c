import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImageRecords, type ImageRecord } from '../../../src/runtime/images/image-records.js';

const dg = (c: string): string => `sha256:${c.repeat(64)}`;
const rec = (m: string, cfg: string): Omit<ImageRecord, 'names'> => ({
  manifestDigest: dg(m),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: dg(cfg), size: 10 },
  layers: [],
  size: 10,
  pulledAt: '2024-01-01T00:00:00.000Z',
});

describe('ImageRecords (<root>/images.json)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-records-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('maps tags and repo digests to manifest digests, finds by name, digest, image id and short name', async () => {
    const images = new ImageRecords(root);
    await images.add(rec('a', 'c'), ['docker.io/library/busybox:latest', `docker.io/library/busybox@${dg('a')}`]);
    assert.equal((await images.get('docker.io/library/busybox:latest'))?.manifestDigest, dg('a'));
    assert.equal((await images.get('busybox'))?.manifestDigest, dg('a'));
    assert.equal((await images.get(`busybox@${dg('a')}`))?.manifestDigest, dg('a'));
    assert.equal((await images.get(`busybox:other@${dg('a')}`))?.manifestDigest, dg('a'));
    assert.equal((await images.get(dg('a')))?.manifestDigest, dg('a'));
    assert.equal((await images.get(dg('c')))?.manifestDigest, dg('a'), 'by image id (config digest)');
    assert.equal(await images.get('nginx'), undefined);
    assert.equal(await images.get('Not A Reference'), undefined);
    const doc = JSON.parse(await readFile(join(root, 'images.json'), 'utf8')) as { version: number };
    assert.equal(doc.version, 1);
    assert.deepEqual((await readdir(root)).filter((f) => f.endsWith('.tmp')), []);
  });

  it('moves a tag to the image that takes it, keeps the old record with its other names', async () => {
    const images = new ImageRecords(root);
    const b = await images.add(rec('b', 'd'), ['docker.io/library/busybox:latest', `docker.io/library/busybox@${dg('b')}`]);
    assert.deepEqual(b.names, ['docker.io/library/busybox:latest', `docker.io/library/busybox@${dg('b')}`]);
    assert.deepEqual((await images.get(dg('a')))?.names, [`docker.io/library/busybox@${dg('a')}`]);
    const again = await images.add(rec('b', 'd'), ['docker.io/library/busybox:1']);
    assert.equal(again.names.length, 3, 'names accumulate on the same record');
    assert.equal((await images.list()).length, 2);
  });

  it('serialises concurrent changes without losing any', async () => {
    const images = new ImageRecords(root);
    await Promise.all(['1', '2', '3', '4', '5', '6'].map((c) => new ImageRecords(root).add(rec(c, c), [`x.io/img${c}:latest`])));
    const all = await images.list();
    for (const c of ['1', '2', '3', '4', '5', '6']) assert.ok(all.some((r) => r.names.includes(`x.io/img${c}:latest`)), c);
  });

  it('removes names and records', async () => {
    const images = new ImageRecords(root);
    assert.equal((await images.removeName('docker.io/library/busybox:1'))?.manifestDigest, dg('b'));
    assert.equal(await images.removeName('docker.io/library/busybox:1'), undefined);
    assert.equal((await images.remove(dg('a')))?.manifestDigest, dg('a'));
    assert.equal(await images.remove(dg('a')), undefined);
    assert.equal(await images.get(dg('a')), undefined);
  });
});
