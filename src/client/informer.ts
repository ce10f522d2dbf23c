// An informer: keeps a local indexed copy of one resource in step with the API server and tells
// handlers about every change, as client-go's reflector + shared informer.
//
// How: list (paginated with limit/continue), then watch from the list's resourceVersion with
// bookmarks. A watch that ends is resumed from the last resourceVersion seen (events and
// bookmarks advance it). When the server says that revision is gone (HTTP 410 or an ERROR event
// with code 410), the informer relists and emits the difference between its store and the fresh
// list as adds, updates and deletes, so handlers never miss a change (intermediate states may be
// skipped; the final state is always delivered).
//
// Contract:
// - Handlers run after the store has been updated, synchronously, in event order; a handler that
//   throws is reported through onError and does not stop the informer.
// - Every failure (list, watch, decoding) goes to `onError` (default: stderr); the informer keeps
//   retrying with exponential backoff and jitter until stopped. It never stops silently.
// - A watch that ends within `minWatchMs` without delivering anything counts as a failure for
//   backoff, so a server that closes watches at once never causes a tight loop.
// - `hasSynced()` is true once the first full list has been applied.
// - `stop()` (or aborting the signal given to `start`) ends the loop and any open watch.

import type { ResourceInfo } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import type { Client } from './client.js';
import { Indexer, keyOf, type IndexFunc } from './indexer.js';
import { ApiError, backoffDelay, isApiError, sleep, type WatchEvent } from './transport.js';
import type { Status } from 'kubernetes-types/meta/v1.js';

export interface InformerHandlers {
  onAdd?(obj: KObject): void;
  onUpdate?(oldObj: KObject, newObj: KObject): void;
  /** `obj` is the last state the informer knew (after a relist it may be older than the deletion). */
  onDelete?(obj: KObject): void;
}

export interface InformerOptions {
  /** A client, or a function giving the current one (e.g. re-read from a kubeconfig). */
  client: Client | (() => Client);
  resource: ResourceInfo;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size of lists; default 500. */
  pageSize?: number;
  indexers?: Record<string, IndexFunc>;
  /** Every this many ms, onUpdate(obj, obj) for every object (0/undefined: never). */
  resyncMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  /** Default 1000 ms; see the contract. */
  minWatchMs?: number;
  /** Server-side watch timeout; default random in [300, 600) s like client-go. */
  watchTimeoutSeconds?: () => number;
  onError?: (err: unknown) => void;
  /** Keep only metadata (PartialObjectMetadata), as upstream's metadata informers do. */
  metadataOnly?: boolean;
  /** Where to start watching instead of listing first (tests: resume from a known revision). */
  initialResourceVersion?: string;
}

export class Informer {
  readonly store: Indexer;
  private readonly handlers: InformerHandlers[] = [];
  private readonly controller = new AbortController();
  private synced = false;
  private rv: string | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** Lists performed so far (observability and tests). */
  relists = 0;

  constructor(private readonly opts: InformerOptions) {
    this.store = new Indexer(opts.indexers ?? {});
    this.rv = opts.initialResourceVersion;
  }

