// The watch cache: every stored object held in memory as serialized JSON, fed by one store watch,
// serving lists, gets at resourceVersion=0 and watches without touching the store (as
// kube-apiserver's cacher does).
//
// Contract:
// - `revision` is the store revision the cache has applied; every event up to it is visible.
// - Entries keep the object's JSON with metadata.resourceVersion filled in, plus the labels and
//   selectable fields extracted once, so lists and selector matching never re-parse objects.
// - Each resource keeps a window of recent events; a watch may start from any revision inside
//   it (older ones get 410 Gone, which makes clients relist).
// - Initial state and subsequent events reach a new watcher in one synchronous step: nothing is
//   missed and nothing is sent twice.

import type { KeyValue, Store, Watch as StoreWatch, WatchEvent } from '../storage/store.js';
import type { ResourceInfo } from '../api/resources.js';
import { injectResourceVersion } from './object.js';

export interface CacheEntry {
  key: string;
  namespace: string;
  name: string;
  rv: number;
  json: string;
  labels: Record<string, string>;
  fields: Record<string, string>;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: EventType;
  rv: number;
  entry: CacheEntry;
  prev?: CacheEntry;
}

export interface CacheWatcher {
  /**
   * Events in revision order; the watcher filters them itself. Events already visible in the
   * cache when the watcher subscribed may be delivered again: skip rv <= the revision seen then.
   * `batch` is shared by every watcher of this delivery (for encoding events once).
   */
  deliver(events: CacheEvent[], batch: EventBatch): void;
}

/**
 * One delivery of events to all watchers of a resource, with their plain watch-stream encoding
 * computed at most once per namespace filter and shared by every watcher that wants exactly it.
 */
export class EventBatch {
  private readonly encoded = new Map<string, Buffer>();

  constructor(readonly events: CacheEvent[]) {}

  /** `{"type":..,"object":..}\n` lines of the events in `namespace` (all when undefined). */
  plain(namespace: string | undefined): Buffer {
    const key = namespace ?? '\0all';
    let buf = this.encoded.get(key);
    if (!buf) {
      let out = '';
      for (const ev of this.events) if (namespace === undefined || ev.entry.namespace === namespace) out += `{"type":"${ev.type}","object":${ev.entry.json}}\n`;
      buf = Buffer.from(out);
      this.encoded.set(key, buf);
    }
    return buf;
  }
}

export type FieldsOf = (resource: ResourceInfo, obj: Record<string, unknown>) => Record<string, string>;

const windowCapacity = 50_000;

/** Storage key prefix of a resource: /registry/<group|core>/<plural>/ */
export function resourcePrefix(r: ResourceInfo): string {
  const at = r.storage ?? r;
  return `/registry/${at.group || 'core'}/${at.plural}/`;
}

