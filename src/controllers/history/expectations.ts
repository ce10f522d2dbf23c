// Expectations: what a controller has written but its informer may not have shown yet, so a
// lagging cache never makes it create a second pod for the same slot or delete one twice
// (upstream's ControllerExpectations, keyed by object rather than counted).
//
// Contract:
// - `expectCreation(owner, key)` after a successful create; satisfied once the informer's store
//   holds `key`.
// - `expectDeletion(owner, key, uid)` after a successful delete; satisfied once the store no longer
//   holds that uid under `key`, or holds it with a deletionTimestamp (graceful deletion).
// - `satisfied(owner, store)` is true when every expectation of `owner` is met, or when they are
//   older than `ttlMs` (5 minutes, as upstream: a lost watch event must not wedge the owner).
// - Reconciles of one owner are serialised by the workqueue, so expectations of an owner are
//   only recorded and checked by one worker at a time.

import type { Indexer } from '../../client/indexer.js';
import type { Clock } from '../../client/workqueue.js';

interface Pending {
  creations: Set<string>;
  deletions: Map<string, string>;
  at: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  expectCreation(owner: string, key: string): void {
    this.entry(owner).creations.add(key);
  }

  expectDeletion(owner: string, key: string, uid: string): void {
    this.entry(owner).deletions.set(key, uid);
  }

  satisfied(owner: string, store: Pick<Indexer, 'get'>): boolean {
    const p = this.pending.get(owner);
    if (!p) return true;
    if (this.clock.now() - p.at > this.ttlMs) {
      this.pending.delete(owner);
      return true;
    }
    for (const key of p.creations) if (store.get(key)) p.creations.delete(key);
    for (const [key, uid] of p.deletions) {
      const cur = store.get(key);
      if (!cur || cur.metadata.uid !== uid || cur.metadata.deletionTimestamp) p.deletions.delete(key);
    }
    if (p.creations.size === 0 && p.deletions.size === 0) {
      this.pending.delete(owner);
      return true;
    }
    return false;
  }

  forget(owner: string): void {
    this.pending.delete(owner);
  }

  private entry(owner: string): Pending {
    let p = this.pending.get(owner);
    if (!p) this.pending.set(owner, (p = { creations: new Set(), deletions: new Map(), at: this.clock.now() }));
    p.at = this.clock.now();
    return p;
  }
}
