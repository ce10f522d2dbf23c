// `skiff images` on a runtime root: the runtime's own ImageStore (src/runtime/images/
// image-store.ts — the same content store, image records and snapshots, pulls unpacked, removal
// freeing what nothing else uses) plus what only the CLI does: lookup by unique image-ID
// prefix, and import/export of archives.
//
// CAVEAT: the Snapshotter keeps its index in memory; a runtime already running on the same root
// does not see snapshots made here until it restarts (it would try to unpack them again).

import type { Writable } from 'node:stream';
import { exportOciArchive, importArchive, type ImportedImage } from '../runtime/images/archive.js';
import type { ImageRecord } from '../runtime/images/image-records.js';
import { ImageStore, imageId, splitNames } from '../runtime/images/image-store.js';
import { formatReference, parseReference } from '../runtime/images/reference.js';
import { ImageError } from '../runtime/images/registry-errors.js';

export { imageId, splitNames };

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

export class LocalImageStore extends ImageStore {
  async list(): Promise<ImageRecord[]> {
    return this.records.list();
  }

  /**
   * The record a reference names: a name (normalised), a manifest digest, an image id, or a
   * unique prefix of an image id (`3f57d9401f8d`, `sha256:3f57`). Throws NotFound naming it.
   */
  async lookup(ref: string): Promise<ImageRecord> {
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

  /** Imports every image of an archive; returns the records (named as importedNames says). */
  async import(file: string, opts: { baseName?: string; tmpDir?: string; warn?: (msg: string) => void } = {}): Promise<ImageRecord[]> {
    await this.content.cleanIngest().catch(() => undefined);
    const images: ImportedImage[] = await importArchive(file, this.content, opts.tmpDir !== undefined ? { tmpDir: opts.tmpDir } : {});
    if (images.length === 0) throw new ImageError('NotFound', `${file} holds no image for linux/amd64`);
    const out: ImageRecord[] = [];
    for (const img of images) {
      const { names, dropped } = importedNames(img.names, opts.baseName);
      if (dropped.length > 0) opts.warn?.(`image ${img.manifestDigest} is only tagged ${dropped.map((d) => `"${d}"`).join(', ')} in the archive; give --base-name REPO to name it`);
      const manifestSize = (await this.content.info(img.manifestDigest))?.size ?? 0;
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

  /** Writes an OCI layout tar (with a docker manifest.json) of the images (see lookup) to `out`. */
  async export(records: readonly ImageRecord[], out: Writable): Promise<void> {
    await exportOciArchive(records.map((r) => ({ digest: r.manifestDigest, names: splitNames(r).tags })), this.content, out);
  }

  /** Removes the image `ref` names (see ImageStore.remove); returns its record. */
  async removeRef(ref: string): Promise<ImageRecord> {
    const rec = await this.lookup(ref);
    await this.remove(rec);
    return rec;
  }
}
