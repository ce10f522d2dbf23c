// The image operations of `skiff images`, working directly on a runtime root: the same content
// store (`<root>/content`), image records (`<root>/images.json`) and layer snapshots
// (`<root>/snapshots`) the runtime uses. An image pulled or imported here is also unpacked into
// snapshots owned by `image:<id>` (snapshots.ts imageOwner; pullImage and importArchive only
// store blobs), so the runtime can create containers from it without unpacking.
//
// Removal drops the record, releases the image's snapshot owner, collects snapshots nobody owns
// and deletes the image's blobs that no remaining image references; snapshots still owned by a
// container (`container:<id>`) stay.
//
// CAVEAT: the Snapshotter keeps its index in memory; a runtime already running on the same root
// does not see snapshots made here until it restarts (it would try to unpack them again).

import type { Writable } from 'node:stream';
import { ContentStore } from '../runtime/images/content.js';
import { exportOciArchive, importArchive, type ImportedImage } from '../runtime/images/archive.js';
import { ImageRecords, type ImageRecord } from '../runtime/images/image-records.js';
import { pullImage, type PullProgress, type PulledImage } from '../runtime/images/pull.js';
import { formatReference, parseReference } from '../runtime/images/reference.js';
import type { RegistriesConfig, RegistryCredentials } from '../runtime/images/registries-config.js';
import { ImageError } from '../runtime/images/registry-errors.js';
import { Snapshotter, imageOwner } from '../runtime/images/snapshots.js';

export const DEFAULT_RUNTIME_ROOT = '/var/lib/skiff/runtime';

/** The CRI image ID of a record: its config blob's digest. */
export function imageId(r: ImageRecord): string {
  return r.config.digest;
}

/** Tags (`name:tag`) and repo digests (`name@sha256:…`) of a record. */
export function splitNames(r: ImageRecord): { tags: string[]; digests: string[] } {
  return { tags: r.names.filter((n) => !n.includes('@')), digests: r.names.filter((n) => n.includes('@')) };
}

/**
 * The full names an archive's image gets: full references are normalised (`busybox:1` →
 * `docker.io/library/busybox:1`); a bare tag (an OCI layout's `org.opencontainers.image.ref.name`
 * such as `latest`) is put under `baseName` when given, and otherwise dropped.
 */
export function importedNames(names: readonly string[], baseName?: string): { names: string[]; dropped: string[] } {
  const out: string[] = [];
  const dropped: string[] = [];
  for (const n of names) {
    const bare = !/[:/@]/.test(n);
    if (bare && baseName === undefined) {
      dropped.push(n);
      continue;
    }
    const ref = parseReference(bare ? `${baseName}:${n}` : n);
    out.push(formatReference(ref));
  }
  return { names: [...new Set(out)], dropped };
}

export class LocalImageStore {
  readonly store: ContentStore;
  readonly records: ImageRecords;
  readonly snapshots: Snapshotter;

  constructor(readonly root: string) {
    this.store = new ContentStore(root);
    this.records = new ImageRecords(root);
    this.snapshots = new Snapshotter(root, this.store);
  }

  async list(): Promise<ImageRecord[]> {
    return this.records.list();
  }

  /**
   * The record a reference names: a name (normalised), a manifest digest, an image id, or a
   * unique prefix of an image id (`3f57d9401f8d`, `sha256:3f57`). Throws NotFound naming it.
   */
  async find(ref: string): Promise<ImageRecord> {
    const exact = await this.records.get(ref);
    if (exact !== undefined) return exact;
    const hex = /^(?:sha256:)?([0-9a-f]{3,64})$/.exec(ref)?.[1];
    if (hex !== undefined) {
      const matches = (await this.records.list()).filter((r) => imageId(r).slice(7).startsWith(hex));
      if (matches.length === 1) return matches[0] as ImageRecord;
      if (matches.length > 1) throw new ImageError('InvalidReference', `image ID prefix "${ref}" is ambiguous: it matches ${matches.length} images`);
    } else {
      parseReference(ref); // a malformed reference says why rather than "not found"
    }
    throw new ImageError('NotFound', `image "${ref}" not found in ${this.records.file}`);
  }

