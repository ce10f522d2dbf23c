// SqliteStore: the embedded datastore (better-sqlite3, WAL, synchronous=FULL).
//
// Durability with throughput comes from group commit: writes are queued and flushed once per
// event-loop turn (setImmediate) in ONE transaction, so 50 concurrent writers cost one fsync, not
// fifty. Each write in a batch succeeds or fails on its own (a failed compare-and-swap writes
// nothing and does not abort the batch); only a failure of the transaction itself (I/O error,
// disk full) fails the whole batch. A write's promise settles after COMMIT returned, i.e. after
// the WAL was fsync'd.
//
// Watches are served in-process (see watch-hub.ts): right after a batch commits its events are
// published, before any write promise settles. Hence one process must own the database file:
// it is opened with locking_mode=EXCLUSIVE, and a second process fails to open it.
//
// better-sqlite3 is synchronous: a flush blocks the event loop for the duration of its fsync.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkCompactRevision, checkKey, checkReadRevision, watchCompactedError } from './keys.js';
import { SqliteLog, type Applied } from './sqlite-log.js';
import { WatchHub, type Replay } from './watch-hub.js';
import {
  isStoreError,
  StoreError,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from './store.js';

interface QueuedWrite {
  /** Applies the write inside the batch transaction; throws StoreError for a failed check. */
  apply(): { event: WatchEvent; settle(): void };
  reject(err: unknown): void;
}

/** Replayed events are read in pages of this many rows. */
const REPLAY_PAGE = 1000;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly log: SqliteLog;
  private readonly hub = new WatchHub((prefix, after) => this.replay(prefix, after));
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;

  /** Opens (creating if needed, with parent directories) the database at `path`. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: 1000 });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('locking_mode = EXCLUSIVE');
      // Take the exclusive lock now, so a second process fails at open rather than mid-write.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      this.log = new SqliteLog(db);
    } catch (err) {
      db.close();
      if (err instanceof Error && /locked|busy/i.test(err.message)) {
        throw new StoreError('Unavailable', `sqlite datastore ${path} is in use by another process (${err.message})`);
      }
      throw err;
    }
    this.db = db;
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.log.revision;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.log.get(key);
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const current = this.log.revision;
    const at = opts.revision && opts.revision > 0 ? opts.revision : current;
    if (at !== current) checkReadRevision(at, this.log.compacted, current);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const kvs = this.log.range(prefix, opts.startAfter ?? '', at, limit > 0 ? limit + 1 : -1);
    const more = limit > 0 && kvs.length > limit;
    if (more) kvs.length = limit;
    return { kvs, more, revision: at };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.log.count(prefix);
  }

  create(key: string, value: string): Promise<KeyValue> {
    return this.enqueue(key, () => this.log.create(key, value));
  }

  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    return this.enqueue(key, () => this.log.update(key, value, expectedModRevision));
  }

  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    return this.enqueue(key, () => this.log.delete(key, expectedModRevision));
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Watch {
    return this.hub.watch(prefix, afterRevision, handlers);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    // Pending writes go first so they are not reordered around the compaction.
    this.flush();
    checkCompactRevision(revision, this.log.compacted, this.log.revision);
    this.db.transaction(() => this.log.compact(revision))();
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.log.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush(); // writes already accepted are committed, not dropped
    this.closed = true;
    this.hub.closeAll(new StoreError('Closed', 'the store was closed'));
    this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', `the sqlite store ${this.path} is closed`);
  }

  private enqueue<T>(key: string, apply: () => Applied<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.checkOpen();
      checkKey(key);
      this.queue.push({
        apply: () => {
          const { result, event } = apply();
          return { event, settle: () => resolve(result) };
        },
        reject,
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction, publishes the events, settles the promises. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || this.closed) return;
    const startRevision = this.log.revision;
    const outcomes: Array<{ event: WatchEvent; settle(): void } | { error: StoreError; write: QueuedWrite }> = [];
    try {
      this.db.transaction(() => {
        for (const write of batch) {
          try {
            outcomes.push(write.apply());
          } catch (err) {
            if (!isStoreError(err)) throw err; // a real SQLite failure aborts the transaction
            outcomes.push({ error: err, write });
          }
        }
      })();
    } catch (err) {
      this.log.revision = startRevision;
      const failure = new StoreError('Unavailable', `sqlite write to ${this.path} failed: ${String(err)}`);
      for (const write of batch) write.reject(failure);
      return;
    }
    const events: WatchEvent[] = [];
    for (const o of outcomes) if ('event' in o) events.push(o.event);
    this.hub.publish(events);
    for (const o of outcomes) {
      if ('event' in o) o.settle();
      else o.write.reject(o.error);
    }
  }

  private replay(prefix: string, after: number): Replay {
    if (after < this.log.compacted) throw watchCompactedError(after, this.log.compacted);
    const events: WatchEvent[] = [];
    let from = after;
    for (;;) {
      const page = this.log.events(prefix, from, REPLAY_PAGE);
      events.push(...page);
      if (page.length < REPLAY_PAGE) break;
      const last = page[page.length - 1] as WatchEvent;
      from = last.type === 'put' ? last.kv.modRevision : last.revision;
    }
    return { events, revision: this.log.revision };
  }
}