export function objectKey(r: ResourceInfo, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${resourcePrefix(r)}${namespace}/${name}` : `${resourcePrefix(r)}${name}`;
}

export class ResourceCache {
  readonly entries = new Map<string, CacheEntry>();
  private sorted: string[] = [];
  private window: CacheEvent[] = [];
  private windowHead = 0;
  /** Every event with rv > windowStart is in the window. */
  windowStart: number;
  readonly watchers = new Set<CacheWatcher>();

  constructor(
    readonly info: ResourceInfo,
    startRevision: number,
  ) {
    this.windowStart = startRevision;
  }

  /** Keys in ascending order (what a store range returns). */
  keys(): string[] {
    return this.sorted;
  }

  load(entry: CacheEntry): void {
    this.entries.set(entry.key, entry);
    this.sorted.push(entry.key);
  }

  finishLoad(): void {
    this.sorted.sort();
  }

  apply(ev: CacheEvent): void {
    if (ev.type === 'DELETED') {
      this.entries.delete(ev.entry.key);
      const i = lowerBound(this.sorted, ev.entry.key);
      if (this.sorted[i] === ev.entry.key) this.sorted.splice(i, 1);
    } else {
      if (!this.entries.has(ev.entry.key)) {
        const i = lowerBound(this.sorted, ev.entry.key);
        this.sorted.splice(i, 0, ev.entry.key);
      }
      this.entries.set(ev.entry.key, ev.entry);
    }
    this.window.push(ev);
    if (this.window.length - this.windowHead > windowCapacity) {
      this.windowStart = this.window[this.windowHead]!.rv;
      this.windowHead++;
      if (this.windowHead > windowCapacity) {
        this.window = this.window.slice(this.windowHead);
        this.windowHead = 0;
      }
    }
  }

  /** Events with rv > after, or undefined when they are no longer all in the window. */
  eventsAfter(after: number): CacheEvent[] | undefined {
    if (after < this.windowStart) return undefined;
    const out: CacheEvent[] = [];
    for (let i = this.window.length - 1; i >= this.windowHead; i--) {
      const ev = this.window[i]!;
      if (ev.rv <= after) break;
      out.push(ev);
    }
    return out.reverse();
  }
}

export function lowerBound(arr: string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class WatchCache {
  /** The caches fed by each storage prefix (two when one stored object is served in two APIs). */
  private readonly byPrefix = new Map<string, ResourceCache[]>();
  private readonly byResource = new Map<ResourceInfo, ResourceCache>();
  private storeWatch?: StoreWatch;
  private waiters: { rv: number; resolve: () => void }[] = [];
  revision = 0;
  /** Set when the store watch failed; the cache then stops serving (readyz fails). */
  failed?: Error;

  constructor(
    private readonly store: Store,
    private readonly resources: ResourceInfo[],
    private readonly fieldsOf: FieldsOf,
  ) {}

  async start(): Promise<void> {
    const revision = await this.readAll((kvs, rev) => {
      if (this.byResource.size === 0) this.createCaches(rev);
      for (const kv of kvs) for (const rc of this.cachesForKey(kv.key)) rc.load(this.entryFor(rc.info, kv.key, kv));
    });
    if (this.byResource.size === 0) this.createCaches(revision);
    this.revision = revision;
    for (const rc of this.byResource.values()) rc.finishLoad();
    this.subscribe(revision);
  }

  private createCaches(revision: number): void {
    for (const r of this.resources) {
      const rc = new ResourceCache(r, revision);
      this.byResource.set(r, rc);
      const prefix = resourcePrefix(r);
      this.byPrefix.set(prefix, [...(this.byPrefix.get(prefix) ?? []), rc]);
    }
  }

  /**
   * Reads everything under /registry/ in pages, all at the revision of the first page (one
   * consistent snapshot, and no single reply too large for the store's transport).
   */
  private async readAll(onPage: (kvs: KeyValue[], revision: number) => void): Promise<number> {
    let revision = 0;
    let startAfter: string | undefined;
    for (;;) {
      const res = await this.store.range('/registry/', { limit: 1000, ...(startAfter ? { startAfter } : {}), ...(revision ? { revision } : {}) });
      revision = res.revision;
      onPage(res.kvs, revision);
      if (!res.more || res.kvs.length === 0) return revision;
      startAfter = res.kvs[res.kvs.length - 1]!.key;
    }
  }

  private subscribe(after: number): void {
    this.storeWatch = this.store.watch('/registry/', after, {
      onEvents: (events) => this.onStoreEvents(events),
      onError: (err) => {
        // The store lost our watch (e.g. compacted past us after a long stall): reload from scratch.
        this.failed = err;
        this.storeWatch?.close();
        void this.reload();
      },
    });
  }

  private async reload(): Promise<void> {
    try {
      const all: KeyValue[] = [];
      const revision = await this.readAll((kvs) => all.push(...kvs));
      const res = { kvs: all, revision };
      // Turn the difference between what we hold and the store into events so watchers stay correct.
      const seen = new Set<string>();
      const byCache = new Map<ResourceCache, CacheEvent[]>();
      const push = (rc: ResourceCache, ev: CacheEvent) => {
        let list = byCache.get(rc);
        if (!list) byCache.set(rc, (list = []));
        list.push(ev);
        rc.apply(ev);
      };
      for (const kv of res.kvs) {
        seen.add(kv.key);
        for (const rc of this.cachesForKey(kv.key)) {
          const prev = rc.entries.get(kv.key);
          if (prev && prev.rv === kv.modRevision) continue;
          const entry = this.entryFor(rc.info, kv.key, kv);
          push(rc, { type: prev ? 'MODIFIED' : 'ADDED', rv: kv.modRevision, entry, ...(prev ? { prev } : {}) });
        }
      }
      for (const rc of this.byResource.values()) {
        for (const [key, prev] of [...rc.entries]) {
          if (!seen.has(key)) push(rc, { type: 'DELETED', rv: res.revision, entry: { ...prev, rv: res.revision }, prev });
        }
      }
      this.revision = res.revision;
      this.failed = undefined;
      for (const [rc, evs] of byCache) this.queueDelivery(rc, evs);
      this.wake();
      this.subscribe(res.revision);
    } catch (err) {
      this.failed = err as Error;
      setTimeout(() => void this.reload(), 1000).unref();
    }
  }

  stop(): void {
    this.storeWatch?.close();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  cacheFor(r: ResourceInfo): ResourceCache {
    const rc = this.byResource.get(r);
    if (!rc) throw new Error(`no cache for ${r.plural}.${r.group}`);
    return rc;
  }

  private cachesForKey(key: string): ResourceCache[] {
    // /registry/<group>/<plural>/...
    const third = key.indexOf('/', key.indexOf('/', 10) + 1);
    return this.byPrefix.get(key.slice(0, third + 1)) ?? [];
  }

  entryFor(r: ResourceInfo, key: string, kv: KeyValue): CacheEntry {
    let obj = JSON.parse(kv.value) as Record<string, unknown> & { metadata: Record<string, unknown> };
    let json: string;
    if (r.storage) {
      obj = r.storage.fromStorage(obj);
      obj.metadata.resourceVersion = String(kv.modRevision);
      json = JSON.stringify(obj);
    } else {
      json = injectResourceVersion(kv.value, kv.modRevision);
    }
    const rest = key.slice(resourcePrefix(r).length);
    const slash = rest.indexOf('/');
    const namespace = r.namespaced ? rest.slice(0, slash) : '';
    const name = r.namespaced ? rest.slice(slash + 1) : rest;
    return {
      key,
      namespace,
      name,
      rv: kv.modRevision,
      json,
      labels: (obj.metadata.labels as Record<string, string> | undefined) ?? {},
      fields: this.fieldsOf(r, obj),
    };
  }

  private onStoreEvents(events: WatchEvent[]): void {
    const byCache = new Map<ResourceCache, CacheEvent[]>();
    for (const ev of events) {
      const key = ev.type === 'put' ? ev.kv.key : ev.key;
      for (const rc of this.cachesForKey(key)) {
        let ce: CacheEvent;
        if (ev.type === 'put') {
          const prev = rc.entries.get(key);
          const entry = this.entryFor(rc.info, key, ev.kv);
          ce = prev ? { type: 'MODIFIED', rv: entry.rv, entry, prev } : { type: 'ADDED', rv: entry.rv, entry };
        } else {
          const prev = rc.entries.get(key) ?? this.entryFor(rc.info, key, ev.prev);
          // A DELETED event carries the last state with the deletion's revision, as upstream does.
          const entry = { ...prev, rv: ev.revision, json: withResourceVersion(prev.json, prev.rv, ev.revision) };
          ce = { type: 'DELETED', rv: ev.revision, entry, prev };
        }
        rc.apply(ce);
        let list = byCache.get(rc);
        if (!list) byCache.set(rc, (list = []));
        list.push(ce);
      }
    }
    const last = events[events.length - 1];
    if (last) this.revision = Math.max(this.revision, last.type === 'put' ? last.kv.modRevision : last.revision);
    for (const [rc, evs] of byCache) this.queueDelivery(rc, evs);
    this.wake();
  }


  private pending = new Map<ResourceCache, CacheEvent[]>();
  private flushScheduled = false;
  private flushedRevision = 0;

  /** Every event up to this revision has reached every watcher (what a bookmark may claim). */
  get deliveredRevision(): number {
    return this.pending.size === 0 ? this.revision : this.flushedRevision;
  }

  /**
   * Watchers get events once per event-loop turn: store events arriving one by one (etcd) are
   * written to each stream together, and each batch is encoded once for all plain watchers.
   */
  private queueDelivery(rc: ResourceCache, evs: CacheEvent[]): void {
    if (rc.watchers.size === 0) return;
    const list = this.pending.get(rc);
    if (list) list.push(...evs);
    else this.pending.set(rc, [...evs]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const pending = this.pending;
    this.pending = new Map();
    const revision = this.revision;
    for (const [rc, evs] of pending) {
      const batch = new EventBatch(evs);
      for (const w of rc.watchers) w.deliver(evs, batch);
    }
    this.flushedRevision = revision;
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.rv <= this.revision ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  /** Resolves true once the cache has applied revision `rv`, false after `timeoutMs`. */
  waitFor(rv: number, timeoutMs: number): Promise<boolean> {
    if (rv <= this.revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        rv,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** Replaces the resourceVersion inside serialized object JSON without a full re-parse. */
export function withResourceVersion(json: string, from: number, to: number): string {
  const needle = `"resourceVersion":"${from}"`;
  const i = json.indexOf(needle, json.indexOf('"metadata":{'));
  if (i < 0 || json.indexOf('"metadata":{') < 0) {
    const obj = JSON.parse(json) as { metadata: Record<string, unknown> };
    obj.metadata.resourceVersion = String(to);
    return JSON.stringify(obj);
  }
  return json.slice(0, i) + `"resourceVersion":"${to}"` + json.slice(i + needle.length);
}
