// The SQLite revision log (kine's design), synchronous and single-connection.
//
// One table holds every write: the row id IS the revision. A row is (id, key, created, deleted,
// create_revision, prev_revision, value):
// - a create has created=1 and prev_revision = the key's previous row (a tombstone) or 0;
// - an update has prev_revision = the row it replaced;
// - a delete (deleted=1) repeats the deleted value, its create_revision, and prev_revision = the
//   deleted value's modRevision, so a delete event needs no second read.
// The unique index on (key, prev_revision) makes two writes based on the same row impossible, the
// compare-and-swap underneath the checks done here. The key's current value is its newest row;
// the value at revision R is its newest row with id <= R. Compaction deletes rows superseded at or
// below the compacted revision, plus tombstones there, and records that revision.
//
// Callers own transactions; every method here runs synchronously on the caller's connection.

import type Database from 'better-sqlite3';
import { conflictMessage, prefixEnd } from './keys.js';
import { StoreError, type KeyValue, type WatchEvent } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kv_key_prev_revision ON kv (key, prev_revision);
CREATE INDEX IF NOT EXISTS kv_key_id ON kv (key, id);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

interface Row {
  id: number;
  key: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  value: string;
}

interface ReplayRow extends Row {
  prev_value: string | null;
  prev_create_revision: number | null;
}

/** The result of one write plus the event it produced. */
export interface Applied<T> {
  result: T;
  event: WatchEvent;
}

export class SqliteLog {
  /** The newest revision written (including uncommitted writes of the open transaction). */
  revision: number;
  compacted: number;
  private readonly stmts;
  private readonly rangeStmts = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    db.exec(SCHEMA);
    this.stmts = {
      latest: db.prepare<[string], Row>('SELECT * FROM kv WHERE key = ? ORDER BY id DESC LIMIT 1'),
      insert: db.prepare(
        'INSERT INTO kv (id, key, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      sequence: db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'kv'"),
      maxId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM kv'),
      getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?'),
      setMeta: db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
      compact: db.prepare(
        'DELETE FROM kv WHERE id <= @rev AND (deleted = 1 OR id IN (SELECT prev_revision FROM kv WHERE id <= @rev))',
      ),
    };
    this.revision = this.readRevision();
    this.compacted = this.stmts.getMeta.get('compact_revision')?.value ?? 0;
  }

  /** Re-reads the revision from disk (after a rolled-back transaction). */
  readRevision(): number {
    // sqlite_sequence remembers the highest id ever used, even when compaction deleted that row.
    const seq = this.stmts.sequence.get()?.seq ?? 0;
    return Math.max(seq, this.stmts.maxId.get()?.id ?? 0);
  }

  get(key: string): KeyValue | undefined {
    const row = this.stmts.latest.get(key);
    return row && !row.deleted ? toKeyValue(row) : undefined;
  }

  /**
   * Keys under `prefix` after `startAfter` as of `revision`, at most `limit` (-1: all). The
   * newest version of each key is found in key order with the limit pushed into the grouping, so
   * a page costs what it returns, not what follows it; deleted keys are skipped by reading on.
   */
  range(prefix: string, startAfter: string, revision: number, limit: number): KeyValue[] {
    const hi = prefixEnd(prefix);
    const sql = `SELECT k.* FROM kv k JOIN (
        SELECT MAX(id) AS id, key FROM kv
        WHERE key >= @lo ${hi === undefined ? '' : 'AND key < @hi'} AND key > @after AND id <= @rev
        GROUP BY key ORDER BY key LIMIT @limit) m ON k.id = m.id
      ORDER BY k.key`;
    const stmt = this.statement(sql);
    const out: KeyValue[] = [];
    let after = startAfter;
    for (;;) {
      const want = limit < 0 ? -1 : limit - out.length;
      const rows = stmt.all({ lo: prefix, hi, after, rev: revision, limit: want }) as Row[];
      for (const r of rows) if (!r.deleted) out.push(toKeyValue(r));
      if (want < 0 || rows.length < want || out.length >= limit) return out;
      after = rows[rows.length - 1]!.key;
    }
  }

