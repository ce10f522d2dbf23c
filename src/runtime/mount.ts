// Mount helpers for the runtime: overlay and bind mounts through util-linux's mount(8)/umount(8)
// (spawned with explicit arguments; their stderr reaches the error), and a parser for
// /proc/self/mountinfo so that skiff can find and clean up the mounts it made after a restart.
//
// Contract: every function here is idempotent where that makes sense (unmounting something that
// is not mounted succeeds) so that cleanup paths can call them without checking first.
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { runProcess, type RunResult } from './process/run.js';

/** A tool exited non-zero or could not be started; `stderr` holds what it printed. */
export class ToolError extends Error {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no output'}`);
    this.name = 'ToolError';
  }
}

export interface RunToolOptions {
  cwd?: string;
  /** Written to the tool's stdin, which is then closed. */
  input?: string | Buffer;
}

/** Runs an OS tool to completion and returns its output; throws ToolError on failure. */
export async function runTool(command: string, args: readonly string[], opts: RunToolOptions = {}): Promise<{ stdout: string; stderr: string }> {
  let r: RunResult;
  try {
    r = await runProcess(command, args, opts);
  } catch (e) {
    throw new ToolError(command, args, null, e instanceof Error ? e.message : String(e));
  }
  if (r.code !== 0) throw new ToolError(command, args, r.code, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** One line of /proc/self/mountinfo (see proc(5)); paths have their octal escapes decoded. */
export interface MountInfoEntry {
  mountId: number;
  parentId: number;
  majorMinor: string;
  /** The path inside the mounted filesystem that forms this mount's root. */
  root: string;
  mountPoint: string;
  mountOptions: string;
  fsType: string;
  source: string;
  superOptions: string;
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountInfo(text: string): MountInfoEntry[] {
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    if (pre.length < 6 || post.length < 3) continue;
    entries.push({
      mountId: Number(pre[0]),
      parentId: Number(pre[1]),
      majorMinor: pre[2],
      root: unescapeMountPath(pre[3]),
      mountPoint: unescapeMountPath(pre[4]),
      mountOptions: pre[5],
      fsType: post[0],
      source: unescapeMountPath(post[1]),
      superOptions: post.slice(2).join(' '),
    });
  }
  return entries;
}

export async function readMountInfo(): Promise<MountInfoEntry[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

/** Mounts at `dir` or below it, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<MountInfoEntry[]> {
  const base = path.resolve(dir);
  const prefix = base.endsWith('/') ? base : base + '/';
  return (await readMountInfo())
    .filter((m) => m.mountPoint === base || m.mountPoint.startsWith(prefix))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.mountId - a.mountId);
}

export async function isMountPoint(target: string): Promise<boolean> {
  const abs = path.resolve(target);
  return (await readMountInfo()).some((m) => m.mountPoint === abs);
}

export interface OverlayMountOptions {
  /** Lower directories, top (most recent layer) first. At least one. */
  lowerDirs: readonly string[];
  upperDir: string;
  workDir: string;
  target: string;
  readOnly?: boolean;
}

// The kernel takes mount data of at most one page. When the lowerdir list is longer, the lowers
// are passed as short symlinks in a temporary directory that mount(8) runs in (the kernel resolves
// them at mount time, so the directory is removed right after), like Docker's overlay2 `l/` links.
// Such a mount's mountinfo then shows the link names instead of the snapshot paths.
const MAX_MOUNT_DATA = 4000;

function checkOverlayPath(p: string): void {
  if (/[,:\n]/.test(p)) throw new Error(`overlay path ${JSON.stringify(p)} contains ',' or ':', which the overlay option syntax cannot carry`);
}

/** Mounts an overlay of `lowerDirs` with a writable `upperDir` (or read-only when asked). */
export async function mountOverlay(opts: OverlayMountOptions): Promise<void> {
  if (opts.lowerDirs.length === 0) throw new Error('overlay mount needs at least one lower directory');
  const lowers = opts.lowerDirs.map((d) => path.resolve(d));
  const upper = path.resolve(opts.upperDir);
  const work = path.resolve(opts.workDir);
  for (const p of [...lowers, upper, work]) checkOverlayPath(p);
  // index=off: the same lower snapshots are shared by many overlays with different uppers;
  // the inode index would tie a lower to one upper and fail later mounts with ESTALE.
  const rest = `upperdir=${upper},workdir=${work},index=off${opts.readOnly ? ',ro' : ''}`;
  const target = path.resolve(opts.target);
  const data = `lowerdir=${lowers.join(':')},${rest}`;
  if (data.length <= MAX_MOUNT_DATA) {
    await runTool('mount', ['-t', 'overlay', 'overlay', '-o', data, target]);
    return;
  }
  const links = await mkdtemp(path.join(path.dirname(target), '.overlay-lowers-'));
  try {
    const names = lowers.map((_, i) => i.toString(36));
    for (const [i, l] of lowers.entries()) await symlink(l, path.join(links, names[i]));
    const short = `lowerdir=${names.join(':')},${rest}`;
    if (short.length > MAX_MOUNT_DATA) throw new Error(`overlay mount options for ${lowers.length} layers exceed the kernel's ${MAX_MOUNT_DATA}-byte limit`);
    await runTool('mount', ['-t', 'overlay', 'overlay', '-o', short, target], { cwd: links });
  } finally {
    await rm(links, { recursive: true, force: true });
  }
}

export interface BindMountOptions {
  readOnly?: boolean;
  recursive?: boolean;
}

export async function bindMount(source: string, target: string, opts: BindMountOptions = {}): Promise<void> {
  await runTool('mount', [opts.recursive ? '--rbind' : '--bind', source, target]);
  if (opts.readOnly) {
    try {
      await runTool('mount', ['-o', 'remount,bind,ro', target]);
    } catch (err) {
      await unmount(target);
      throw err;
    }
  }
}

/**
 * Unmounts `target` if it is a mount point (every mount stacked on it). A busy mount is detached
 * lazily (`umount -l`) so cleanup never fails just because a process still holds a file there.
 */
export async function unmount(target: string): Promise<void> {
  const abs = path.resolve(target);
  // Each round removes the topmost of possibly several stacked mounts.
  for (let round = 0; round < 64; round++) {
    if (!(await isMountPoint(abs))) return;
    try {
      await runTool('umount', [abs]);
    } catch (err) {
      if (!(await isMountPoint(abs))) return;
      try {
        await runTool('umount', ['-l', abs]);
      } catch {
        throw err;
      }
    }
  }
  throw new Error(`${abs} is still mounted after 64 unmounts`);
}

/**
 * Unmounts every mount at or below `dir`, deepest first; returns the mount points removed. One
 * umount(8) takes them all (a pod's shm and pinned namespaces: one process, not one each);
 * whatever that left (busy, stacked) goes through unmount() one by one.
 */
export async function unmountAllUnder(dir: string): Promise<string[]> {
  const points = [...new Set((await mountsUnder(dir)).map((m) => m.mountPoint))];
  if (points.length === 0) return [];
  await runTool('umount', points).catch(() => undefined);
  for (const m of await mountsUnder(dir)) await unmount(m.mountPoint);
  return points;
}
