// Layer snapshots shared between images: one unpacked directory per layer *chain*, keyed by the
// OCI chainID, at `<root>/snapshots/<chainID hex>/fs`, stacked later as overlay lowerdirs.
//
// chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (OCI image
// spec, "Layer ChainID"). Keying by chain rather than by diffID is what lets a snapshot directory
// depend on the layers below it (whiteouts, directories created with the attributes of the lower
// ones, hard links copied up) while still being shared by every image that has the same layers.
//
// Contract:
// - A snapshot directory exists only when complete: it is unpacked into `.tmp-*`, synced to disk,
//   and renamed into place with its `snapshot.json`. A failed unpack (corrupt layer, diffID
//   mismatch) leaves nothing. Leftovers of a crash (`.tmp-*`, `.trash-*`) are removed by load().
// - Owners: each snapshot records the set of owners (e.g. `image:<id>`, `container:<id>`) using
//   it, persisted in its `snapshot.json` (written to a temp file, fsynced, renamed). prepare()
//   adds the owner to every snapshot of the image's chain; release() removes it everywhere;
//   gc() deletes snapshots with no owner. Sets rather than counters make both idempotent, so a
//   caller that crashed half-way can simply repeat the call.
// - Concurrency: one Snapshotter per root per host process. Concurrent prepare()s of images that
//   share layers unpack each chain once; gc() never removes a snapshot that a running prepare()
//   is using or that an overlay mount lists as a lower directory.
// - Usage: a committed snapshot's `fs` tree never changes (overlay only reads lowers), so its
//   disk usage is measured once, when it is unpacked, and kept in its record; usage() sums the
//   records (as containerd's CRI sums its snapshotter's cached usage) instead of walking every
//   file. Records written before usage was recorded are measured once and rewritten.
import { createHash, randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { Readable } from 'node:stream';
import { readMountInfo, runTool } from '../mount.js';
import { addUsage, entryUsage, treeUsage, type DiskUsage } from './disk-usage.js';
import { ImageError } from './registry-errors.js';
import { applyLayer } from './unpack.js';

export interface LayerDescriptor {
  digest: string;
  mediaType: string;
  size?: number;
}

/** What prepare() needs of an image: its layers and its config's diff_ids (one per layer). */
export interface UnpackableImage {
  config: { rootfs: { diff_ids: readonly string[] } };
  layers: readonly LayerDescriptor[];
}

/** Where layer blobs come from; the content store's `open(digest)` fits. */
export interface LayerSource {
  open(digest: string): Readable;
}

export interface SnapshotInfo {
  chainId: string;
  diffId: string;
  /** chainID of the snapshot below, if any. */
  parent?: string;
  owners: string[];
  /** Bytes of the uncompressed layer tar (an estimate of the disk used). */
  size: number;
  /**
   * Disk usage of the `fs` tree (the directory and all below it), measured at unpack. Absent in
   * records written before it was kept; usage() measures those once and stores it.
   */
  usage?: DiskUsage;
  createdAt: string;
}

export const imageOwner = (imageId: string): string => `image:${imageId}`;
export const containerOwner = (containerId: string): string => `container:${containerId}`;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    if (!DIGEST.test(d)) throw new ImageError('InvalidManifest', `diffID ${JSON.stringify(d)} is not a sha256:<64 hex> digest`);
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : 'sha256:' + createHash('sha256').update(`${prev} ${d}`).digest('hex'));
  }
  return out;
}

const hex = (digest: string): string => digest.slice('sha256:'.length);

const writeJsonAtomic = (file: string, value: unknown): Promise<void> => writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');

export class Snapshotter {
  /** `<root>/snapshots`. */
  readonly dir: string;
  private readonly index = new Map<string, SnapshotInfo>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly pins = new Map<string, number>();
  private lock: Promise<unknown> = Promise.resolve();
  private loaded: Promise<void> | undefined;
  /** Usage of each snapshot's directory entry and `snapshot.json`, dropped when they change. */
  private readonly metaUsage = new Map<string, DiskUsage>();
  /** Counts those changes, so a usage measured across one is not kept. */
  private metaChanges = 0;
  private backfill: Promise<void> | undefined;

  constructor(root: string, private readonly layers: LayerSource) {
    this.dir = path.join(path.resolve(root), 'snapshots');
  }

  /** The directory to use as an overlay lower for `chainId`. */
  fsDir(chainId: string): string {
    return path.join(this.dir, hex(chainId), 'fs');
  }

