// A load-generating worker thread. Each worker owns one keep-alive HTTPS agent with the admin
// client certificate and runs the jobs the pool (pool.ts) sends it: closed-loop request load
// (each client awaits its response before sending the next) and HTTP watch streams.
//
// Workers share the operation count through a SharedArrayBuffer, so "N operations in total" is
// exact however many workers split the clients.

import https from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import { Histogram, nowMs } from './histogram.js';
import { configMap, pod } from './objects.js';
import type { LoadJob, LoadResult, WatchJob, WatchResult, WorkerInit, WorkerReply, WorkerRequest } from './protocol.js';

const init = workerData as WorkerInit;
const base = new URL(init.url);
const agent = new https.Agent({ ca: init.tls.ca, cert: init.tls.cert, key: init.tls.key, keepAlive: true, maxSockets: Infinity, maxFreeSockets: 4096 });

function request(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = https.request({ host: base.hostname, port: base.port, path, method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The request of operation number `i` of a job. */
function operation(job: LoadJob, i: number): { method: string; path: string; body?: string; expect: number } {
  switch (job.op) {
    case 'createConfigMap': {
      const ns = job.namespaces[i % job.namespaces.length] as string;
      const body = JSON.stringify(configMap(ns, `cm-${i}`, { index: String(i), value: 'v'.repeat(64) }));
      return { method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body, expect: 201 };
    }
    case 'getConfigMap': {
      const ns = job.namespaces[0] as string;
      const n = Math.floor(Math.random() * (job.existing ?? 1));
      return { method: 'GET', path: `/api/v1/namespaces/${ns}/configmaps/cm-${n}`, expect: 200 };
    }
    case 'createPod': {
      const ns = job.namespaces[i % job.namespaces.length] as string;
      const n = i + (job.offset ?? 0);
      return { method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body: JSON.stringify(pod(ns, `pod-${n}`, n)), expect: 201 };
    }
  }
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const counter = new Int32Array(job.counter);
  const hist = new Histogram();
  const statuses: Record<string, number> = {};
  let ok = 0;
  let firstError = '';
  let maxRv = 0;
  const started = nowMs();
  const deadline = started + job.durationMs;
  const client = async (): Promise<void> => {
    for (;;) {
      if (nowMs() >= deadline) return;
      const i = Atomics.add(counter, 0, 1);
      if (job.maxOps > 0 && i >= job.maxOps) return;
      const op = operation(job, i);
      const t0 = nowMs();
      try {
        const res = await request(op.method, op.path, op.body);
        if (res.status === op.expect) {
          ok++;
          hist.record(nowMs() - t0);
          const at = res.body.indexOf('"resourceVersion":"');
          if (at >= 0) maxRv = Math.max(maxRv, parseInt(res.body.slice(at + 19, res.body.indexOf('"', at + 19)), 10) || 0);
        } else {
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (!firstError) firstError = `${op.method} ${op.path}: ${res.status} ${res.body.slice(0, 300)}`;
        }
      } catch (err) {
        statuses.network = (statuses.network ?? 0) + 1;
        if (!firstError) firstError = `${op.method} ${op.path}: ${String(err)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, client));
  return { ok, statuses, firstError, elapsedMs: nowMs() - started, maxResourceVersion: maxRv, hist: hist.toJSON() };
}

/**
 * Watch streams on one collection. Every event carries `seq` and `ts` (the writer's send time on
 * the shared monotonic clock) in its ConfigMap data; each watcher marks the seqs it saw, so a
 * missed or doubled event is counted exactly.
 */
class Watchers {
  private readonly hist = new Histogram();
  private readonly seen: Uint8Array[] = [];
  private readonly received: number[] = [];
  private readonly reqs: ReturnType<typeof https.request>[] = [];
  private duplicates = 0;
  private errors = 0;
  private otherEvents = 0;
  private firstError = '';
  private closed = 0;
  private chunks = 0;

  constructor(private readonly job: WatchJob) {}

  open(): Promise<void> {
    const { job } = this;
    const opened = Array.from({ length: job.watchers }, (_, w) => {
      this.seen.push(new Uint8Array(job.total));
      this.received.push(0);
      return new Promise<void>((resolve, reject) => {
        const req = https.request({ host: base.hostname, port: base.port, path: job.path, agent, headers: { Accept: 'application/json' } }, (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${job.path}: HTTP ${res.statusCode}`));
            return;
          }
          resolve();
          let rest = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            const now = nowMs();
            this.chunks++;
            const text = rest + chunk;
            let start = 0;
            for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
              this.onLine(w, text.slice(start, nl), now);
              start = nl + 1;
            }
            rest = text.slice(start);
          });
          res.on('end', () => this.closed++);
          res.on('error', () => this.closed++);
        });
        req.on('error', (err) => {
          this.errors++;
          if (!this.firstError) this.firstError = String(err);
          reject(err);
        });
        req.end();
        this.reqs.push(req);
      });
    });
    return Promise.all(opened).then(() => undefined);
  }

  private onLine(w: number, line: string, now: number): void {
    const s = line.indexOf('"seq":"');
    const t = line.indexOf('"ts":"');
    if (s < 0 || t < 0 || !line.startsWith('{"type":"MODIFIED"')) {
      this.otherEvents++;
      if (line.startsWith('{"type":"ERROR"') && !this.firstError) this.firstError = line.slice(0, 300);
      return;
    }
    const seq = parseInt(line.slice(s + 7, line.indexOf('"', s + 7)), 10);
    const ts = parseFloat(line.slice(t + 6, line.indexOf('"', t + 6)));
    const seen = this.seen[w] as Uint8Array;
    if (seq < 0 || seq >= seen.length) {
      this.otherEvents++;
      return;
    }
    if (seen[seq]) {
      this.duplicates++;
      return;
    }
    seen[seq] = 1;
    this.received[w]!++;
    this.hist.record(now - ts);
  }

  /** Resolves when every watcher has every one of `sent` events, or at the deadline. */
  async drain(sent: number, timeoutMs: number): Promise<WatchResult> {
    const deadline = nowMs() + timeoutMs;
    while (nowMs() < deadline && this.received.some((n) => n < sent)) await new Promise((r) => setTimeout(r, 20));
    for (const req of this.reqs) req.destroy();
    let missed = 0;
    let incomplete = 0;
    for (let w = 0; w < this.seen.length; w++) {
      const got = this.received[w] as number;
      if (got < sent) incomplete++;
      missed += sent - got;
    }
    return {
      watchers: this.seen.length,
      delivered: this.received.reduce((a, b) => a + b, 0),
      missed,
      incompleteWatchers: incomplete,
      duplicates: this.duplicates,
      otherEvents: this.otherEvents,
      streamsEndedEarly: this.closed,
      chunks: this.chunks,
      errors: this.errors,
      firstError: this.firstError,
      hist: this.hist.toJSON(),
    };
  }
}

let watchers: Watchers | undefined;

async function handle(msg: WorkerRequest): Promise<WorkerReply['result']> {
  switch (msg.type) {
    case 'load':
      return runLoad(msg.job);
    case 'watchOpen':
      watchers = new Watchers(msg.job);
      await watchers.open();
      return { opened: msg.job.watchers };
    case 'watchDrain': {
      // A worker that got no watchers (more workers than watchers) reports an empty result.
      const w = watchers ?? new Watchers({ path: '', watchers: 0, total: 0 });
      watchers = undefined;
      return w.drain(msg.sent, msg.timeoutMs);
    }
    case 'close':
      agent.destroy();
      return { closed: true };
  }
}

parentPort?.on('message', (msg: WorkerRequest) => {
  handle(msg).then(
    (result) => parentPort?.postMessage({ id: msg.id, result } satisfies WorkerReply),
    (err: unknown) => parentPort?.postMessage({ id: msg.id, error: String((err as Error)?.stack ?? err) } satisfies WorkerReply),
  );
});
