// Disk usage as `du` counts it: bytes allocated (st_blocks × 512) and one inode per directory
// entry, found by walking a tree. Hard links are counted once per path (as the walk meets them),
// symlinks are not followed.
//
// A walk costs a stat per file, so callers that report usage often (ImageFsInfo, polled by the
// kubelet every ~10 s) walk only what changes and keep the usage of immutable trees (committed
// snapshots, content blobs) — see Snapshotter.usage() and ContentStore.usage().

import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface DiskUsage {
  /** Bytes allocated on disk (st_blocks × 512), not file lengths. */
  bytes: number;
  inodes: number;
}

export const NO_USAGE: DiskUsage = Object.freeze({ bytes: 0, inodes: 0 });

export function addUsage(...parts: readonly DiskUsage[]): DiskUsage {
  let bytes = 0;
  let inodes = 0;
  for (const p of parts) {
    bytes += p.bytes;
    inodes += p.inodes;
  }
  return { bytes, inodes };
}

/** The usage of `p` itself (one inode, its blocks), not of what a directory holds; nothing when absent. */
export async function entryUsage(p: string): Promise<DiskUsage> {
  const st = await lstat(p).catch(() => undefined);
  return st ? { bytes: st.blocks * 512, inodes: 1 } : NO_USAGE;
}

/** Usage of `dir` and everything below it. */
export async function treeUsage(dir: string): Promise<DiskUsage> {
  return addUsage(await entryUsage(dir), await diskUsage(dir));
}

/** Usage of everything below `dir`, not counting `dir` itself; nothing when absent. */
export async function diskUsage(dir: string): Promise<DiskUsage> {
  let bytes = 0;
  let inodes = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      inodes++;
      bytes += st.blocks * 512;
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return { bytes, inodes };
}