  /** Reads the snapshot records and removes crash leftovers. Called by every other method. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      await fsp.mkdir(this.dir, { recursive: true });
      for (const name of await fsp.readdir(this.dir)) {
        const p = path.join(this.dir, name);
        if (name.startsWith('.tmp-') || name.startsWith('.trash-')) {
          await fsp.rm(p, { recursive: true, force: true });
          continue;
        }
        if (!/^[a-f0-9]{64}$/.test(name)) continue;
        try {
          const info = JSON.parse(await fsp.readFile(path.join(p, 'snapshot.json'), 'utf8')) as SnapshotInfo;
          if (info.chainId !== `sha256:${name}` || !Array.isArray(info.owners)) throw new Error('record does not match its directory');
          this.index.set(info.chainId, info);
        } catch {
          // Commit is a rename of a complete directory, so this is damage from outside: drop it.
          await fsp.rm(p, { recursive: true, force: true });
        }
      }
    })();
    return this.loaded;
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async list(): Promise<SnapshotInfo[]> {
    await this.load();
    return [...this.index.values()].map((s) => ({ ...s, owners: [...s.owners] }));
  }

  async get(chainId: string): Promise<SnapshotInfo | undefined> {
    await this.load();
    const s = this.index.get(chainId);
    return s && { ...s, owners: [...s.owners] };
  }

  /**
   * Disk usage of every snapshot, as a du-style walk of the snapshots directory would count it
   * (each snapshot's directory, its `snapshot.json` and its `fs` tree) when no unpack or gc is
   * under way. Costs no walk: fs trees from the records, the rest from stats kept until the
   * record is next rewritten.
   */
  async usage(): Promise<DiskUsage> {
    await this.load();
    await (this.backfill ??= this.recordMissingUsage().catch((err: unknown) => {
      this.backfill = undefined; // try again at the next call
      throw err;
    }));
    const parts: DiskUsage[] = [];
    for (const info of [...this.index.values()]) {
      const c = info.chainId;
      let meta = this.metaUsage.get(c);
      if (meta === undefined) {
        const before = this.metaChanges;
        const dir = path.join(this.dir, hex(c));
        meta = addUsage(await entryUsage(dir), await entryUsage(path.join(dir, 'snapshot.json')));
        if (this.metaChanges === before) this.metaUsage.set(c, meta);
      }
      parts.push(meta, info.usage ?? (await treeUsage(this.fsDir(c))));
    }
    return addUsage(...parts);
  }

  /** A snapshot's directory or record changed (commit, persist, gc): its kept stats are stale. */
  private metaChanged(chainId: string): void {
    this.metaChanges++;
    this.metaUsage.delete(chainId);
  }

  /** Measures, once, the snapshots whose records predate usage, and stores it in the record. */
  private async recordMissingUsage(): Promise<void> {
    for (const info of [...this.index.values()]) {
      if (info.usage !== undefined) continue;
      // Walked outside the lock (the tree is immutable); kept only if the snapshot still exists.
      const usage = await treeUsage(this.fsDir(info.chainId));
      await this.locked(async () => {
        const current = this.index.get(info.chainId);
        if (current === undefined || current.usage !== undefined) return;
        current.usage = usage;
        await this.persist(current);
      });
    }
  }

  /**
   * Ensures every snapshot of the image's chain exists (unpacking missing layers, bottom up) and
   * records `owner` on each. Returns the overlay lowerdirs, top layer first. On failure the owner
   * is removed again from the snapshots this call added it to. `layerReady(i)`, when given, is
   * awaited before layer i is unpacked (its blob may still be downloading).
   */
  async prepare(image: UnpackableImage, owner: string, signal?: AbortSignal, layerReady?: (index: number) => Promise<void>): Promise<string[]> {
    await this.load();
    const diffIds = image.config.rootfs.diff_ids;
    if (diffIds.length !== image.layers.length) {
      throw new ImageError('InvalidManifest', `image has ${image.layers.length} layers but its config lists ${diffIds.length} rootfs.diff_ids`);
    }
    const chain = chainIds(diffIds);
    for (const c of chain) this.pins.set(c, (this.pins.get(c) ?? 0) + 1);
    const added: string[] = [];
    try {
      for (let i = 0; i < chain.length; i++) {
        signal?.throwIfAborted();
        if (layerReady && !this.index.has(chain[i])) await layerReady(i);
        await this.ensure(chain, i, diffIds[i], image.layers[i], signal);
        await this.locked(async () => {
          const info = this.index.get(chain[i]) as SnapshotInfo; // pinned since ensure(): still there
          if (info.owners.includes(owner)) return;
          info.owners.push(owner);
          await this.persist(info);
          added.push(chain[i]);
        });
      }
      return chain.map((c) => this.fsDir(c)).reverse();
    } catch (err) {
      await this.locked(async () => {
        for (const c of added) {
          const info = this.index.get(c);
          if (!info) continue;
          info.owners = info.owners.filter((o) => o !== owner);
          await this.persist(info);
        }
      });
      throw err;
    } finally {
      for (const c of chain) {
        const n = (this.pins.get(c) ?? 1) - 1;
        if (n === 0) this.pins.delete(c);
        else this.pins.set(c, n);
      }
    }
  }

