// The spec's mounts: upstream's default filesystems, then the CRI mounts plus the runtime's own
// files (/etc/hosts, /etc/resolv.conf, /etc/hostname, /dev/shm, termination message) as bind
// mounts. A CRI mount replaces a default or runtime mount with the same destination (a CRI
// mount on /dev replaces every default under /dev), as containerd's WithMounts does.

import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import type { CriMount, MountPropagation } from './cri-types.js';
import { defaultMounts } from './defaults.js';
import type { OciMount } from './oci-types.js';

/** Host paths of the files the runtime provides for the pod; each is omitted when unset. */
export interface RuntimeMounts {
  /** The sandbox's hosts file, mounted at /etc/hosts. */
  etcHosts?: string;
  /** The sandbox's resolv.conf, mounted at /etc/resolv.conf. */
  resolvConf?: string;
  /** The sandbox's hostname file, mounted at /etc/hostname. */
  hostname?: string;
  /** The sandbox's shm directory (or the host's /dev/shm for host IPC); unset keeps a private 64 MiB tmpfs. */
  devShm?: string;
  /** A termination-message file (kubelet usually sends this as an ordinary CRI mount). */
  terminationMessage?: { hostPath: string; containerPath: string };
}

export interface MountsInput {
  criMounts: readonly CriMount[];
  runtimeMounts?: RuntimeMounts;
  readonlyRootfs: boolean;
  privileged: boolean;
}

export interface MountsResult {
  mounts: OciMount[];
  /** "rshared" with a bidirectional mount, "rslave" with a host-to-container one, else unset. */
  rootfsPropagation?: string;
}

function propagationOption(p: MountPropagation | undefined, containerPath: string): 'rprivate' | 'rslave' | 'rshared' {
  switch (p ?? 0) {
    case 0:
    case 'PROPAGATION_PRIVATE':
      return 'rprivate';
    case 1:
    case 'PROPAGATION_HOST_TO_CONTAINER':
      return 'rslave';
    case 2:
    case 'PROPAGATION_BIDIRECTIONAL':
      return 'rshared';
    default:
      throw CriError.invalidArgument(`mount ${containerPath}: unknown propagation ${String(p)}`);
  }
}

/** Like Go's filepath.Clean for absolute paths: normalized, without a trailing slash. */
function clean(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function depth(p: string): number {
  return p.split('/').filter((c) => c !== '').length;
}

/** Builds the mount list. Host paths are used as given: the caller resolves symlinks and creates missing sources. */
export function buildMounts(input: MountsInput): MountsResult {
  const requested: CriMount[] = [];
  const seen = new Set<string>();
  for (const m of input.criMounts) {
    if (!m.container_path || !path.isAbsolute(m.container_path)) {
      throw CriError.invalidArgument(`mount container_path "${m.container_path}" must be an absolute path`);
    }
    if (!m.host_path || !path.isAbsolute(m.host_path)) {
      throw CriError.invalidArgument(`mount ${m.container_path}: host_path "${m.host_path}" must be an absolute path`);
    }
    if (m.recursive_read_only) {
      throw CriError.invalidArgument(`mount ${m.container_path}: recursive read-only mounts are not supported by this runtime (runc 1.1)`);
    }
    const dst = clean(m.container_path);
    if (seen.has(dst)) throw CriError.invalidArgument(`duplicate mount destination ${dst}`);
    seen.add(dst);
    requested.push({ ...m, container_path: dst, host_path: clean(m.host_path) });
  }

  // The runtime's own files, unless the CRI config mounts something at the same place.
  const rm = input.runtimeMounts ?? {};
  const extra: CriMount[] = [];
  const addExtra = (containerPath: string, hostPath: string | undefined, readonly: boolean): void => {
    if (hostPath === undefined || seen.has(containerPath)) return;
    extra.push({ container_path: containerPath, host_path: hostPath, readonly });
    seen.add(containerPath);
  };
  addExtra('/etc/hostname', rm.hostname, input.readonlyRootfs);
  addExtra('/etc/hosts', rm.etcHosts, input.readonlyRootfs);
  addExtra('/etc/resolv.conf', rm.resolvConf, input.readonlyRootfs);
  addExtra('/dev/shm', rm.devShm, false);
  if (rm.terminationMessage) addExtra(clean(rm.terminationMessage.containerPath), rm.terminationMessage.hostPath, false);

  const mounts: OciMount[] = [];
  for (const d of defaultMounts(input.privileged)) {
    if (seen.has(d.destination)) continue;
    if (seen.has('/dev') && d.destination.startsWith('/dev/')) continue;
    mounts.push(d);
  }

  // CRI mounts, then the runtime's; stable-sorted parents first so that a mount at /a/b is not
  // hidden by a later one at /a.
  const binds = [...requested, ...extra].map((m, i) => ({ m, i }));
  binds.sort((a, b) => depth(a.m.container_path) - depth(b.m.container_path) || a.i - b.i);
  let rootfsPropagation: string | undefined;
  for (const { m } of binds) {
    const prop = propagationOption(m.propagation, m.container_path);
    if (prop === 'rshared') rootfsPropagation = 'rshared';
    else if (prop === 'rslave' && rootfsPropagation !== 'rshared') rootfsPropagation = 'rslave';
    mounts.push({ destination: m.container_path, type: 'bind', source: m.host_path, options: ['rbind', prop, m.readonly ? 'ro' : 'rw'] });
  }
  const out: MountsResult = { mounts };
  if (rootfsPropagation !== undefined) out.rootfsPropagation = rootfsPropagation;
  return out;
}
