// The image index: which images exist and the names they go by, in `<root>/images.json`.
//
// One record per image manifest (the linux/amd64 manifest actually pulled), keyed by its digest.
// Names are full references: tags (`docker.io/library/busybox:latest`) and repo digests
// (`docker.io/library/busybox@sha256:…`, the digest the registry served for the name, which is the
// index's digest for a multi-platform image). A name belongs to at most one record: adding it to
// one removes it from any other (a tag moved). A record whose last name goes stays until removed.
//
// Contract: every change is a read-modify-write of the whole file, written to a temp file, fsynced
// and renamed, so a crash leaves the old or the new index, never a torn one. Changes to the same
// file are serialised within the process; one process owns a root.

import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { KeyedLock } from '../../util/keyed-lock.js';
import type { Descriptor, Platform } from './oci-image.js';
import { formatReference, isDigest, parseReference } from './reference.js';

export interface ImageRecord {
  /** Digest of the image manifest (the platform manifest, not an index). */
  manifestDigest: string;
  mediaType: string;
  /** The config blob; its digest is the image ID as CRI reports it. */
  config: Descriptor;
  layers: Descriptor[];
  /** Bytes in the content store: manifest + config + layers (compressed). */
  size: number;
  platform?: Platform;
  /** Tags and repo digests, sorted. */
  names: string[];
  /** RFC 3339 time of the last pull. */
  pulledAt: string;
}

interface IndexFile {
  version: 1;
  images: ImageRecord[];
}

/** Per index file, for every ImageRecords of this process. */
const locks = new KeyedLock();

export class ImageRecords {
  readonly file: string;

  constructor(root: string) {
    this.file = resolve(join(root, 'images.json'));
  }

  private async read(): Promise<IndexFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, images: [] };
      throw e;
    }
    const doc = JSON.parse(text) as IndexFile;
    if (doc.version !== 1 || !Array.isArray(doc.images)) throw new Error(`${this.file}: unknown image index format (version ${String(doc.version)})`);
    return doc;
  }

  private async write(doc: IndexFile): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(doc, null, 1)}\n`);
  }

  /** Runs `fn` with the index, alone among this process's changes to the same file. */
  private async update<T>(fn: (doc: IndexFile) => T): Promise<T> {
    return locks.run(this.file, async () => {
      const doc = await this.read();
      const out = fn(doc);
      await this.write(doc);
      return out;
    });
  }

  async list(): Promise<ImageRecord[]> {
    return (await this.read()).images;
  }

  /**
   * The record for a manifest digest, an image ID (config digest), or a name — exact, or after
   * normalisation (`busybox` finds `docker.io/library/busybox:latest`).
   */
  async get(key: string): Promise<ImageRecord | undefined> {
    return find((await this.read()).images, key);
  }

  /** Adds or refreshes the record of `rec.manifestDigest` and gives it `names` (moved from others). */
  async add(rec: Omit<ImageRecord, 'names'>, names: string[]): Promise<ImageRecord> {
    return this.update((doc) => {
      for (const other of doc.images) if (other.manifestDigest !== rec.manifestDigest) other.names = other.names.filter((n) => !names.includes(n));
      const existing = doc.images.find((r) => r.manifestDigest === rec.manifestDigest);
      const merged: ImageRecord = { ...rec, names: [...new Set([...(existing?.names ?? []), ...names])].sort() };
      if (existing !== undefined) doc.images[doc.images.indexOf(existing)] = merged;
      else doc.images.push(merged);
      return merged;
    });
  }

  /** Removes one name; returns the record it was taken from. */
  async removeName(name: string): Promise<ImageRecord | undefined> {
    return this.update((doc) => {
      const rec = doc.images.find((r) => r.names.includes(name));
      if (rec !== undefined) rec.names = rec.names.filter((n) => n !== name);
      return rec;
    });
  }

  /** Removes the record of a manifest digest (the blobs are the caller's to collect). */
  async remove(manifestDigest: string): Promise<ImageRecord | undefined> {
    return this.update((doc) => {
      const i = doc.images.findIndex((r) => r.manifestDigest === manifestDigest);
      return i < 0 ? undefined : doc.images.splice(i, 1)[0];
    });
  }
}

function find(images: ImageRecord[], key: string): ImageRecord | undefined {
  if (isDigest(key)) return images.find((r) => r.manifestDigest === key) ?? images.find((r) => r.config.digest === key);
  const exact = images.find((r) => r.names.includes(key));
  if (exact !== undefined) return exact;
  let normal: string;
  try {
    const ref = parseReference(key);
    normal = ref.digest !== undefined ? `${ref.name}@${ref.digest}` : formatReference(ref);
  } catch {
    return undefined;
  }
  return images.find((r) => r.names.includes(normal));
}