  /** Removes `owner` from every snapshot. Snapshots left without owners go at the next gc(). */
  async release(owner: string): Promise<void> {
    await this.load();
    await this.locked(async () => {
      for (const info of this.index.values()) {
        if (!info.owners.includes(owner)) continue;
        info.owners = info.owners.filter((o) => o !== owner);
        await this.persist(info);
      }
    });
  }

  /** Deletes snapshots that no owner uses; returns their chainIDs. */
  async gc(): Promise<string[]> {
    await this.load();
    // A mounted overlay still reading a snapshot keeps it, whatever the records say. Matched by
    // its path: the same chain under another root (another runtime, a test) is not this one.
    const lowersInUse = (await readMountInfo()).filter((m) => m.fsType === 'overlay').map((m) => m.superOptions).join('\n');
    const trash: string[] = [];
    const removed = await this.locked(async () => {
      const out: string[] = [];
      for (const info of [...this.index.values()]) {
        const c = info.chainId;
        if (info.owners.length > 0 || this.pins.has(c) || this.inflight.has(c) || lowersInUse.includes(this.fsDir(c))) continue;
        const t = path.join(this.dir, `.trash-${hex(c)}-${randomBytes(4).toString('hex')}`);
        await fsp.rename(path.join(this.dir, hex(c)), t);
        this.index.delete(c);
        this.metaChanged(c);
        trash.push(t);
        out.push(c);
      }
      return out;
    });
    for (const t of trash) await fsp.rm(t, { recursive: true, force: true });
    return removed;
  }

  private async persist(info: SnapshotInfo): Promise<void> {
    try {
      await writeJsonAtomic(path.join(this.dir, hex(info.chainId), 'snapshot.json'), info);
    } finally {
      this.metaChanged(info.chainId);
    }
  }

  /** Makes sure snapshot `chain[i]` exists, unpacking it once however many callers ask. */
  private async ensure(chain: string[], i: number, diffId: string, layer: LayerDescriptor, signal?: AbortSignal): Promise<void> {
    const c = chain[i];
    if (this.index.has(c)) return;
    let p = this.inflight.get(c);
    if (!p) {
      p = this.unpack(chain, i, diffId, layer, signal).finally(() => this.inflight.delete(c));
      this.inflight.set(c, p);
    }
    await p;
  }

  private async unpack(chain: string[], i: number, diffId: string, layer: LayerDescriptor, signal?: AbortSignal): Promise<void> {
    const c = chain[i];
    const tmp = path.join(this.dir, `.tmp-${hex(c).slice(0, 16)}-${randomBytes(4).toString('hex')}`);
    await fsp.mkdir(tmp);
    try {
      const parents = chain.slice(0, i).map((p) => this.fsDir(p)).reverse();
      const input = this.layers.open(layer.digest);
      let result;
      try {
        result = await applyLayer(input, path.join(tmp, 'fs'), { mediaType: layer.mediaType, diffId, parents, signal });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !(err instanceof ImageError)) {
          throw new ImageError('NotFound', `layer ${layer.digest} (diffID ${diffId}) is not in the content store`);
        }
        throw err;
      } finally {
        input.destroy();
      }
      const usage = await treeUsage(path.join(tmp, 'fs'));
      const info: SnapshotInfo = { chainId: c, diffId, owners: [], size: result.size, usage, createdAt: new Date().toISOString() };
      if (i > 0) info.parent = chain[i - 1];
      await writeJsonAtomic(path.join(tmp, 'snapshot.json'), info);
      // Files are written without fsync; one filesystem sync makes the snapshot durable before
      // its rename publishes it.
      await runTool('sync', ['-f', tmp]);
      await this.locked(async () => {
        await fsp.rename(tmp, path.join(this.dir, hex(c)));
        this.index.set(c, info);
        this.metaChanged(c);
      });
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
}
