// Replacing a file so that a reader — or the next start after a crash or power loss — sees the
// old content or the new, never a torn mix: write a temporary file in the same directory
// (`.<name>.<random>.tmp`, so directory scans that skip dotfiles ignore it), fdatasync it,
// rename it over the target, and with `syncDir` fsync the directory so the rename itself is
// durable. On failure the temporary file is removed and the target is untouched.

import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of a newly created file (default 0o644). */
  mode?: number;
  /** Make the rename durable too (fsync of the directory). */
  syncDir?: boolean;
}

export async function writeFileAtomic(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    try {
      await fh.writeFile(data);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  if (opts.syncDir) await syncDirectory(dir);
}

/** fsync of a directory: makes creations, renames and unlinks in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
