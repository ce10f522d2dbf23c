// Delayed re-syncs on the controller context's clock (schedules, deadlines, backoffs, TTLs),
// apart from the work queue's own retry backoff: a test drives these with a fake clock while
// failed reconciles still retry in real time. Of several pending delays for one key the earliest
// wins; everything pending is dropped when the signal aborts.

import type { Clock } from '../../client/workqueue.js';

export class DelayedRequeue {
  private readonly pending = new Map<string, { at: number; handle: unknown }>();

  constructor(
    private readonly clock: Clock,
    private readonly add: (key: string) => void,
    signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => {
      for (const { handle } of this.pending.values()) this.clock.clearTimeout(handle);
      this.pending.clear();
    }, { once: true });
  }

  after(key: string, ms: number): void {
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const prior = this.pending.get(key);
    if (prior && prior.at <= at) return;
    if (prior) this.clock.clearTimeout(prior.handle);
    const handle = this.clock.setTimeout(() => {
      this.pending.delete(key);
      this.add(key);
    }, ms);
    this.pending.set(key, { at, handle });
  }
}
