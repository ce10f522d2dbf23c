// One timer for everything the simulator has to do later: lease renewals of thousands of nodes and
// pending pod transitions. A binary min-heap of (due time, key) with a single platform timer armed
// for the earliest entry, so 5,000 nodes and 150,000 pending pods cost one setTimeout, not one each.
//
// Contract:
// - `schedule(key, at, fn)` runs `fn` once, at or after `at` (clock ms). A key has at most one
//   pending entry: scheduling it again replaces the earlier one (whichever time it had).
// - `cancel(key)` drops the key's pending entry; cancelled entries are removed lazily.
// - Entries due at the same time run in the order they were scheduled. Everything due when the
//   timer fires runs in that one callback; `fn` must not block (start async work and return).
// - An `fn` that throws is reported to `onError`; the others still run.
// - After `stop()` nothing runs and `schedule` is ignored.

import { realClock, type Clock } from '../client/workqueue.js';

interface Entry {
  at: number;
  seq: number;
  key: string;
  fn: () => void;
}

export class Timeline {
  private readonly heap: Entry[] = [];
  private readonly live = new Map<string, Entry>();
  private seq = 0;
  private timer: unknown;
  private armedAt = Infinity;
  private stopped = false;

  constructor(
    private readonly clock: Clock = realClock,
    private readonly onError: (err: unknown) => void = (e) => console.error(e),
  ) {}

  /** Pending entries (cancelled ones excluded). */
  get size(): number {
    return this.live.size;
  }

  has(key: string): boolean {
    return this.live.has(key);
  }

  schedule(key: string, at: number, fn: () => void): void {
    if (this.stopped) return;
    const e: Entry = { at, seq: this.seq++, key, fn };
    this.live.set(key, e);
    this.push(e);
    // Replaced and cancelled entries stay in the heap until popped; rebuild when they dominate.
    if (this.heap.length > 1024 && this.heap.length > 2 * this.live.size) this.compact();
    if (at < this.armedAt) this.arm();
  }

  cancel(key: string): void {
    this.live.delete(key);
  }

  stop(): void {
    this.stopped = true;
    this.live.clear();
    this.heap.length = 0;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs what is due now; the timer calls this, tests with a manual clock may too. */
  runDue(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.clock.now();
    while (!this.stopped && this.heap.length > 0 && (this.heap[0] as Entry).at <= now) {
      const e = this.pop();
      if (this.live.get(e.key) !== e) continue;
      this.live.delete(e.key);
      try {
        e.fn();
      } catch (err) {
        this.onError(err);
      }
    }
    this.dropCancelledHead();
    if (!this.stopped && this.heap.length > 0) this.arm();
  }

  private arm(): void {
    this.dropCancelledHead();
    const head = this.heap[0];
    if (!head) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.armedAt = head.at;
    this.timer = this.clock.setTimeout(() => this.runDue(), Math.max(0, head.at - this.clock.now()));
  }

  private dropCancelledHead(): void {
    while (this.heap.length > 0 && this.live.get((this.heap[0] as Entry).key) !== this.heap[0]) this.pop();
  }

  private compact(): void {
    const keep = [...this.live.values()];
    this.heap.length = 0;
    for (const e of keep) this.push(e);
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i] as Entry, h[parent] as Entry)) break;
      [h[i], h[parent]] = [h[parent] as Entry, h[i] as Entry];
      i = parent;
    }
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0] as Entry;
    const last = h.pop() as Entry;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l] as Entry, h[m] as Entry)) m = l;
        if (r < h.length && this.less(h[r] as Entry, h[m] as Entry)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Entry, h[i] as Entry];
        i = m;
      }
    }
    return top;
  }
}
