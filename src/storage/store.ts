// The datastore contract: a key-value store with etcd's semantics.
//
// Every backend (memory, SQLite, etcd) implements exactly this and passes the same contract suite
// (test/storage/contract.ts). Guarantees every caller may rely on:
// - One global revision, incremented by every successful create, update and delete.
// - A key's `modRevision` is the revision of the write that produced its current value; its
//   `createRevision` the revision of the create that started its current life.
// - `update` and `delete` with an expected modRevision are compare-and-swap: they fail with
//   `Conflict` unless the key's current modRevision equals it.
// - A write's promise resolves only once the write is durable (for SQLite: fsync'd).
// - `watch` delivers every event with revision > afterRevision, in revision order, each exactly
//   once, for keys under the prefix; when afterRevision is older than the compacted revision the
//   watch fails with `Compacted` instead.
// - Reads at a past `revision` see the keys as they were at that revision, until compacted.
//
// Compaction, precisely (etcd's rule): after `compact(C)`, reads at a revision r with 0 < r < C and
// watches with afterRevision < C fail with `Compacted`; reads at r >= C and watches from
// afterRevision >= C work. Reading or compacting at a revision above the current one fails with
// `FutureRevision`; compacting at or below an already compacted revision fails with `Compacted`.
//
// Watch delivery: handlers are never called synchronously from `watch()`; after `close()` returns
// no handler is called again. Closing the store ends every open watch with `Closed`.
// Keys are non-empty strings compared by Unicode code point (the same order as etcd's UTF-8
// bytes); range prefixes match by plain string prefix.

export interface KeyValue {
  key: string;
  /** The stored value: JSON text of an API object. */
  value: string;
  createRevision: number;
  modRevision: number;
}

export interface RangeOptions {
  /** At most this many keys (0 or absent: all). `more` tells whether keys were left out. */
  limit?: number;
  /** Only keys strictly greater than this one (the continue position of a paginated list). */
  startAfter?: string;
  /** Read the keys as they were at this revision (0 or absent: current). */
  revision?: number;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** True when `limit` left keys out. */
  more: boolean;
  /** The revision the read was served at. */
  revision: number;
}

export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prev?: KeyValue }
  /** `revision` is the revision of the delete itself; `prev` the value that was deleted. */
  | { type: 'delete'; key: string; revision: number; prev: KeyValue };

export interface Watch {
  close(): void;
}

export interface WatchHandlers {
  /** A batch of events in revision order. */
  onEvents(events: WatchEvent[]): void;
  /** The watch ended and will deliver nothing more (e.g. Compacted, or the backend closed). */
  onError(err: StoreError): void;
}

export interface Store {
  /** The current global revision. */
  currentRevision(): Promise<number>;
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys with the given prefix, in ascending key order. */
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  count(prefix: string): Promise<number>;
  /** Fails with `KeyExists` if the key exists. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Compare-and-swap on modRevision. Fails with `NotFound` or `Conflict` (err.current set). */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Deletes the key, returning the value it had. With an expected modRevision it is a
   * compare-and-swap. Resolves to the revision of the delete plus the deleted value.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }>;
  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Watch;
  /** Forget history at and below `revision`; reads and watches before it fail with Compacted. */
  compact(revision: number): Promise<void>;
  /** The highest revision compacted so far (0 if none). */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

/**
 * KeyExists → 409 AlreadyExists; NotFound → 404; Conflict → 409 Conflict; Compacted → 410 Gone /
 * Expired; FutureRevision → 504 "Too large resource version" (etcd's ErrFutureRev);
 * Closed → the store was closed by this process; Unavailable → the backend cannot be reached.
 */
export type StoreErrorCode =
  | 'KeyExists'
  | 'NotFound'
  | 'Conflict'
  | 'Compacted'
  | 'FutureRevision'
  | 'Closed'
  | 'Unavailable';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** For Conflict: the key's current value, when known. */
    readonly current?: KeyValue,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
