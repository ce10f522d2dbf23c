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
import { labelsMatch, type IdIndex, type ContainerRecord, type SandboxRecord } from './state.js';

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

/** What the CRI list filters share: an id (or unique prefix), labels, and for containers a sandbox id. */
interface ListFilter {
  id?: string;
  pod_sandbox_id?: string;
  label_selector?: Record<string, string>;
}

/** The ids a filter field selects: undefined = any; an unknown or ambiguous prefix selects none (as containerd's lists). */
function wanted<T>(index: IdIndex<T>, idOrPrefix: string | undefined): (id: string) => boolean {
  if (!idOrPrefix) return () => true;
  const id = index.tryResolve(idOrPrefix);
  return (x) => x === id;
}

/** The containers `keep` accepts that a CRI list filter (ListContainers, ListContainerStats) selects. */
export function filterContainers(ctx: RuntimeContext, f: ListFilter | null | undefined, keep: (c: ContainerRecord) => boolean): ContainerRecord[] {
  const id = wanted(ctx.containers, f?.id);
  const sandbox = wanted(ctx.sandboxes, f?.pod_sandbox_id);
  return ctx.containers.values().filter((c) => keep(c) && id(c.id) && sandbox(c.sandboxId) && labelsMatch(c.config.labels, f?.label_selector));
}

/** The sandboxes `keep` accepts that a CRI list filter (ListPodSandbox, ListPodSandboxStats) selects. */
export function filterSandboxes(ctx: RuntimeContext, f: ListFilter | null | undefined, keep: (s: SandboxRecord) => boolean): SandboxRecord[] {
  const id = wanted(ctx.sandboxes, f?.id);
  return ctx.sandboxes.values().filter((s) => keep(s) && id(s.id) && labelsMatch(s.config.labels, f?.label_selector));
}
