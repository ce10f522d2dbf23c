// A rate-limited work queue of keys, as client-go's: controllers' event handlers only add keys,
// and workers `get` a key, reconcile it, then call `done` (and `forget` on success or
// `addRateLimited` on failure).
//
// Contract:
// - Duplicate keys collapse: a key added while it waits is queued once.
// - A key being processed (handed out by `get`, not yet `done`) is never handed to a second
//   worker. Re-adding it while processing marks it dirty; `done` then queues it again.
// - Keys come out in the order they were (first) queued.
// - `addAfter(key, ms)` adds the key once `ms` have passed; of several pending delays for one key
//   the earliest wins.
// - `addRateLimited(key)` delays by the key's own exponential backoff: base (5 ms) doubling per
//   failure up to max (1000 s). `forget(key)` resets that count; it does not remove the key.
// - After `shutDown()`, adds are ignored, pending delays are dropped, and `get` resolves with
//   `undefined` once the queue has drained (workers finish what is queued, then stop).
// - Single-threaded JS: "concurrent" means several async workers awaiting `get` at once.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending retry must not keep the process alive by itself.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WorkQueueOptions {
  clock?: Clock;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  /** Keys that need processing: queued, or re-added while processing. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private readonly delayed = new Map<K, { at: number; handle: unknown }>();
  private readonly failures = new Map<K, number>();
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.dispatch();
  }

  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** The delay the next `addRateLimited(key)` will use, without counting a failure. */
  nextDelay(key: K): number {
    const n = this.failures.get(key) ?? 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n);
  }

  addRateLimited(key: K): void {
    const delay = this.nextDelay(key);
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
    this.addAfter(key, delay);
  }

  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys queued and not yet handed out. */
  len(): number {
    return this.queue.length;
  }

  /** The next key to process; `undefined` once shut down and drained. Call `done(key)` after. */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.start(key));
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.dispatch();
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.delayed.values()) this.clock.clearTimeout(handle);
    this.delayed.clear();
    // Waiters only exist while the queue is empty, so they are done.
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private start(key: K): K {
    this.dirty.delete(key);
    this.processing.add(key);
    return key;
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const w = this.waiters.shift() as (key: K | undefined) => void;
      w(this.start(this.queue.shift() as K));
    }
  }
}
