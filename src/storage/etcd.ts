// EtcdStore: the HA datastore, a thin mapping of the Store contract onto etcd v3.
//
// Every write is one etcd transaction: compare (create_revision == 0 for create; version > 0 and
// mod_revision == expected for update and delete) → write with prev_kv, else read the key so the
// failure can say NotFound or Conflict (with the current value). etcd's own revision is the
// store's revision, so revisions returned here equal etcd's. Unary calls carry a deadline so a
// hung server surfaces as Unavailable instead of a request that never returns.

import { Etcd3, type ICompare, type IRangeRequest, type IResponseOp } from 'etcd3';
import { checkKey, conflictMessage } from './keys.js';
import { bytes, mapEtcdError, prefixRangeEnd, prefixRangeStart } from './etcd-errors.js';
import { EtcdWatch, toKeyValue } from './etcd-watch.js';
import {
  StoreError,
  type KeyValue,
  type RangeOptions,
  type RangeResult,
  type Store,
  type Watch,
  type WatchHandlers,
} from './store.js';

export interface EtcdStoreOptions {
  /** Client endpoints, as "host:port" or "http://host:port". */
  endpoints: string[];
  /** Deadline of each unary call (default 10s). */
  callTimeoutMs?: number;
  /** How long a broken watch keeps reconnecting before it ends with Unavailable (default 30s). */
  watchRetryWindowMs?: number;
}

export class EtcdStore implements Store {
  private readonly client: Etcd3;
  private readonly endpoints: string;
  private readonly watches = new Set<EtcdWatch>();
  private readonly watchRetryWindowMs: number;
  private closed = false;

  constructor(opts: EtcdStoreOptions) {
    const timeout = opts.callTimeoutMs ?? 10_000;
    this.endpoints = opts.endpoints.join(',');
    this.watchRetryWindowMs = opts.watchRetryWindowMs ?? 30_000;
    this.client = new Etcd3({
      hosts: opts.endpoints,
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    });
  }

  async currentRevision(): Promise<number> {
    const res = await this.call(() => this.client.kv.range({ key: Buffer.from([0]), count_only: true }));
    return Number(res.header.revision);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const res = await this.call(() => this.client.kv.range({ key: bytes(key) }));
    const kv = res.kvs[0];
    return kv ? toKeyValue(kv) : undefined;
  }

  async range(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    let start = prefixRangeStart(prefix);
    if (opts.startAfter !== undefined) {
      // The smallest key after startAfter is startAfter + "\0".
      const after = Buffer.concat([bytes(opts.startAfter), Buffer.from([0])]);
      if (Buffer.compare(after, start) > 0) start = after;
    }
    const req: IRangeRequest = { key: start, range_end: prefixRangeEnd(prefix) };
    if (opts.limit && opts.limit > 0) req.limit = opts.limit;
    if (opts.revision && opts.revision > 0) req.revision = opts.revision;
    const res = await this.call(() => this.client.kv.range(req));
    return {
      kvs: res.kvs.map(toKeyValue),
      more: res.more,
      revision: opts.revision && opts.revision > 0 ? opts.revision : Number(res.header.revision),
    };
  }

  async count(prefix: string): Promise<number> {
    const req = { key: prefixRangeStart(prefix), range_end: prefixRangeEnd(prefix), count_only: true };
    const res = await this.call(() => this.client.kv.range(req));
    return Number(res.count);
  }

  async create(key: string, value: string): Promise<KeyValue> {
    checkKey(key);
    const k = bytes(key);
    const res = await this.txn(
      [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      { request_put: { key: k, value: bytes(value) } },
      k,
    );
    if (!res.succeeded) throw new StoreError('KeyExists', `key ${key} already exists`);
    const rev = Number(res.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    checkKey(key);
    const k = bytes(key);
    const res = await this.txn(
      casCompare(k, expectedModRevision),
      { request_put: { key: k, value: bytes(value), prev_kv: true } },
      k,
    );
    if (!res.succeeded) throw failure(key, expectedModRevision, res.responses);
    const prev = res.responses[0]?.response_put.prev_kv;
    const rev = Number(res.header.revision);
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prev: KeyValue }> {
    checkKey(key);
    const k = bytes(key);
    const res = await this.txn(
      casCompare(k, expectedModRevision),
      { request_delete_range: { key: k, prev_kv: true } },
      k,
    );
    if (!res.succeeded) throw failure(key, expectedModRevision, res.responses);
    const prev = res.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new StoreError('NotFound', `key ${key} not found`);
    return { revision: Number(res.header.revision), prev: toKeyValue(prev) };
  }

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Watch {
    const w = new EtcdWatch(this.client, prefix, afterRevision, handlers, {
      endpoints: this.endpoints,
      retryWindowMs: this.watchRetryWindowMs,
      onEnd: (ended) => this.watches.delete(ended),
    });
    this.watches.add(w);
    if (this.closed) setImmediate(() => w.fail(new StoreError('Closed', 'the etcd store is closed')));
    return w;
  }

  async compact(revision: number): Promise<void> {
    // physical: return only once the compaction is applied, so later reads and watches see it.
    await this.call(() => this.client.kv.compact({ revision, physical: true }));
  }

  /**
   * etcd does not report its compacted revision directly; it is the oldest revision a read still
   * works at, found by binary search over [1, current] (about log2(revision) small reads).
   */
  async compactedRevision(): Promise<number> {
    const readable = async (rev: number): Promise<boolean> => {
      try {
        await this.call(() => this.client.kv.range({ key: Buffer.from([0]), revision: rev, count_only: true }));
        return true;
      } catch (err) {
        if (err instanceof StoreError && err.code === 'Compacted') return false;
        throw err;
      }
    };
    if (await readable(1)) return 0;
    let lo = 1; // not readable
    let hi = await this.currentRevision(); // always readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new StoreError('Closed', 'the etcd store was closed');
    for (const w of [...this.watches]) w.fail(err);
    this.client.close();
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreError('Closed', 'the etcd store is closed');
    try {
      return await fn();
    } catch (err) {
      // Calls in flight when the store closes are cancelled by the client: report that as Closed.
      if (this.closed) throw new StoreError('Closed', 'the etcd store was closed during the request');
      throw mapEtcdError(err, this.endpoints);
    }
  }

  private txn(compare: ICompare[], success: NonNullable<Parameters<Etcd3['kv']['txn']>[0]['success']>[number], k: Buffer) {
    return this.call(() => this.client.kv.txn({ compare, success: [success], failure: [{ request_range: { key: k } }] }));
  }
}

/** The key exists, and (with an expected revision) was last modified at that revision. */
function casCompare(k: Buffer, expected: number | undefined): ICompare[] {
  const compare: ICompare[] = [{ key: k, target: 'Version', result: 'Greater', version: 0 }];
  if (expected !== undefined) compare.push({ key: k, target: 'Mod', result: 'Equal', mod_revision: expected });
  return compare;
}

/** Why a compare-and-swap failed, from the failure branch's read of the key. */
function failure(key: string, expected: number | undefined, responses: IResponseOp[]): StoreError {
  const current = responses[0]?.response_range.kvs[0];
  if (!current) return new StoreError('NotFound', `key ${key} not found`);
  const kv = toKeyValue(current);
  return new StoreError('Conflict', conflictMessage(key, expected ?? 0, kv), kv);
}
