// What every RPC handler of the runtime shares: paths, the handlers (runc, runsc), the network,
// the image store, and the in-memory indexes of sandboxes and containers (rebuilt from the
// records at start, see recover.ts).

import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import { ContentStore } from '../images/content.js';
import { ImageRecords, type ImageRecord } from '../images/image-records.js';
import { parseImageConfig, type ImageConfig } from '../images/oci-image.js';
import type { RegistriesConfig } from '../images/registries-config.js';
import { RegistryClient } from '../images/registry.js';
import { Snapshotter } from '../images/snapshots.js';
import type { HostFeatures } from '../oci/host.js';
import type { OciRuntime } from '../oci/runtime.js';
import type { PodNetworkManager } from '../sandbox/cni-pod.js';
import type { NetnsManager } from '../sandbox/netns.js';
import type { RecordStore } from '../sandbox/records.js';
import { IdIndex, KeyedLock, type ContainerRecord, type SandboxRecord } from './state.js';

export interface RuntimeContext {
  /** Persistent root (`--root`): images, snapshots, records, container dirs. */
  root: string;
  /** Volatile state dir (`--state`, on tmpfs): runc roots, conmon exit files and sockets. */
  stateDir: string;
  handlers: Map<string, OciRuntime>;
  defaultHandler: string;
  netns: NetnsManager;
  network: PodNetworkManager;
  images: ImageStore;
  host: HostFeatures;
  pauseRootfs: string;
  sandboxes: IdIndex<SandboxRecord>;
  containers: IdIndex<ContainerRecord>;
  sandboxStore: RecordStore<SandboxRecord>;
  containerStore: RecordStore<ContainerRecord>;
  /** Per-object serialisation of state changes (keys are ids). */
  locks: KeyedLock;
  /** Where image pulls go (mirrors, auth, TLS). */
  registries: RegistriesConfig | undefined;
  /** Called for problems that are not any caller's error (cleanup failures during recovery). */
  warn: (message: string) => void;
}

export function handlerOf(ctx: RuntimeContext, name: string): OciRuntime {
  const h = ctx.handlers.get(name === '' ? ctx.defaultHandler : name);
  if (h === undefined) {
    throw CriError.invalidArgument(`no runtime handler "${name}" is configured (this runtime has: ${[...ctx.handlers.keys()].join(', ')})`);
  }
  return h;
}

export function sandboxDir(root: string, id: string): string {
  return path.join(root, 'sandboxes', id);
}

/** An image record with its parsed config (cached: configs are immutable, keyed by digest). */
export interface ResolvedImage {
  record: ImageRecord;
  config: ImageConfig;
}

export class ImageStore {
  readonly content: ContentStore;
  readonly records: ImageRecords;
  readonly snapshots: Snapshotter;
  readonly client = new RegistryClient();
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

  close(): void {
    this.client.close();
  }
}
