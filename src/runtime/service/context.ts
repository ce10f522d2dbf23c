// What every RPC handler of the runtime shares: paths, the handlers (runc, runsc), the network,
// the image store, and the in-memory indexes of sandboxes and containers (rebuilt from the
// records at start, see recover.ts).

import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import type { ImageStore } from '../images/image-store.js';
import type { RegistriesConfig } from '../images/registries-config.js';
import type { HostFeatures } from '../oci/host.js';
import type { OciRuntime } from '../oci/runtime.js';
import type { PodNetworkManager } from '../sandbox/cni-pod.js';
import type { NetnsManager } from '../sandbox/netns.js';
import type { RecordStore } from '../sandbox/records.js';
import type { KeyedLock } from '../../util/keyed-lock.js';
import type { IdIndex, ContainerRecord, SandboxRecord } from './state.js';

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

/** The handler a RuntimeClass name asks for ("" = the default). */
export function handlerOf(ctx: RuntimeContext, name: string): OciRuntime {
  const h = ctx.handlers.get(name === '' ? ctx.defaultHandler : name);
  if (h === undefined) {
    throw CriError.invalidArgument(`no runtime handler "${name}" is configured (this runtime has: ${[...ctx.handlers.keys()].join(', ')})`);
  }
  return h;
}

/** The handler of an existing sandbox (and so of its containers). */
export function runtimeOf(ctx: RuntimeContext, sb: SandboxRecord): OciRuntime {
  const h = ctx.handlers.get(sb.handler);
  if (h === undefined) throw CriError.failedPrecondition(`sandbox ${sb.id} uses runtime handler "${sb.handler}", which is no longer configured`);
  return h;
}

/** The handler of an existing container. */
export function containerRuntime(ctx: RuntimeContext, c: ContainerRecord): OciRuntime {
  return runtimeOf(ctx, ctx.sandboxes.must(c.sandboxId));
}

export function sandboxDir(root: string, id: string): string {
  return path.join(root, 'sandboxes', id);
}
