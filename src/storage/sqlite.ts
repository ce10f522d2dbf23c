// SqliteStore: the embedded datastore (better-sqlite3, WAL).
//
// Durability with throughput comes from group commit: writes are queued and flushed once per
// event-loop turn (setImmediate) in ONE transaction. Each write in a batch succeeds or fails on
// its own (a failed compare-and-swap writes nothing and does not abort the batch); only a failure
// of the transaction itself (I/O error, disk full) fails the whole batch.
//
// The fsync is off the event loop: better-sqlite3 is synchronous, so with synchronous=FULL every
// COMMIT would block the process for an fsync. Instead SQLite runs with synchronous=OFF and the
// store makes the WAL durable itself with an asynchronous fdatasync (libuv's thread pool) — what
// FULL does in WAL mode, without stopping the process. One sync is in flight at a time; batches
// committed meanwhile share the next one. A write's promise settles, and its watch event is
// published, only after the sync covering it completed: nothing is acknowledged or watched before
// it is durable. (Reads may see a committed write up to that sync earlier.) Checkpoints are the
// store's too: when the WAL passes `checkpointBytes`, one runs with synchronous=FULL, so database
// pages are synced before the WAL is truncated.
//
// Watches are served in-process (see watch-hub.ts), hence one process must own the database
// file: it is opened with locking_mode=EXCLUSIVE, and a second process fails to open it.

import Database from 'better-sqlite3';
import { closeSync, fdatasync, fdatasyncSync, fstatSync, mkdirSync, openSync } from 'node:fs';
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

/** A batch committed to the WAL, waiting for the sync that makes it durable. */
interface Committed {
  revision: number;
  events: WatchEvent[];
  /** Resolves the batch's writes, or rejects them all with `failure`. */
  settle(failure?: StoreError): void;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly log: SqliteLog;
  private readonly hub = new WatchHub((prefix, after) => this.replay(prefix, after));
  private queue: QueuedWrite[] = [];
  private flushScheduled = false;
  private closed = false;
  /** The WAL file, open for fdatasync (reopened after each checkpoint, in case SQLite replaced it). */
  private walFd = -1;
  private unsynced: Committed[] = [];
  private syncing = false;
  /** Every revision up to this one is durable (and published). */
  private durableRevision: number;
  private readonly checkpointBytes: number;

  /** Opens (creating if needed, with parent directories) the database at `path`. */
  constructor(
    readonly path: string,
    opts: { checkpointBytes?: number } = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: 1000 });
    this.checkpointBytes = opts.checkpointBytes ?? 64 * 1024 * 1024;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = OFF');
      db.pragma('wal_autocheckpoint = 0');
      db.pragma('locking_mode = EXCLUSIVE');
      // Take the exclusive lock now, so a second process fails at open rather than mid-write.
      db.exec('BEGIN EXCLUSIVE; COMMIT');
      this.log = new SqliteLog(db);
      // A WAL left by a crash is replayed by SQLite at open; fold it in durably before we append.
      this.checkpoint(db);
    } catch (err) {
      db.close();
      if (err instanceof Error && /locked|busy/i.test(err.message)) {
        throw new StoreError('Unavailable', `sqlite datastore ${path} is in use by another process (${err.message})`);
      }
      throw err;
    }
    this.db = db;
    this.durableRevision = this.log.revision;
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
    // ... and made durable and acknowledged before the store goes away.
    while (this.syncing) await new Promise((r) => setImmediate(r));
    if (this.unsynced.length > 0) {
      fdatasyncSync(this.walFd);
      this.publishDurable(this.unsynced);
      this.unsynced = [];
    }
    this.closed = true;
    this.hub.closeAll(new StoreError('Closed', 'the store was closed'));
    this.checkpoint(this.db);
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
    const outcomes: Array<{ event: WatchEvent; settle(): void; write: QueuedWrite } | { error: StoreError; write: QueuedWrite }> = [];
    try {
      this.db.transaction(() => {
        for (const write of batch) {
          try {
            outcomes.push({ ...write.apply(), write });
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
    // Failed checks wrote nothing: they are answered at once.
    for (const o of outcomes) if (!('event' in o)) o.write.reject(o.error);
    if (events.length === 0) return;
    this.unsynced.push({
      revision: this.log.revision,
      events,
      settle: (failure) => {
        for (const o of outcomes) {
          if (!('event' in o)) continue;
          if (failure) o.write.reject(failure);
          else o.settle();
        }
      },
    });
    this.syncWal();
  }

  /** Starts an fdatasync of the WAL unless one is running; it covers every batch committed so far. */
  private syncWal(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    this.syncing = true;
    const covered = this.unsynced;
    this.unsynced = [];
    fdatasync(this.walFd, (err) => {
      this.syncing = false;
      if (err) {
        // The data may not be on disk: nothing covered is acknowledged. The log in this process
        // already holds those revisions, so the store cannot go on safely: it fails closed.
        const failure = new StoreError('Unavailable', `sqlite fsync of ${this.path}-wal failed: ${err.message}`);
        for (const c of [...covered, ...this.unsynced]) c.settle(failure);
        this.unsynced = [];
        this.closed = true;
        this.hub.closeAll(failure);
        return;
      }
      this.publishDurable(covered);
      if (!this.closed && fstatSync(this.walFd).size > this.checkpointBytes && this.unsynced.length === 0) this.checkpoint(this.db);
      this.syncWal();
    });
  }

  private publishDurable(batches: Committed[]): void {
    for (const c of batches) {
      this.durableRevision = c.revision;
      this.hub.publish(c.events);
      c.settle();
    }
  }

  /** Copies the WAL into the database, syncing the database before the WAL is truncated. */
  private checkpoint(db: Database.Database): void {
    db.pragma('synchronous = FULL');
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.pragma('synchronous = OFF');
    }
    if (this.walFd >= 0) closeSync(this.walFd);
    this.walFd = this.closed ? -1 : openSync(`${this.path}-wal`, 'a');
  }

  private replay(prefix: string, after: number): Replay {
    if (after < this.log.compacted) throw watchCompactedError(after, this.log.compacted);
    // Only what is durable: later batches reach watchers when their sync completes.
    const upTo = this.durableRevision;
    const events: WatchEvent[] = [];
    let from = after;
    for (;;) {
      const page = this.log.events(prefix, from, REPLAY_PAGE);
      let done = page.length < REPLAY_PAGE;
      for (const ev of page) {
        if ((ev.type === 'put' ? ev.kv.modRevision : ev.revision) > upTo) {
          done = true;
          break;
        }
        events.push(ev);
      }
      if (done) break;
      const last = page[page.length - 1] as WatchEvent;
      from = last.type === 'put' ? last.kv.modRevision : last.revision;
    }
    return { events, revision: Math.max(after, upTo) };
  }
}
