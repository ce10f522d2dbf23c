// Controller expectations (upstream's UIDTrackingControllerExpectations): what a controller has
// asked the API server to create or delete and not yet seen in its informer. While a key has
// outstanding expectations the controller must not act on its (stale) cache again, or a lagging
// informer makes it create the same pods twice.
//
// Contract:
// - `expectCreations(key, n)` / `expectDeletions(key, podKeys)` replace the key's record.
// - The informer handlers call `creationObserved(key)` for each pod seen added, and
//   `deletionObserved(key, podKey)` for each pod seen deleted (or marked for deletion); a
//   deletion counts once per pod key, however many events report it.
// - A create or delete that failed must be "observed" by the caller, since no event will come.
// - `satisfied(key)` is true when nothing is outstanding, when the key has no record, or when
//   the record is older than the TTL (5 minutes, as upstream: a lost event never wedges a key).
// Single-threaded: no locking needed, but callers must set expectations before issuing writes.

export interface ExpectationsOptions {
  /** Clock in ms (the controller's clock, so tests can age records). */
  now: () => number;
  ttlMs?: number;
}

interface Record {
  add: number;
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, Record>();
  private readonly ttlMs: number;

  constructor(private readonly opts: ExpectationsOptions) {
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
  }

  expectCreations(key: string, n: number): void {
    this.records.set(key, { add: n, deleting: new Set(), at: this.opts.now() });
  }

  expectDeletions(key: string, podKeys: string[]): void {
    this.records.set(key, { add: 0, deleting: new Set(podKeys), at: this.opts.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r && r.add > 0) r.add--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.records.get(key)?.deleting.delete(podKey);
  }

  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.deleting.size === 0) return true;
    return this.opts.now() - r.at > this.ttlMs;
  }

  /** Outstanding creations and deletions (observability and tests). */
  pending(key: string): { add: number; del: number } {
    const r = this.records.get(key);
    return { add: Math.max(0, r?.add ?? 0), del: r?.deleting.size ?? 0 };
  }

  /** Forgets the key (its object was deleted: a new one of the same name starts clean). */
  delete(key: string): void {
    this.records.delete(key);
  }
}