  count(prefix: string): number {
    const hi = prefixEnd(prefix);
    const sql = `SELECT COUNT(*) AS n FROM kv k JOIN (
        SELECT MAX(id) AS id FROM kv WHERE key >= @lo ${hi === undefined ? '' : 'AND key < @hi'} GROUP BY key
      ) m ON k.id = m.id WHERE k.deleted = 0`;
    return (this.statement(sql).get({ lo: prefix, hi }) as { n: number }).n;
  }

  /** Events after `after` under `prefix`, in revision order, at most `limit`. */
  events(prefix: string, after: number, limit: number): WatchEvent[] {
    const hi = prefixEnd(prefix);
    // `+r.key` keeps the planner on the id range: a watch usually resumes from a recent revision.
    const sql = `SELECT r.*, p.value AS prev_value, p.create_revision AS prev_create_revision
      FROM kv r LEFT JOIN kv p ON p.id = r.prev_revision AND r.created = 0 AND r.deleted = 0
      WHERE r.id > @after AND +r.key >= @lo ${hi === undefined ? '' : 'AND +r.key < @hi'}
      ORDER BY r.id LIMIT @limit`;
    const rows = this.statement(sql).all({ lo: prefix, hi, after, limit }) as ReplayRow[];
    return rows.map(toEvent);
  }

  create(key: string, value: string): Applied<KeyValue> {
    const cur = this.stmts.latest.get(key);
    if (cur && !cur.deleted) throw new StoreError('KeyExists', `key ${key} already exists`);
    const rev = this.insert(key, 1, 0, undefined, cur?.id ?? 0, value);
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    return { result: kv, event: { type: 'put', kv } };
  }

  update(key: string, value: string, expected: number): Applied<KeyValue> {
    const prev = this.current(key, expected);
    const rev = this.insert(key, 0, 0, prev.createRevision, prev.modRevision, value);
    const kv: KeyValue = { key, value, createRevision: prev.createRevision, modRevision: rev };
    return { result: kv, event: { type: 'put', kv, prev } };
  }

  delete(key: string, expected: number | undefined): Applied<{ revision: number; prev: KeyValue }> {
    const prev = this.current(key, expected);
    const revision = this.insert(key, 0, 1, prev.createRevision, prev.modRevision, prev.value);
    return { result: { revision, prev }, event: { type: 'delete', key, revision, prev } };
  }

  /** Compacts at `revision` (already validated by the caller). */
  compact(revision: number): void {
    this.stmts.compact.run({ rev: revision });
    this.stmts.setMeta.run('compact_revision', revision);
    this.compacted = revision;
  }

  private current(key: string, expected: number | undefined): KeyValue {
    const row = this.stmts.latest.get(key);
    if (!row || row.deleted) throw new StoreError('NotFound', `key ${key} not found`);
    const cur = toKeyValue(row);
    if (expected !== undefined && cur.modRevision !== expected) {
      throw new StoreError('Conflict', conflictMessage(key, expected, cur), cur);
    }
    return cur;
  }

  private insert(key: string, created: number, deleted: number, createRev: number | undefined, prevRev: number, value: string): number {
    const rev = this.revision + 1;
    this.stmts.insert.run(rev, key, created, deleted, createRev ?? rev, prevRev, value);
    this.revision = rev;
    return rev;
  }

  private statement(sql: string): Database.Statement {
    let stmt = this.rangeStmts.get(sql);
    if (!stmt) this.rangeStmts.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }
}

function toKeyValue(row: Row): KeyValue {
  return { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.id };
}

function toEvent(row: ReplayRow): WatchEvent {
  if (row.deleted) {
    const prev: KeyValue = { key: row.key, value: row.value, createRevision: row.create_revision, modRevision: row.prev_revision };
    return { type: 'delete', key: row.key, revision: row.id, prev };
  }
  const kv = toKeyValue(row);
  if (row.created || row.prev_value === null || row.prev_create_revision === null) return { type: 'put', kv };
  const prev: KeyValue = { key: row.key, value: row.prev_value, createRevision: row.prev_create_revision, modRevision: row.prev_revision };
  return { type: 'put', kv, prev };
}