  /** Unpacks the record's layers into snapshots owned by `image:<id>`. */
  async unpack(r: ImageRecord, diffIds: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.snapshots.prepare({ config: { rootfs: { diff_ids: diffIds } }, layers: r.layers }, imageOwner(imageId(r)), signal);
  }

  /** Imports every image of an archive; returns the records (named as importedNames says). */
  async import(file: string, opts: { baseName?: string; tmpDir?: string; warn?: (msg: string) => void } = {}): Promise<ImageRecord[]> {
    await this.store.cleanIngest().catch(() => undefined);
    const images: ImportedImage[] = await importArchive(file, this.store, opts.tmpDir !== undefined ? { tmpDir: opts.tmpDir } : {});
    if (images.length === 0) throw new ImageError('NotFound', `${file} holds no image for linux/amd64`);
    const out: ImageRecord[] = [];
    for (const img of images) {
      const { names, dropped } = importedNames(img.names, opts.baseName);
      if (dropped.length > 0) opts.warn?.(`image ${img.manifestDigest} is only tagged ${dropped.map((d) => `"${d}"`).join(', ')} in the archive; give --base-name REPO to name it`);
      const manifestSize = (await this.store.info(img.manifestDigest))?.size ?? 0;
      const size = manifestSize + img.manifest.config.size + img.layers.reduce((n, l) => n + l.size, 0);
      const rec = await this.records.add(
        { manifestDigest: img.manifestDigest, mediaType: img.manifest.mediaType, config: img.manifest.config, layers: img.layers, size, pulledAt: new Date().toISOString() },
        names,
      );
      await this.unpack(rec, img.config.rootfs.diff_ids);
      out.push(rec);
    }
    return out;
  }

  /** Pulls `ref` (see pullImage) and unpacks it. */
  async pull(
    ref: string,
    opts: { registries?: RegistriesConfig; auth?: RegistryCredentials; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {},
  ): Promise<{ pulled: PulledImage; record: ImageRecord }> {
    const pulled = await pullImage(ref, { root: this.root, store: this.store, images: this.records, ...opts });
    const record = await this.records.get(pulled.manifestDigest);
    if (record === undefined) throw new Error(`pull ${pulled.name}: the image record of ${pulled.manifestDigest} vanished`);
    await this.unpack(record, pulled.config.rootfs.diff_ids, opts.signal);
    return { pulled, record };
  }

  /** Writes an OCI layout tar (with a docker manifest.json) of the named images to `out`. */
  async export(refs: readonly string[], out: Writable): Promise<ImageRecord[]> {
    const records = [];
    for (const r of refs) records.push(await this.find(r));
    await exportOciArchive(records.map((r) => ({ digest: r.manifestDigest, names: splitNames(r).tags })), this.store, out);
    return records;
  }

  /** Removes the image `ref` names (every name it has) and frees what nothing else uses. */
  async remove(ref: string): Promise<ImageRecord> {
    const rec = await this.find(ref);
    await this.records.remove(rec.manifestDigest);
    const rest = await this.records.list();
    if (!rest.some((r) => imageId(r) === imageId(rec))) await this.snapshots.release(imageOwner(imageId(rec)));
    await this.snapshots.gc();
    const kept = new Set(rest.flatMap(blobsOf));
    for (const d of blobsOf(rec)) if (!kept.has(d)) await this.store.delete(d);
    return rec;
  }
}

/** Every blob a record references: manifest, config, layers and the index digests of its repo digests. */
function blobsOf(r: ImageRecord): string[] {
  const indexes = r.names.filter((n) => n.includes('@')).map((n) => n.slice(n.indexOf('@') + 1));
  return [r.manifestDigest, r.config.digest, ...r.layers.map((l) => l.digest), ...indexes];
}
