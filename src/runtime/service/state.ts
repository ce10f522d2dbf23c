// The runtime's own records of sandboxes and containers, under `<root>/state/`. Each is written
// (RecordStore: atomic + durable) before the OS resources it names are created, and updated as
// they change, so a restarted runtime knows everything a crash could have left behind.
// Live facts (is the process running, its exit code) are not stored: they come from conmon's
// files and the OCI runtime on every query (see OciRuntime), so records never go stale.

import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import type { ContainerConfig, LinuxContainerResources, PodSandboxConfig } from '../../cri/types.js';
import type { ContainerHandle } from '../oci/runtime.js';
import { asObject, asString, RecordStore } from '../sandbox/records.js';

export type SandboxPhase = 'creating' | 'ready' | 'stopped';
export type ContainerPhase = 'creating' | 'created' | 'started';

export interface SandboxRecord {
  id: string;
  /** The reserved name: `<name>_<namespace>_<uid>_<attempt>` (containerd's form). */
  name: string;
  /** The handler that runs it (runc, runsc). */
  handler: string;
  /** The runtime_handler as requested ("" for the default), reported back as upstream does. */
  runtimeHandler?: string;
  config: PodSandboxConfig;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  phase: SandboxPhase;
  /** `<root>/sandboxes/<id>`: hosts, resolv.conf, hostname, shm. */
  dir: string;
  /** The pod IPs CNI gave (not for hostNetwork pods). The netns, the infra container and the
   *  shm mount are derived from id, dir and config (see sandbox.ts). */
  ip?: string;
  additionalIps?: string[];
  /** The pod's namespaces are pinned by bind mounts, with no infra container (sandbox.ts);
   *  absent: an infra container holds them. */
  pinned?: boolean;
}

export interface ContainerRecord {
  id: string;
  /** The reserved name: `<container>_<sandbox name>_<namespace>_<uid>_<attempt>`. */
  name: string;
  sandboxId: string;
  config: ContainerConfig;
  /** The image as requested, and what it resolved to. */
  image: string;
  imageId: string;
  /** A repo digest of the image (`name@sha256:...`), CRI's image_ref. */
  imageRef: string;
  createdAt: number;
  startedAt?: number;
  phase: ContainerPhase;
  /** The runtime's handle; its logPath is the absolute CRI log path (sandbox log_directory + config log_path), if any. */
  handle: ContainerHandle;
  stopSignal?: string;
  /** Resources as last applied (UpdateContainerResources changes them). */
  resources?: LinuxContainerResources;
}

function check<T extends { id: string; phase: string }>(what: string, phases: readonly string[]) {
  return (v: unknown, id: string): T => {
    const o = asObject(v, `${what} record`);
    if (asString(o.id, 'id') !== id) throw new Error(`id ${JSON.stringify(o.id)} does not match the record file`);
    if (!phases.includes(asString(o.phase, 'phase'))) throw new Error(`unknown phase ${JSON.stringify(o.phase)}`);
    asObject(o.config, 'config');
    return o as unknown as T;
  };
}

export function sandboxRecords(root: string): RecordStore<SandboxRecord> {
  return new RecordStore({ dir: path.join(root, 'state', 'sandboxes'), validate: check<SandboxRecord>('sandbox', ['creating', 'ready', 'stopped']) });
}

export function containerRecords(root: string): RecordStore<ContainerRecord> {
  return new RecordStore({ dir: path.join(root, 'state', 'containers'), validate: check<ContainerRecord>('container', ['creating', 'created', 'started']) });
}

/**
 * Objects by id with unique-prefix lookup (crictl and kubectl users type short ids) and name
 * reservations, as containerd's name index: a name maps to one id until released.
 */
export class IdIndex<T> {
  private readonly byId = new Map<string, T>();
  private readonly names = new Map<string, string>();

  constructor(private readonly kind: 'sandbox' | 'container') {}

  reserve(name: string, id: string): void {
    const holder = this.names.get(name);
    if (holder !== undefined && holder !== id) {
      throw CriError.alreadyExists(`the ${this.kind} name "${name}" is reserved for ${holder}: remove that ${this.kind} first or use another attempt number`);
    }
    this.names.set(name, id);
  }

  release(name: string, id: string): void {
    if (this.names.get(name) === id) this.names.delete(name);
  }

  set(id: string, value: T): void {
    this.byId.set(id, value);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  values(): T[] {
    return [...this.byId.values()];
  }

  /** The full id for an id or a unique prefix of one, or undefined. */
  resolve(idOrPrefix: string): string | undefined {
    if (this.byId.has(idOrPrefix)) return idOrPrefix;
    if (idOrPrefix === '') return undefined;
    let found: string | undefined;
    for (const id of this.byId.keys()) {
      if (!id.startsWith(idOrPrefix)) continue;
      if (found !== undefined) throw CriError.invalidArgument(`${this.kind} id prefix "${idOrPrefix}" is ambiguous: it matches ${found} and ${id}`);
      found = id;
    }
    return found;
  }

  /** Like resolve, but undefined for an ambiguous prefix too (list filters match nothing then, as containerd's). */
  tryResolve(idOrPrefix: string): string | undefined {
    try {
      return this.resolve(idOrPrefix);
    } catch {
      return undefined;
    }
  }

  get(idOrPrefix: string): T | undefined {
    const id = this.resolve(idOrPrefix);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Like get, but NotFound (with the id in the message) when absent. */
  must(idOrPrefix: string): T {
    if (!idOrPrefix) throw CriError.invalidArgument(`${this.kind} id is empty`);
    const v = this.get(idOrPrefix);
    if (v === undefined) throw CriError.notFound(`${this.kind} "${idOrPrefix}" not found`);
    return v;
  }
}

/** Every selector pair is among the labels (CRI label_selector filters). */
export function labelsMatch(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

export function nowNs(): number {
  return Date.now() * 1e6;
}

export function dateNs(d: Date | undefined): number {
  return d === undefined ? 0 : d.getTime() * 1e6;
}
