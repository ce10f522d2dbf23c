// A latency histogram with ~1% relative precision that merges across worker threads.
//
// Buckets are logarithmic (each 1% wider than the one before) from 1 µs to ~100 s, so ten million
// watch-event latencies cost a few kilobytes instead of an array to sort. The exact maximum is
// kept beside the buckets. `toJSON()` output is plain data that survives postMessage.

const growth = 1.01;
const minMs = 0.001;
const bucketCount = Math.ceil(Math.log(1e5 / minMs) / Math.log(growth)) + 2;
const logGrowth = Math.log(growth);

export interface HistogramData {
  counts: number[];
  count: number;
  max: number;
  sum: number;
}

export class Histogram {
  private readonly counts = new Float64Array(bucketCount);
  count = 0;
  max = 0;
  sum = 0;

  record(ms: number): void {
    const v = ms < minMs ? minMs : ms;
    const i = Math.min(bucketCount - 1, Math.floor(Math.log(v / minMs) / logGrowth));
    this.counts[i]! += 1;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: Histogram | HistogramData): void {
    const counts = other instanceof Histogram ? other.counts : other.counts;
    for (let i = 0; i < bucketCount; i++) this.counts[i]! += counts[i] ?? 0;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value below which a fraction `p` of the samples fall (upper edge of its bucket). */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(this.count * p);
    let seen = 0;
    for (let i = 0; i < bucketCount; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, minMs * Math.pow(growth, i + 1));
    }
    return this.max;
  }

  toJSON(): HistogramData {
    return { counts: Array.from(this.counts), count: this.count, max: this.max, sum: this.sum };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}

/** Rounds to 2 decimals for reports. */
export function r2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Monotonic milliseconds, comparable across the threads of this process (CLOCK_MONOTONIC). */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
