// What the Job controller is waiting to see in its (lagging) pod cache, as upstream's
// ControllerExpectations and uidTrackingExpectations. Without them a sync that runs before the
// cache shows the pods it just created would create them again, and a sync that still sees a
// finalizer it just removed would count that pod twice.
//
// Contract: `expect*` is called before the writes are issued; every write that fails is taken
// back with `lower*`/`forget`; informer handlers report what they observe. Pod expectations
// expire after 5 minutes (a lost watch event must not block a Job forever).

const ttlMs = 5 * 60_000;

interface Pending {
  adds: number;
  dels: number;
  at: number;
}

export class PodExpectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly now: () => number) {}

  /** Replaces what `key` waits for. */
  expect(key: string, adds: number, dels: number): void {
    this.pending.set(key, { adds, dels, at: this.now() });
  }

  observeAdd(key: string, n = 1): void {
    const p = this.pending.get(key);
    if (p) p.adds -= n;
  }

  observeDelete(key: string, n = 1): void {
    const p = this.pending.get(key);
    if (p) p.dels -= n;
  }

  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    return !p || (p.adds <= 0 && p.dels <= 0) || this.now() - p.at > ttlMs;
  }

  delete(key: string): void {
    this.pending.delete(key);
  }
}

/** Pod uids whose tracking finalizer this controller removed and has not yet seen removed. */
export class FinalizerExpectations {
  private readonly uids = new Map<string, Set<string>>();

  expect(key: string, uid: string): void {
    let s = this.uids.get(key);
    if (!s) this.uids.set(key, (s = new Set()));
    s.add(uid);
  }

  /** The removal was observed (or the pod is gone, or the removal failed). */
  forget(key: string, uid: string): void {
    const s = this.uids.get(key);
    s?.delete(uid);
    if (s?.size === 0) this.uids.delete(key);
  }

  has(key: string, uid: string): boolean {
    return this.uids.get(key)?.has(uid) ?? false;
  }

  delete(key: string): void {
    this.uids.delete(key);
  }
}
