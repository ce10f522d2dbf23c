// The delay before a Job replaces failed pods, as upstream's pod failure backoff: none before the
// first failure, then 10 s doubling per failure since the last success, at most 6 minutes,
// counted from the last failure. Kept in memory per Job (a restarted controller starts afresh).

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

interface BackoffRecord {
  failures: number;
  lastFailureAt: number;
}

export class PodBackoff {
  private readonly records = new Map<string, BackoffRecord>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 360_000;
  }

  /** Newly counted pod ends of one sync: failures extend the backoff; a success alone resets it. */
  record(key: string, newFailures: number, newSuccess: boolean, now: number): void {
    if (newFailures > 0) {
      const r = this.records.get(key);
      this.records.set(key, { failures: (r?.failures ?? 0) + newFailures, lastFailureAt: now });
    } else if (newSuccess) {
      this.records.delete(key);
    }
  }

  /** Milliseconds to wait before creating replacement pods (0: create now), as if `record` had been called first. */
  remaining(key: string, now: number, newFailures = 0, newSuccess = false): number {
    let r = this.records.get(key);
    if (newFailures > 0) r = { failures: (r?.failures ?? 0) + newFailures, lastFailureAt: now };
    else if (newSuccess) r = undefined;
    if (!r || r.failures === 0) return 0;
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** (r.failures - 1));
    return Math.max(0, r.lastFailureAt + delay - now);
  }

  delete(key: string): void {
    this.records.delete(key);
  }
}
