// Key ordering shared by the backends.
//
// etcd orders keys by their UTF-8 bytes, and SQLite's BINARY collation compares UTF-8 bytes too.
// UTF-8 byte order equals Unicode code point order, which differs from JavaScript's `<` (UTF-16
// code units) only for astral characters versus U+E000–U+FFFF. These helpers use code point order
// so every backend lists keys identically.

import { StoreError, type KeyValue } from './store.js';

/** Negative, zero or positive as `a` sorts before, equal to or after `b` (code point order). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800–0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000–0xFFFF.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string that starts with `prefix`, or undefined when no
 * such string exists (empty prefix, or a prefix made only of U+10FFFF). Keys in
 * [prefix, prefixEnd(prefix)) are exactly the keys with that prefix.
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix, (c) => c.codePointAt(0) ?? 0);
  while (cps.length > 0) {
    let last = (cps.pop() ?? 0) + 1;
    if (last >= 0xd800 && last <= 0xdfff) last = 0xe000; // skip the surrogate range
    if (last <= 0x10ffff) return String.fromCodePoint(...cps, last);
  }
  return undefined;
}

/** Rejects keys no backend can store (etcd refuses the empty key). */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new TypeError('store keys must be non-empty strings');
  }
}

/** Validates a read revision against the store's window [compacted, current]. */
export function checkReadRevision(revision: number, compacted: number, current: number): void {
  if (revision > current) {
    throw new StoreError('FutureRevision', `revision ${revision} is newer than the current revision ${current}`);
  }
  if (revision < compacted) {
    throw new StoreError('Compacted', `revision ${revision} has been compacted (compacted revision ${compacted})`);
  }
}

/** Validates a compaction target like etcd does. */
export function checkCompactRevision(revision: number, compacted: number, current: number): void {
  if (revision > current) {
    throw new StoreError('FutureRevision', `cannot compact at revision ${revision}: current revision is ${current}`);
  }
  if (revision <= compacted) {
    throw new StoreError('Compacted', `revision ${revision} has already been compacted (compacted revision ${compacted})`);
  }
}

/** The error a watch ends with when it starts before the compacted revision. */
export function watchCompactedError(afterRevision: number, compacted: number): StoreError {
  return new StoreError(
    'Compacted',
    `cannot watch from revision ${afterRevision}: history up to revision ${compacted} has been compacted`,
  );
}

export function conflictMessage(key: string, expected: number, current: KeyValue): string {
  return `key ${key} was modified: expected modRevision ${expected}, current is ${current.modRevision}`;
}
