// A tiny durable store of JSON records, one file per record, for the runtime's "record before
// create" rule: every OS resource (netns, CNI attachment, ...) is written here before it exists,
// so a crash at any point leaves a record that recovery or `skiff reset` can act on.
//
// Contract:
// - put() is atomic and durable: the value is written to a temporary file in the same directory,
//   fsynced, renamed over `<id>.json`, and the directory is fsynced. A reader sees the old record
//   or the new one, never a torn one, even after a crash or power loss.
// - Concurrent put()s of the same id: the last rename wins; each is whole.
// - Values are parsed, then validated by the store's `validate` function (parse, then trust):
//   get() throws a RecordError naming the file when a record is unreadable; list() skips such
//   records and reports them through `onCorrupt`, so one bad file never blocks recovery of others.
// - Ids are restricted to [A-Za-z0-9][A-Za-z0-9_.-]* (at most 253 characters): they become file
//   names and must not escape the directory.

import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory, writeFileAtomic } from '../../util/atomic-file.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;
const SUFFIX = '.json';

export class RecordError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'RecordError';
  }
}

export interface RecordStoreOptions<T> {
  /** Directory holding the records; created (mode 0700) on first write. */
  dir: string;
  /** Turns parsed JSON into a trusted value, or throws saying what is wrong. */
  validate: (value: unknown, id: string) => T;
  /** Called by list() for each record it skipped because it could not be read or validated. */
  onCorrupt?: (id: string, error: Error) => void;
}

export interface RecordEntry<T> {
  id: string;
  value: T;
}

export function isValidRecordId(id: string): boolean {
  return ID.test(id) && id !== '.' && id !== '..';
}

export class RecordStore<T> {
  readonly dir: string;
  private readonly validate: (value: unknown, id: string) => T;
  private readonly onCorrupt: ((id: string, error: Error) => void) | undefined;

  constructor(options: RecordStoreOptions<T>) {
    this.dir = options.dir;
    this.validate = options.validate;
    this.onCorrupt = options.onCorrupt;
  }

  pathOf(id: string): string {
    if (!isValidRecordId(id)) {
      throw new RecordError(`invalid record id ${JSON.stringify(id)}: must match ${ID.source}`, this.dir);
    }
    return join(this.dir, id + SUFFIX);
  }

  /** Writes the record atomically and durably (see the file's contract). */
  async put(id: string, value: T): Promise<void> {
    const path = this.pathOf(id);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600, syncDir: true });
  }

  /** The record, or undefined when there is none. Throws RecordError when it is corrupt. */
  async get(id: string): Promise<T | undefined> {
    const path = this.pathOf(id);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
    return this.decode(id, path, text);
  }

  /** Every readable record, sorted by id. Leftover temporary files are ignored. */
  async list(): Promise<RecordEntry<T>[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return [];
      throw e;
    }
    const out: RecordEntry<T>[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith(SUFFIX) || name.startsWith('.')) continue;
      const id = name.slice(0, -SUFFIX.length);
      if (!isValidRecordId(id)) continue;
      try {
        const value = await this.get(id);
        if (value !== undefined) out.push({ id, value });
      } catch (e) {
        this.onCorrupt?.(id, e instanceof Error ? e : new Error(String(e)));
      }
    }
    return out;
  }

  /** Removes the record; true if it existed. Durable like put(). */
  async delete(id: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(id));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
    await syncDirectory(this.dir);
    return true;
  }

  private decode(id: string, path: string, text: string): T {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new RecordError(`record ${path} is not valid JSON: ${(e as Error).message}`, path);
    }
    try {
      return this.validate(parsed, id);
    } catch (e) {
      throw new RecordError(`record ${path} is invalid: ${(e as Error).message}`, path);
    }
  }
}

export function isErrno(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code;
}

// Small validation helpers for record validators (records are our own files, but a truncated
// disk or a hand edit must produce a clear error rather than a crash later).

export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} must be an object`);
  return v as Record<string, unknown>;
}

export function asString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  return v;
}
