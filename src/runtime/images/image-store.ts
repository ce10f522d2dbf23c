// One node's images: the content store (`<root>/content`), the image records
// (`<root>/images.json`) and the layer snapshots (`<root>/snapshots`), with the operations both
// the CRI ImageService and `skiff images` perform on them. A pulled image is unpacked at once
// into snapshots owned by `image:<id>` (as containerd unpacks at pull), so creating a container
// only mounts. Removal drops the record with every name it has, releases the image's snapshot
// owner, collects snapshots nobody owns (a container's `container:<id>` claim keeps its own) and
// deletes the image's blobs that no remaining image references.

import { ContentStore } from './content.js';
import { addUsage, type DiskUsage } from './disk-usage.js';
import { ImageRecords, type ImageRecord } from './image-records.js';
import { parseImageConfig, type ImageConfig } from './oci-image.js';
import { pullImage, type PullProgress, type PulledImage } from './pull.js';
import type { RegistriesConfig, RegistryCredentials } from './registries-config.js';
import { RegistryClient } from './registry.js';
import { Snapshotter, imageOwner } from './snapshots.js';

/** The CRI image ID of a record: its config blob's digest. */
export function imageId(r: ImageRecord): string {
  return r.config.digest;
}

/** Tags (`name:tag`) and repo digests (`name@sha256:…`) of a record. */
export function splitNames(r: ImageRecord): { tags: string[]; digests: string[] } {
  return { tags: r.names.filter((n) => !n.includes('@')), digests: r.names.filter((n) => n.includes('@')) };
}

/** Every blob a record references: manifest, config, layers and the index digests of its repo digests. */
function blobsOf(r: ImageRecord): string[] {
  return [r.manifestDigest, r.config.digest, ...r.layers.map((l) => l.digest), ...splitNames(r).digests.map((n) => n.slice(n.indexOf('@') + 1))];
}

/** An image record with its parsed config. */
export interface ResolvedImage {
  record: ImageRecord;
  config: ImageConfig;
}

export interface StorePullOptions {
  registries?: RegistriesConfig;
  auth?: RegistryCredentials;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Parallel blob downloads; default 3. */
  concurrency?: number;
}

export class ImageStore {
  readonly content: ContentStore;
  readonly records: ImageRecords;
  readonly snapshots: Snapshotter;
  /** Shared by every pull (connections, tokens); close() releases it. */
  readonly client = new RegistryClient();
  /** Parsed configs by digest (immutable content). */
  private readonly configs = new Map<string, ImageConfig>();

  constructor(readonly root: string) {
    this.content = new ContentStore(root);
    this.records = new ImageRecords(root);
    this.snapshots = new Snapshotter(root, this.content);
  }

  /** The image for a reference, image ID or digest; undefined when not present. */
  async find(ref: string): Promise<ResolvedImage | undefined> {
    const record = await this.records.get(ref);
    if (record === undefined) return undefined;
    return { record, config: await this.config(record) };
  }

  async config(record: ImageRecord): Promise<ImageConfig> {
    const digest = record.config.digest;
    let config = this.configs.get(digest);
    if (config === undefined) {
      config = parseImageConfig(await this.content.get(digest), record.layers.length, `image config ${digest}`);
      this.configs.set(digest, config);
    }
    return config;
  }

  /** Unpacks the record's layers into snapshots owned by `image:<id>`. */
  async unpack(r: ImageRecord, diffIds: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.snapshots.prepare({ config: { rootfs: { diff_ids: diffIds } }, layers: r.layers }, imageOwner(imageId(r)), signal);
  }

  /**
   * Pulls `ref` (see pullImage) and unpacks it: each layer as soon as its blob is stored and
   * verified and the layers below it are unpacked, while the upper layers still download.
   */
  async pull(ref: string, opts: StorePullOptions = {}): Promise<{ pulled: PulledImage; record: ImageRecord }> {
    // One latch per layer: opened when its blob is stored, or failed with the pull's error.
    const latches = new Map<number, { promise: Promise<void>; open: () => void; fail: (e: unknown) => void }>();
    let failure: { error: unknown } | undefined;
    const latch = (i: number): Promise<void> => {
      if (failure) return Promise.reject(failure.error);
      let l = latches.get(i);
      if (!l) {
        let open!: () => void;
        let fail!: (e: unknown) => void;
        const promise = new Promise<void>((res, rej) => ((open = res), (fail = rej)));
        promise.catch(() => undefined); // failed before anyone waits: not an unhandled rejection
        l = { promise, open, fail };
        latches.set(i, l);
      }
      return l.promise;
    };
    let unpacking: Promise<unknown> | undefined;
    let pulled: PulledImage;
    try {
      pulled = await pullImage(ref, {
        root: this.root,
        store: this.content,
        images: this.records,
        client: this.client,
        ...opts,
        onConfig: (config, descriptor, layers) => {
          unpacking = this.snapshots.prepare({ config, layers }, imageOwner(descriptor.digest), opts.signal, latch);
          unpacking.catch(() => undefined); // awaited below; a failure here must not go unhandled meanwhile
        },
        onLayerStored: (i) => {
          void latch(i);
          latches.get(i)?.open();
        },
      });
    } catch (err) {
      failure = { error: err };
      for (const l of latches.values()) l.fail(err);
      await unpacking?.catch(() => undefined);
      throw err;
    }
    const record = await this.records.get(pulled.manifestDigest);
    if (record === undefined) throw new Error(`pull ${pulled.name}: the image record of ${pulled.manifestDigest} vanished`);
    this.configs.set(imageId(record), pulled.config);
    await (unpacking ?? this.unpack(record, pulled.config.rootfs.diff_ids, opts.signal));
    return { pulled, record };
  }

  /** Removes the image with every name it has and frees what nothing else uses. */
  async remove(rec: ImageRecord): Promise<void> {
    await this.records.remove(rec.manifestDigest);
    const rest = await this.records.list();
    if (!rest.some((r) => imageId(r) === imageId(rec))) await this.snapshots.release(imageOwner(imageId(rec)));
    await this.snapshots.gc();
    const kept = new Set(rest.flatMap(blobsOf));
    for (const d of new Set(blobsOf(rec))) if (!kept.has(d)) await this.content.delete(d);
  }

  /** Disk usage of the snapshots and the content store, from their records (no tree walk). */
  async usage(): Promise<DiskUsage> {
    const [snapshots, content] = await Promise.all([this.snapshots.usage(), this.content.usage()]);
    return addUsage(snapshots, content);
  }

  close(): void {
    this.client.close();
  }
}
