// Remembers the slice writes a controller made until its informer has seen them, as upstream's
// EndpointSliceTracker: reconciling a Service from a cache that lacks our own last write would
// create duplicate slices or undo updates. While a Service has writes its cache does not show
// yet, it is "stale" and the controller waits (the informer event that brings the write requeues
// the Service).
//
// Contract: resourceVersions are compared as integers (skiff's are the store's global revision).
// An expectation not met within `ttlMs` is dropped, so a lost event can delay a Service but never
// block it forever.

import type { KObject } from '../../apiserver/object.js';

interface Expectation {
  /** The resourceVersion written; undefined for a deletion. */
  rv: bigint | undefined;
  uid: string;
  at: number;
}

function rvOf(obj: KObject): bigint {
  try {
    return BigInt(obj.metadata.resourceVersion ?? '0');
  } catch {
    return 0n;
  }
}

export class WriteTracker {
  /** service key → slice name → expectation */
  private readonly pending = new Map<string, Map<string, Expectation>>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = 30_000,
  ) {}

  /** After a create or update: the informer must show this version (or a later one). */
  expectWrite(service: string, written: KObject): void {
    this.set(service, written.metadata.name ?? '', { rv: rvOf(written), uid: written.metadata.uid ?? '', at: this.now() });
  }

  /** After a delete: the informer must see the object gone. */
  expectDelete(service: string, deleted: KObject): void {
    this.set(service, deleted.metadata.name ?? '', { rv: undefined, uid: deleted.metadata.uid ?? '', at: this.now() });
  }

  /**
   * Whether the cache still lacks one of our writes for `service`. `cached(name)` reads the
   * informer's current copy; expectations it satisfies (or that expired) are dropped.
   */
  isStale(service: string, cached: (name: string) => KObject | undefined): boolean {
    const m = this.pending.get(service);
    if (!m) return false;
    const now = this.now();
    for (const [name, e] of m) {
      const obj = cached(name);
      const seen = e.rv !== undefined ? obj !== undefined && (rvOf(obj) >= e.rv || obj.metadata.uid !== e.uid) : obj === undefined || obj.metadata.uid !== e.uid;
      if (seen || now - e.at > this.ttlMs) m.delete(name);
    }
    if (m.size === 0) this.pending.delete(service);
    return m.size > 0;
  }

  forget(service: string): void {
    this.pending.delete(service);
  }

  private set(service: string, name: string, e: Expectation): void {
    let m = this.pending.get(service);
    if (!m) this.pending.set(service, (m = new Map()));
    m.set(name, e);
  }

}
