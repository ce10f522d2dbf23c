// Pinned namespaces: a pod's network, IPC and UTS namespaces held by bind mounts of their
// namespace files instead of by a process — what CRI-O's `pinns` does for its infra-less pods
// (drop_infra_ctr). Containers join the pinned files by path; nothing has to keep running, and a
// pod without a shared PID namespace needs no infra container at all.
//
// One `unshare --net=F --ipc=F --uts=F` makes the namespaces and bind-mounts them; the command
// it then runs inside them (a POSIX shell) writes the pod's hostname and sysctls through
// /proc/sys, which shows the writer's own namespaces. So a pod's namespaces are ready, named and
// tuned with one process start.
//
// Contract: the mount-point files are created (mode 0, as `ip netns add`) before unshare; on any
// failure every namespace this call mounted is unmounted and its file removed again, and the
// error carries the shell's stderr (which names the sysctl that could not be written).

import { open, unlink } from 'node:fs/promises';
import { CriError } from '../../cri/errors.js';
import { isMountPoint, unmount } from '../mount.js';
import { runProcess } from '../process/run.js';

export type PinnedKind = 'net' | 'ipc' | 'uts';

/** Where each namespace to make is pinned (absent kinds are not made). */
export type PinPaths = Partial<Record<PinnedKind, string>>;

/** Writes under /proc/sys, made from inside the new namespaces: relative path → value. */
export type ProcSysWrites = ReadonlyArray<readonly [string, string]>;

// "$@" holds path=value pairs; a value may contain '=' (only the first one splits).
const WRITE_PROC_SYS = 'for kv do k=${kv%%=*}; printf %s "${kv#*=}" >"/proc/sys/$k" || { echo "cannot set ${k}" >&2; exit 1; }; done';

/** Makes the namespaces in `paths` and runs `writes` inside them. */
export async function pinNamespaces(paths: PinPaths, writes: ProcSysWrites = []): Promise<void> {
  const kinds = (Object.keys(paths) as PinnedKind[]).filter((k) => paths[k] !== undefined);
  if (kinds.length === 0) {
    if (writes.length > 0) throw new Error('pinNamespaces: writes need a namespace to go into');
    return;
  }
  const files = kinds.map((k) => paths[k] as string);
  try {
    for (const f of files) await (await open(f, 'a', 0o000)).close();
    const args = kinds.map((k) => `--${k}=${paths[k]}`);
    const command = writes.length === 0 ? ['true'] : ['/bin/sh', '-c', WRITE_PROC_SYS, 'sh', ...writes.map(([k, v]) => `${k}=${v}`)];
    await run('unshare', [...args, ...command]);
  } catch (err) {
    await unpin(files).catch(() => undefined);
    throw err;
  }
}

/** Unmounts and deletes pinned namespace files; missing ones are fine. */
export async function unpin(files: readonly string[]): Promise<void> {
  for (const f of files) {
    if (await isMountPoint(f)) await unmount(f);
    await unlink(f).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}

async function run(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await runProcess(command, args);
  if (code !== 0) throw new Error(`${command} failed (exit ${code ?? 'signal'}): ${stderr.trim() || 'no output'}`);
}

// Which namespace a sysctl lives in, as the kernel (and runc's validation) has it: only these are
// per-namespace; any other sysctl would change the whole node and is refused.
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS_SYSCTLS = new Set(['kernel.hostname', 'kernel.domainname']);

/** The namespace a sysctl belongs to, or undefined when it is node-wide. */
export function sysctlNamespace(name: string): PinnedKind | undefined {
  const dotted = name.replaceAll('/', '.');
  if (dotted.startsWith('net.')) return 'net';
  if (IPC_SYSCTLS.has(dotted) || dotted.startsWith('fs.mqueue.')) return 'ipc';
  if (UTS_SYSCTLS.has(dotted)) return 'uts';
  return undefined;
}

/**
 * The /proc/sys writes for a pod's sysctls, checked against the namespaces the pod gets (a
 * sysctl of a namespace shared with the node would change the node: InvalidArgument). Names
 * use '.' or '/' as separators, as Kubernetes allows; with '/', dots are part of a component.
 */
export function sysctlWrites(sysctls: Readonly<Record<string, string>> | undefined, own: ReadonlySet<PinnedKind>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(sysctls ?? {})) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(name) || name.split(/[./]/).some((p) => p === '' || p === '..')) {
      throw CriError.invalidArgument(`sysctl "${name}" is not a valid sysctl name`);
    }
    if (/[\n\0]/.test(value)) throw CriError.invalidArgument(`sysctl "${name}": the value must be one line`);
    const ns = sysctlNamespace(name);
    if (ns === undefined) throw CriError.invalidArgument(`sysctl "${name}" is not in a separate kernel namespace: setting it would change the node`);
    if (!own.has(ns)) throw CriError.invalidArgument(`sysctl "${name}" is not allowed: the pod shares the node's ${ns === 'net' ? 'network' : ns.toUpperCase()} namespace`);
    out.push([name.includes('/') ? name : name.replaceAll('.', '/'), value]);
  }
  return out;
}
