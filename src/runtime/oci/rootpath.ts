// Resolving a path inside a container rootfs without escaping it. Image content is untrusted:
// `/etc/passwd` may be a symlink to `/../../host/file` or an absolute link that would point into
// the host if followed naively. Every component is resolved against the rootfs (as the kernel
// would after chroot): `..` stops at the root, absolute link targets restart at the root.

import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';

const MAX_LINKS = 255;

/**
 * The host path that `inside` (an absolute or relative path in the container) names under
 * `root`, with every symlink followed inside `root`. Components that do not exist are kept
 * as they are, so the result can name a file about to be created. Never returns a path outside
 * `root`. Throws when more than 255 symlinks are followed (a loop).
 */
export async function resolveInRoot(root: string, inside: string): Promise<string> {
  const rootAbs = path.resolve(root);
  const pending = inside.split('/').filter((c) => c !== '' && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const component = pending.shift() as string;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(rootAbs, ...resolved, component);
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
    if (!isLink) {
      resolved.push(component);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links resolving ${inside} in ${root}`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
  }
  return path.join(rootAbs, ...resolved);
}
