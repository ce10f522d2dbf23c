// The main thread's handle on the load workers: splits clients and watchers over them, merges
// their results. `close()` terminates every worker; it is safe to call twice.

import { Worker } from 'node:worker_threads';
import { Histogram } from './histogram.js';
import type { LoadJob, LoadResult, WatchResult, WorkerInit, WorkerReply, WorkerRequest } from './protocol.js';

type Req = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface MergedLoad {
  ok: number;
  statuses: Record<string, number>;
  firstError: string;
  seconds: number;
  perSecond: number;
  maxResourceVersion: number;
  hist: Histogram;
}

export class LoadPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(size: number, init: WorkerInit) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: init });
      w.on('message', (m: WorkerReply) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new Error(`load worker: ${m.error}`));
        else p.resolve(m.result);
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private call<T>(w: Worker, req: Req): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.postMessage({ ...req, id });
    });
  }

  /** Runs `concurrency` clients split over the workers; `maxOps` is shared by all. */
  async load(job: Omit<LoadJob, 'counter' | 'concurrency'>, concurrency: number): Promise<MergedLoad> {
    const counter = new SharedArrayBuffer(4);
    const parts = split(concurrency, this.workers.length);
    const results = await Promise.all(
      this.workers.map((w, i) => (parts[i] ? this.call<LoadResult>(w, { type: 'load', job: { ...job, counter, concurrency: parts[i] as number } }) : undefined)),
    );
    const hist = new Histogram();
    const statuses: Record<string, number> = {};
    let ok = 0;
    let firstError = '';
    let elapsed = 0;
    let maxResourceVersion = 0;
    for (const r of results) {
      if (!r) continue;
      maxResourceVersion = Math.max(maxResourceVersion, r.maxResourceVersion);
      ok += r.ok;
      hist.merge(r.hist);
      for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
      firstError ||= r.firstError;
      elapsed = Math.max(elapsed, r.elapsedMs);
    }
    const seconds = elapsed / 1000;
    return { ok, statuses, firstError, seconds, perSecond: ok / seconds, maxResourceVersion, hist };
  }

  /** Opens `watchers` watch streams split over the workers; resolves once all answered 200. */
  async watchOpen(path: string, watchers: number, total: number): Promise<void> {
    const parts = split(watchers, this.workers.length);
    await Promise.all(this.workers.map((w, i) => (parts[i] ? this.call(w, { type: 'watchOpen', job: { path, watchers: parts[i] as number, total } }) : undefined)));
  }

  async watchDrain(sent: number, timeoutMs: number): Promise<WatchResult & { histogram: Histogram }> {
    const results = (await Promise.all(this.workers.map((w) => this.call<WatchResult>(w, { type: 'watchDrain', sent, timeoutMs })))).filter((r) => r.watchers > 0);
    const histogram = new Histogram();
    const sum = (f: (r: WatchResult) => number) => results.reduce((a, r) => a + f(r), 0);
    for (const r of results) histogram.merge(r.hist);
    return {
      watchers: sum((r) => r.watchers),
      delivered: sum((r) => r.delivered),
      missed: sum((r) => r.missed),
      incompleteWatchers: sum((r) => r.incompleteWatchers),
      duplicates: sum((r) => r.duplicates),
      otherEvents: sum((r) => r.otherEvents),
      streamsEndedEarly: sum((r) => r.streamsEndedEarly),
      chunks: sum((r) => r.chunks),
      errors: sum((r) => r.errors),
      firstError: results.map((r) => r.firstError).find(Boolean) ?? '',
      hist: histogram.toJSON(),
      histogram,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function split(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}
