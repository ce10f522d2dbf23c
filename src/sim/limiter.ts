// Bounded concurrency for the simulator's API writes: at most `max` calls in flight, the rest wait
// in FIFO order. Heartbeats and pod status writes use separate limiters so that a burst of
// 150,000 pod transitions never delays a lease renewal (which would make nodes go NotReady).

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`a limiter needs max >= 1, got ${max}`);
  }

  /** Calls in flight. */
  get inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Hands the slot straight to the next waiter (so `active` never dips and lets a newcomer jump the queue). */
  private release(): void {
    if (this.head < this.waiting.length) {
      const next = this.waiting[this.head] as () => void;
      this.waiting[this.head++] = noop;
      // An array used as a queue: drop the consumed prefix now and then, not on every shift.
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active--;
    }
  }
}

function noop(): void {}
