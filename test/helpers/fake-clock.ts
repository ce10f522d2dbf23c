// Clocks tests inject where code takes a `Clock` (work queues, controllers, the scheduler's
// queue and cache, the sim's timeline), so time-dependent behaviour is tested without waiting.

import type { Clock } from '../../src/client/workqueue.js';

interface Timer {
  at: number;
  fn: () => void;
}

/**
 * A clock that moves only when told. `advance` fires the due timers one by one in due order,
 * `now()` reading each timer's due time while it runs; a timer armed by one of them fires in the
 * same `advance` if it falls due by its end. Negative delays count as 0.
 */
export class FakeClock implements Clock {
  private readonly timers = new Map<number, Timer>();
  private seq = 0;

  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, Timer] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }

  advanceTo(t: number): void {
    this.advance(Math.max(0, t - this.t));
  }

  /** The earliest pending timer's due time. */
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const x of this.timers.values()) if (due === undefined || x.at < due) due = x.at;
    return due;
  }

  /** How many timers are armed. */
  pending(): number {
    return this.timers.size;
  }
}

/** Real timers, but `now()` can be moved ahead: timers whose (skewed) due time passes fire at once. */
export class SkewClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<{ due: number; fn: () => void; handle: NodeJS.Timeout }>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { due: this.now() + ms, fn, handle: setTimeout(() => this.fire(t), ms) };
    t.handle.unref();
    this.timers.add(t);
    return t;
  }

  clearTimeout(h: unknown): void {
    const t = h as { handle: NodeJS.Timeout };
    clearTimeout(t.handle);
    this.timers.delete(h as never);
  }

  advance(ms: number): void {
    this.offset += ms;
    for (const t of [...this.timers]) if (t.due <= this.now()) this.fire(t);
  }

  private fire(t: { due: number; fn: () => void; handle: NodeJS.Timeout }): void {
    if (!this.timers.delete(t)) return;
    clearTimeout(t.handle);
    t.fn();
  }
}
