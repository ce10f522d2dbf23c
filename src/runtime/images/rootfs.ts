// Container root filesystems: an overlay of the image's snapshot directories (read-only lowers,
// top first) with a per-container writable `upper` and overlay `work` directory:
//
//   <root>/containers/<id>/upper    the container's changes
//   <root>/containers/<id>/work     overlayfs scratch space (same filesystem as upper)
//   <root>/containers/<id>/rootfs   the mount point (the OCI bundle's `rootfs`)
//
// One mechanism for every image, including single-layer and layerless ones (an empty lower is
// used for the latter). A read-only rootfs is mounted `ro`; the OCI spec's `root.readonly` should
// be set as well so runc keeps it read-only inside the container.
//
// Contract: mountRootfs() is idempotent (an existing mount at the target is kept, which is what a
// restarted runtime finds) and undoes its own steps on failure; removeRootfs() unmounts and deletes
// only the three directories above, never the rest of the container directory, whose owner is
// the container store. After a restart, mountedRootfs() lists what is still mounted so it can be
// reconciled with the container records, and unmountAllRootfs() serves `skiff reset`.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { isMountPoint, mountOverlay, mountsUnder, unmount } from '../mount.js';

export interface RootfsPaths {
  /** `<root>/containers/<id>`. */
  dir: string;
  upper: string;
  work: string;
  /** The mount point. */
  target: string;
}

export interface MountRootfsOptions {
  /** The runtime root (`--root`). */
  root: string;
  containerId: string;
  /** Snapshot directories, top layer first (Snapshotter.prepare's result). */
  lowerDirs: readonly string[];
  readOnly?: boolean;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,253}$/;

export function rootfsPaths(root: string, containerId: string): RootfsPaths {
  if (!ID.test(containerId)) {
    throw new Error(`container id ${JSON.stringify(containerId)} is not usable as a directory name (letters, digits, '_', '.', '-')`);
  }
  const dir = path.join(path.resolve(root), 'containers', containerId);
  return { dir, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: path.join(dir, 'rootfs') };
}

/** Creates the container's upper/work directories and mounts its rootfs; returns the paths. */
export async function mountRootfs(opts: MountRootfsOptions): Promise<RootfsPaths> {
  const p = rootfsPaths(opts.root, opts.containerId);
  if (await isMountPoint(p.target)) return p;
  const created: string[] = [];
  const mk = async (d: string): Promise<void> => {
    try {
      await fsp.mkdir(d, { mode: 0o700 });
      created.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  };
  try {
    await fsp.mkdir(p.dir, { recursive: true, mode: 0o700 });
    await mk(p.upper);
    await mk(p.work);
    await mk(p.target);
    let lowers = opts.lowerDirs;
    if (lowers.length === 0) {
      const empty = path.join(p.dir, 'empty');
      await mk(empty);
      lowers = [empty];
    }
    // The upper root must let the container see the image root's mode, not our 0700.
    if (created.includes(p.upper)) await fsp.chmod(p.upper, 0o755);
    await mountOverlay({ lowerDirs: lowers, upperDir: p.upper, workDir: p.work, target: p.target, readOnly: opts.readOnly });
    return p;
  } catch (err) {
    for (const d of created.reverse()) await fsp.rm(d, { recursive: true, force: true });
    throw err;
  }
}

/** Unmounts the container's rootfs if mounted (lazily when busy). */
export async function unmountRootfs(root: string, containerId: string): Promise<void> {
  await unmount(rootfsPaths(root, containerId).target);
}

/** Unmounts and deletes the container's rootfs, upper and work directories. Idempotent. */
export async function removeRootfs(root: string, containerId: string): Promise<void> {
  const p = rootfsPaths(root, containerId);
  await unmount(p.target);
  // Never delete through a mount: if something is still mounted below the target, stop here.
  if ((await mountsUnder(p.target)).length > 0) throw new Error(`rootfs of container ${containerId} is still mounted at ${p.target}`);
  for (const d of [p.target, p.upper, p.work, path.join(p.dir, 'empty')]) await fsp.rm(d, { recursive: true, force: true });
}

/** Container ids whose rootfs is mounted under `<root>/containers` (for recovery after a restart). */
export async function mountedRootfs(root: string): Promise<string[]> {
  const base = path.join(path.resolve(root), 'containers');
  const ids = new Set<string>();
  for (const m of await mountsUnder(base)) {
    const rel = path.relative(base, m.mountPoint).split(path.sep);
    if (rel.length === 2 && rel[1] === 'rootfs' && m.fsType === 'overlay') ids.add(rel[0]);
  }
  return [...ids];
}

/** Unmounts every container rootfs under the root (for `skiff reset`); returns the container ids. */
export async function unmountAllRootfs(root: string): Promise<string[]> {
  const ids = await mountedRootfs(root);
  for (const id of ids) await unmountRootfs(root, id);
  return ids;
}
