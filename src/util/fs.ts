import { access, readFile } from 'node:fs/promises';

/** The file's text, or undefined when it cannot be read (absent, not permitted, a directory). */
export async function readTextIfAny(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function pathExists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}
