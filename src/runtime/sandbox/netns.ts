// Named network namespaces for pod sandboxes, pinned by a bind mount of the namespace file at
// `<dir>/<name>` (default /run/skiff/netns) — the same mechanism as `ip netns add`, but in skiff's
// own directory so `ip netns` listings and other tools' namespaces stay separate from ours
// (iproute2 has no setting for its run directory; util-linux `unshare --net=<file>` does the
// unshare-then-bind-mount dance for us).
//
// Contract:
// - create() records the namespace (RecordStore) BEFORE making it, so a crash mid-way leaves a
//   record that removeAll()/`skiff reset` cleans. If creation fails, the file and the record are
//   removed again and the error carries unshare's stderr.
// - remove() is idempotent: it lazily unmounts (MNT_DETACH, as `ip netns delete` does: processes
//   still inside keep the namespace alive until they exit), deletes the file, then the record.
// - list() merges the records with the nsfs mounts found in /proc/self/mountinfo under `dir`, so
//   a mount without a record (or a record without a mount) is visible to cleanup.
// - CNI DEL must run BEFORE remove(): the bridge plugin finds the addresses whose masquerade rules
//   it must delete by looking inside the namespace.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asObject, asString, isErrno, isValidRecordId, RecordStore } from './records.js';
import { pinNamespaces, type PinPaths, type ProcSysWrites } from './pinns.js';
import { readMountInfo, runTool } from '../mount.js';

export const DEFAULT_NETNS_DIR = '/run/skiff/netns';

export interface NetnsRecord {
  name: string;
  path: string;
  /** RFC 3339 time the namespace was requested. */
  createdAt: string;
}

export interface NetnsInfo {
  name: string;
  path: string;
  /** An nsfs bind mount is present at `path`. */
  mounted: boolean;
  /** A record exists for it. */
  recorded: boolean;
}

export interface NetnsManagerOptions {
  /** Where namespace files are bind-mounted; default /run/skiff/netns. */
  dir?: string;
  /** Directory of the namespace records (e.g. `<runtime root>/netns`). */
  recordsDir: string;
}

export interface NetnsExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export class NetnsError extends Error {
  constructor(message: string, readonly netns: string) {
    super(message);
    this.name = 'NetnsError';
  }
}

export function netnsRecordStore(dir: string): RecordStore<NetnsRecord> {
  return new RecordStore<NetnsRecord>({
    dir,
    validate: (v, id) => {
      const o = asObject(v, 'netns record');
      const rec: NetnsRecord = {
        name: asString(o.name, 'name'),
        path: asString(o.path, 'path'),
        createdAt: asString(o.createdAt, 'createdAt'),
      };
      if (rec.name !== id) throw new Error(`name ${JSON.stringify(rec.name)} does not match the record id`);
      return rec;
    },
  });
}

export class NetnsManager {
  readonly dir: string;
  readonly records: RecordStore<NetnsRecord>;

  constructor(options: NetnsManagerOptions) {
    this.dir = options.dir ?? DEFAULT_NETNS_DIR;
    this.records = netnsRecordStore(options.recordsDir);
  }

  pathOf(name: string): string {
    if (!isValidRecordId(name)) {
      throw new NetnsError(`invalid network namespace name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`, name);
    }
    return join(this.dir, name);
  }

  /**
   * Creates the namespace and returns its path. Fails if a namespace of that name is already
   * mounted. A leftover unmounted file (crash between touch and mount) is reused. `with` pins
   * more of the pod's namespaces in the same process start and writes /proc/sys inside them
   * (pinns.ts); the caller owns those other pins.
   */
  async create(name: string, withPins: { paths?: Omit<PinPaths, 'net'>; writes?: ProcSysWrites } = {}): Promise<string> {
    const path = this.pathOf(name);
    if (await isNsMount(path)) throw new NetnsError(`network namespace ${name} already exists at ${path}`, name);
    await this.records.put(name, { name, path, createdAt: new Date().toISOString() });
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o755 });
      await pinNamespaces({ ...withPins.paths, net: path }, withPins.writes);
      return path;
    } catch (e) {
      await this.records.delete(name).catch(() => undefined);
      throw new NetnsError(`cannot create network namespace ${name} at ${path}: ${commandError(e)}`, name);
    }
  }

  /** Unmounts and deletes the namespace file, then its record. Missing pieces are fine. */
  async remove(name: string): Promise<void> {
    const path = this.pathOf(name);
    if (await isNsMount(path)) {
      try {
        await runTool('umount', ['--lazy', path]);
      } catch (e) {
        // Raced with another remover: fine if it is gone now.
        if (await isNsMount(path)) throw new NetnsError(`cannot unmount network namespace ${name} at ${path}: ${commandError(e)}`, name);
      }
    }
    try {
      await unlink(path);
    } catch (e) {
      if (!isErrno(e, 'ENOENT')) throw new NetnsError(`cannot delete ${path}: ${(e as Error).message}`, name);
    }
    await this.records.delete(name);
  }

  async exists(name: string): Promise<boolean> {
    return isNsMount(this.pathOf(name));
  }

  /** Recorded and mounted namespaces under `dir`, sorted by name. */
  async list(): Promise<NetnsInfo[]> {
    const byName = new Map<string, NetnsInfo>();
    for (const { id, value } of await this.records.list()) {
      byName.set(id, { name: id, path: value.path, mounted: false, recorded: true });
    }
    const prefix = this.dir.endsWith('/') ? this.dir : this.dir + '/';
    for (const m of await nsMounts()) {
      if (!m.startsWith(prefix)) continue;
      const name = m.slice(prefix.length);
      if (name.includes('/')) continue;
      const info = byName.get(name) ?? { name, path: m, mounted: true, recorded: false };
      info.mounted = true;
      byName.set(name, info);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Removes every namespace list() finds (for `skiff reset`); returns the names removed. */
  async removeAll(): Promise<string[]> {
    const removed: string[] = [];
    for (const ns of await this.list()) {
      await this.remove(ns.name);
      removed.push(ns.name);
    }
    return removed;
  }

  /** Runs argv inside the namespace (`nsenter --net=<path>`), collecting its output. */
  async exec(name: string, argv: string[], options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NetnsExecResult> {
    return execInNetns(this.pathOf(name), argv, options);
  }
}

/** Runs argv in the network namespace at `path`; never throws for a non-zero exit. */
export function execInNetns(
  path: string,
  argv: string[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<NetnsExecResult> {
  if (argv.length === 0) throw new Error('execInNetns: empty command');
  return new Promise((resolve, reject) => {
    const child = spawnInNetns(path, argv, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, timeout: options.timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({ stdout, stderr, exitCode, signal }));
  });
}

/** Starts argv in the network namespace at `path`; the caller owns the child (end it by PID). */
export function spawnInNetns(path: string, argv: string[], options: SpawnOptions = {}): ChildProcess {
  return spawn('nsenter', [`--net=${path}`, '--', ...argv], options);
}

/** Mount points of nsfs mounts in this process's mount namespace. */
export async function nsMounts(): Promise<string[]> {
  return (await readMountInfo()).filter((m) => m.fsType === 'nsfs').map((m) => m.mountPoint);
}

async function isNsMount(path: string): Promise<boolean> {
  return (await nsMounts()).includes(path);
}

function commandError(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const stderr = (e as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && stderr.trim() !== '') return stderr.trim();
    if (e instanceof Error) return e.message;
  }
  return String(e);
}
