// MemoryStore: an in-memory MVCC store for unit tests.
//
// Every key keeps its list of versions (a tombstone marks a delete) until compaction, so reads at
// past revisions and watches from past revisions behave as in etcd. Writes apply synchronously
// when called; their watch events are published on a microtask queued before the write's promise
// settles, so a watcher sees an event before the writer's `await` returns, and handlers are never
// re-entered from inside a write call.

import {
  checkCompactRevision,
  checkKey,
  checkReadRevision,
  compareKeys,
  conflictMessage,
  watchCompactedError,
} from './keys.js';
import { eventKey, eventRevision, WatchHub, type Replay } from './watch-hub.js';
import {
  StoreError,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type Watch,
  type WatchEvent,
  type WatchHandlers,
} from './store.js';

interface Version {
  revision: number;
  /** Undefined for a tombstone. */
  kv: KeyValue | undefined;
}

export class MemoryStore implements Store {
  private rev = 0;
  private compacted = 0;
  private closed = false;
  /** Per key, versions in ascending revision order. */
  private readonly history = new Map<string, Version[]>();
  /** Every retained event in revision order (events at or below `compacted` are dropped). */
  private log: WatchEvent[] = [];
  private pending: WatchEvent[] = [];
  private readonly hub = new WatchHub((prefix, after) => this.replay(prefix, after));

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.rev;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return copy(this.latest(key));
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    const at = opts.revision && opts.revision > 0 ? opts.revision : this.rev;
    if (at !== this.rev) checkReadRevision(at, this.compacted, this.rev);
    const after = opts.startAfter;
    const kvs: KeyValue[] = [];
    for (const [key, versions] of this.history) {
      if (!key.startsWith(prefix) || (after !== undefined && compareKeys(key, after) <= 0)) continue;
      const kv = versionAt(versions, at);
      if (kv) kvs.push(kv);
    }
    kvs.sort((a, b) => compareKeys(a.key, b.key));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : kvs.length;
    return { kvs: kvs.slice(0, limit).map((kv) => ({ ...kv })), more: kvs.length > limit, revision: at };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let n = 0;
    for (const key of this.history.keys()) if (key.startsWith(prefix) && this.latest(key)) n++;
    return n;
  }

  async create(key: string, value: string): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    if (this.latest(key)) throw new StoreError('KeyExists', `key ${key} already exists`);
    const rev = ++this.rev;
    const kv: KeyValue = { key, value, createRevision: rev, modRevision: rev };
    this.append(key, { revision: rev, kv }, { type: 'put', kv });
    return { ...kv };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    checkKey(key);
    const cur = this.latest(key);
    if (!cur) throw new StoreError('NotFound', `key ${key} not found`);
    if (cur.modRevision !== expectedModRevision) {
      throw new StoreError('Conflict', conflictMessage(key, expectedModRevision, cur), { ...cur });
    }
    const rev = ++this.rev;
    const kv: KeyValue = { key, value, createRevision: cur.createRevision, modRevision: rev };
    this.append(key, { revision: rev, kv }, { type: 'put', kv, prev: cur });
    return { ...kv };
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    this.checkOpen();
    checkKey(key);
    const cur = this.latest(key);
    if (!cur) throw new StoreError('NotFound', `key ${key} not found`);
    if (expectedModRevision !== undefined && cur.modRevision !== expectedModRevision) {
      throw new StoreError('Conflict', conflictMessage(key, expectedModRevision, cur), { ...cur });
    }
    const rev = ++this.rev;
    this.append(key, { revision: rev, kv: undefined }, { type: 'delete', key, revision: rev, prev: cur });
    return { revision: rev, prev: { ...cur } };
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Watch {
    return this.hub.watch(prefix, afterRevision, handlers);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    checkCompactRevision(revision, this.compacted, this.rev);
    for (const [key, versions] of this.history) {
      // Keep the newest version at or below `revision` (it is the value as of `revision`), unless
      // it is a tombstone, and everything after it.
      let keepFrom = 0;
      for (let i = 0; i < versions.length; i++) if ((versions[i] as Version).revision <= revision) keepFrom = i;
      const kept = versions.slice(keepFrom);
      const first = kept[0];
      if (first && first.revision <= revision && first.kv === undefined) kept.shift();
      if (kept.length === 0) this.history.delete(key);
      else this.history.set(key, kept);
    }
    this.log = this.log.filter((ev) => eventRevision(ev) > revision);
    this.compacted = revision;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen();
    return this.compacted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushEvents();
    this.closed = true;
    this.hub.closeAll(new StoreError('Closed', 'the store was closed'));
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('Closed', 'the store is closed');
  }

  private latest(key: string): KeyValue | undefined {
    const versions = this.history.get(key);
    return versions?.[versions.length - 1]?.kv;
  }

  private append(key: string, version: Version, event: WatchEvent): void {
    let versions = this.history.get(key);
    if (!versions) this.history.set(key, (versions = []));
    versions.push(version);
    this.log.push(event);
    this.pending.push(event);
    if (this.pending.length === 1) queueMicrotask(() => this.flushEvents());
  }

  private flushEvents(): void {
    const events = this.pending;
    this.pending = [];
    this.hub.publish(events);
  }

  private replay(prefix: string, after: number): Replay {
    if (after < this.compacted) throw watchCompactedError(after, this.compacted);
    const events = this.log.filter((ev) => eventRevision(ev) > after && eventKey(ev).startsWith(prefix));
    return { events, revision: this.rev };
  }
}

function versionAt(versions: Version[], revision: number): KeyValue | undefined {
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i] as Version;
    if (v.revision <= revision) return v.kv;
  }
  return undefined;
}

function copy(kv: KeyValue | undefined): KeyValue | undefined {
  return kv ? { ...kv } : undefined;
}
