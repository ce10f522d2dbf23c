// A content-addressed blob store: `<root>/content/blobs/sha256/<hex>`, like containerd's.
//
// Contract:
// - A blob is visible under its digest only once complete and verified: writes go to a temp file
//   under `<root>/content/ingest/`, are hashed and counted as they stream, fsynced, and renamed into
//   place only if both the sha256 and the size match. On any failure the temp file is removed, so
//   nothing partial is ever kept and `has(d)` implies the bytes hash to `d`.
// - Concurrent puts of the same digest are safe: each uses its own temp file and rename is atomic;
//   the last rename wins with identical bytes.
// - Temp files left by a crash are removed by `cleanIngest()` (call it at start-up).
// - usage() counts the store as a du-style walk of `<root>/content` would, but stats a blob only
//   the first time it sees it: a blob's bytes never change under its digest.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { READ_CHUNK_BYTES, writeInBatches } from './coalesce.js';
import { addUsage, diskUsage, entryUsage, type DiskUsage } from './disk-usage.js';
import { ImageError } from './registry-errors.js';
import { isDigest } from './reference.js';

export interface ContentInfo {
  digest: string;
  size: number;
}

export interface PutOptions {
  /** Called after each chunk is written with the bytes written so far (progress bars). */
  onData?: (written: number) => void;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;
  /** Usage of each blob file seen, by file name (immutable: the name is the content's hash). */
  private readonly blobUsage = new Map<string, DiskUsage>();

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'content', 'blobs', 'sha256');
    this.ingestDir = join(root, 'content', 'ingest');
  }

  /** The file of `digest` (which may not exist). Throws for anything but `sha256:<64 hex>`. */
  path(digest: string): string {
    if (!isDigest(digest)) throw new ImageError('InvalidReference', `content store: "${digest}" is not a sha256:<64 hex> digest`);
    return join(this.blobsDir, digest.slice('sha256:'.length));
  }

  async info(digest: string): Promise<ContentInfo | undefined> {
    try {
      const st = await stat(this.path(digest));
      return { digest, size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Whether the blob is stored (and, when `size` is given, has that size). */
  async has(digest: string, size?: number): Promise<boolean> {
    const i = await this.info(digest);
    return i !== undefined && (size === undefined || i.size === size);
  }

  async get(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageError('NotFound', `content ${digest} is not in the store (${this.blobsDir})`);
      throw e;
    }
  }

  /**
   * A read stream of the blob; it errors with ENOENT when absent. Reads 1 MiB at a time: with
   * the default 64 KiB, gunzip + hashing of a 50 MB layer took ~3x as long (per-chunk overhead).
   */
  open(digest: string): ReadStream {
    return createReadStream(this.path(digest), { highWaterMark: READ_CHUNK_BYTES });
  }

  /**
   * Streams `source` into the store under `expectedDigest`. Rejects with ImageError('DigestMismatch')
   * naming the digest when the bytes hash differently or their count differs from `expectedSize`
   * (a short read or an overlong body), and with the source's error when it fails; nothing is kept
   * then. Returns the stored blob's info.
   */
  async put(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, expectedDigest: string, expectedSize?: number, opts: PutOptions = {}): Promise<ContentInfo> {
    const final = this.path(expectedDigest);
    await mkdir(this.ingestDir, { recursive: true });
    await mkdir(this.blobsDir, { recursive: true });
    const tmp = join(this.ingestDir, `${expectedDigest.slice(7, 23)}-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o644);
    let closed = false;
    let written = 0;
    try {
      const hash = createHash('sha256');
      // Counted, checked and hashed as received; written to the file in batches (coalesce.ts).
      const received = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          written += buf.length;
          if (expectedSize !== undefined && written > expectedSize) {
            throw new ImageError('DigestMismatch', `blob ${expectedDigest}: received more than the expected ${expectedSize} bytes; the content is not what the digest names`);
          }
          hash.update(buf);
          opts.onData?.(written);
          yield buf;
        }
      };
      await writeInBatches(fh, received());
      if (expectedSize !== undefined && written !== expectedSize) {
        throw new ImageError('DigestMismatch', `blob ${expectedDigest}: short read, received ${written} of ${expectedSize} bytes`);
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== expectedDigest) {
        throw new ImageError('DigestMismatch', `blob ${expectedDigest}: content hashes to ${actual} (${written} bytes); it is corrupt or not the blob asked for`);
      }
      await fh.datasync();
      await fh.close();
      closed = true;
      await rename(tmp, final);
      return { digest: expectedDigest, size: written };
    } catch (e) {
      if (!closed) await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      if (e instanceof ImageError || (e instanceof Error && e.name === 'AbortError')) throw e;
      // The source failed (connection reset, early close): say which blob and how far it got.
      throw new ImageError('Unavailable', `blob ${expectedDigest}: reading the content failed after ${written}${expectedSize !== undefined ? ` of ${expectedSize}` : ''} bytes: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  /** Stores a buffer; its digest is computed when not given. */
  async putBytes(bytes: Buffer, expectedDigest: string = sha256Digest(bytes)): Promise<ContentInfo> {
    return this.put([bytes], expectedDigest, bytes.length);
  }

  /** Removes the blob; false when it was not there. */
  async delete(digest: string): Promise<boolean> {
    try {
      await unlink(this.path(digest));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async list(): Promise<ContentInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.blobsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ContentInfo[] = [];
    for (const n of names.sort()) {
      if (!/^[a-f0-9]{64}$/.test(n)) continue;
      const i = await this.info(`sha256:${n}`);
      if (i !== undefined) out.push(i);
    }
    return out;
  }

  /**
   * Disk usage of the store: blobs, writes in progress and the directories holding them. One
   * directory listing of the blobs per call; only blobs not seen before are stat'ed. Blobs
   * written or deleted by another process on the same root are seen at the next call.
   */
  async usage(): Promise<DiskUsage> {
    let names: string[];
    try {
      names = await readdir(this.blobsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      names = [];
    }
    const present = new Set(names);
    for (const n of this.blobUsage.keys()) if (!present.has(n)) this.blobUsage.delete(n);
    const blobs: DiskUsage[] = [];
    for (const n of names) {
      let u = this.blobUsage.get(n);
      if (u === undefined) {
        u = await entryUsage(join(this.blobsDir, n));
        // A name whose file vanished meanwhile is measured again next time, not kept as nothing.
        if (u.inodes > 0) this.blobUsage.set(n, u);
      }
      blobs.push(u);
    }
    const dirs = await Promise.all([join(this.root, 'content', 'blobs'), this.blobsDir, this.ingestDir].map(entryUsage));
    return addUsage(...dirs, ...blobs, await diskUsage(this.ingestDir));
  }

  /** Removes temp files of interrupted writes; returns how many. Only call when no put is running. */
  async cleanIngest(): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.ingestDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw e;
    }
    await Promise.all(names.map((n) => rm(join(this.ingestDir, n), { force: true, recursive: true })));
    return names.length;
  }
}