  addHandlers(h: InformerHandlers): void {
    this.handlers.push(h);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the informer will resume watching from. */
  lastResourceVersion(): string | undefined {
    return this.rv;
  }

  /** Starts the list/watch loop; the returned promise settles once the informer has stopped. */
  start(signal?: AbortSignal): Promise<void> {
    if (this.running) return this.running;
    signal?.addEventListener('abort', () => this.stop(), { once: true });
    if (signal?.aborted) this.stop();
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs);
      this.resyncTimer.unref();
    }
    this.running = this.loop();
    return this.running;
  }

  stop(): void {
    this.controller.abort(new Error('informer stopped'));
    if (this.resyncTimer) clearInterval(this.resyncTimer);
  }

  /** Resolves once synced; rejects if the informer is stopped first. */
  async waitForSync(signal?: AbortSignal): Promise<void> {
    while (!this.synced) {
      if (this.controller.signal.aborted) throw new Error('informer stopped before it synced');
      await sleep(10, signal);
    }
  }

  private client(): Client {
    const c = this.opts.client;
    return typeof c === 'function' ? c() : c;
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    const { baseMs, maxMs } = this.opts.backoff ?? { baseMs: 200, maxMs: 30_000 };
    const minWatchMs = this.opts.minWatchMs ?? 1000;
    let failures = 0;
    let needList = this.rv === undefined;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const started = Date.now();
        let delivered = 0;
        await this.client().watch(
          this.opts.resource,
          {
            ...this.selection(),
            resourceVersion: this.rv,
            allowWatchBookmarks: true,
            ...(this.opts.metadataOnly ? { metadataOnly: true } : {}),
            timeoutSeconds: this.opts.watchTimeoutSeconds?.() ?? 300 + Math.floor(Math.random() * 300),
          },
          (ev) => {
            this.apply(ev);
            delivered++;
          },
          signal,
        );
        if (delivered === 0 && Date.now() - started < minWatchMs) throw new Error('watch ended at once without events');
        failures = 0;
        continue;
      } catch (err) {
        if (signal.aborted) break;
        if (isApiError(err, 410)) {
          // Our revision left the server's window: relist. Back off only if this repeats.
          needList = true;
          if (failures === 0) {
            failures++;
            continue;
          }
        } else {
          this.report(err);
        }
        try {
          await sleep(backoffDelay(failures, baseMs, maxMs) + baseMs / 2, signal);
        } catch {
          break;
        }
        failures++;
      }
    }
  }

  private selection(): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
    const s: { namespace?: string; labelSelector?: string; fieldSelector?: string } = {};
    if (this.opts.namespace) s.namespace = this.opts.namespace;
    if (this.opts.labelSelector) s.labelSelector = this.opts.labelSelector;
    if (this.opts.fieldSelector) s.fieldSelector = this.opts.fieldSelector;
    return s;
  }

  /** Lists every page, replaces the store and emits the differences. */
  private async relist(signal: AbortSignal): Promise<void> {
    const client = this.client();
    const items: KObject[] = [];
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const page = await client.list(this.opts.resource, {
        ...this.selection(),
        limit: this.opts.pageSize ?? 500,
        ...(cont ? { continue: cont } : {}),
        ...(this.opts.metadataOnly ? { metadataOnly: true } : {}),
        signal,
      });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    this.relists++;
    const fresh = new Map(items.map((o) => [keyOf(o), o]));
    const before = new Map(this.store.keys().map((k) => [k, this.store.get(k) as KObject]));
    this.store.replace(items);
    this.rv = rv;
    for (const [key, obj] of fresh) {
      const old = before.get(key);
      if (!old) this.emit((h) => h.onAdd?.(obj));
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion || old.metadata.uid !== obj.metadata.uid) this.emit((h) => h.onUpdate?.(old, obj));
    }
    for (const [key, old] of before) if (!fresh.has(key)) this.emit((h) => h.onDelete?.(old));
    this.synced = true;
  }

  private apply(ev: WatchEvent): void {
    if (ev.type === 'ERROR') throw new ApiError(ev.object as Status);
    const obj = ev.object as KObject;
    if (!obj || typeof obj !== 'object' || typeof obj.metadata !== 'object' || obj.metadata === null) {
      throw new Error(`watch event ${ev.type} without object metadata`);
    }
    const rv = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    obj.apiVersion ??= this.opts.resource.group === '' ? this.opts.resource.version : `${this.opts.resource.group}/${this.opts.resource.version}`;
    obj.kind ??= this.opts.resource.kind;
    if (ev.type === 'DELETED') {
      this.store.delete(keyOf(obj));
      if (rv) this.rv = rv;
      this.emit((h) => h.onDelete?.(obj));
      return;
    }
    const old = this.store.upsert(obj);
    if (rv) this.rv = rv;
    if (old) this.emit((h) => h.onUpdate?.(old, obj));
    else this.emit((h) => h.onAdd?.(obj));
  }

  private resync(): void {
    if (!this.synced) return;
    for (const obj of this.store.list()) this.emit((h) => h.onUpdate?.(obj, obj));
  }

  private emit(call: (h: InformerHandlers) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (err) {
        this.report(err);
      }
    }
  }

  private report(err: unknown): void {
    if (this.opts.onError) this.opts.onError(err);
    else console.error(`informer ${this.opts.resource.plural}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
