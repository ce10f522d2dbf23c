// API server benchmark: a real `skiff server` child process per datastore backend, driven over
// HTTPS (keep-alive, admin client certificate) by load-generator worker threads in this process.
//
// Usage: node dist/bench/apiserver.bench.js [--backends sqlite,etcd] [--quick] [--workers 2]
//        [--cpu-prof DIR] [--phases creates,gets,list,watch,memory] [--etcd-memory-pods N]
//        sizes: [--clients 50] [--seconds 10] [--creates 20000] [--list-pods 10000]
//        [--list-repeats 20] [--watchers 1000] [--watch-rate 1000] [--watch-seconds 10]
//        [--memory-pods 150000] [--memory-namespaces 100] [--pod-clients 200] [--results FILE]
// A CPU profile of the server (--cpu-prof DIR) is summarized by dist/bench/apiserver/profile-summary.js.
//
// Measures, per backend: ConfigMap creates/s and GETs/s (50 clients, ~10 s each), list latency of
// 10,000 ~3 KB pods (plain, resourceVersion=0, kubectl's Table), watch fan-out (1,000 watchers,
// 1,000 updates/s for 10 s: delivery latency and missed events) and the server's memory with
// 150,000 pods (--quick: 20,000). Prints one JSON line per backend, a combined JSON document and a
// side-by-side table, and writes bench/results/apiserver-<date>.json. Never passes or fails on time.
// Everything started (servers, etcd, workers) is stopped by PID in `finally`, also on Ctrl-C.

import { cpus } from 'node:os';
import { join } from 'node:path';
import { ETCD_BIN, startEtcd } from '../test/helpers/etcd.js';
import { Client } from './apiserver/client.js';
import { createsPhase, getsPhase, listPhase, memoryPhase, watchPhase, type Ctx, type Options } from './apiserver/phases.js';
import { LoadPool } from './apiserver/pool.js';
import { printTable } from './apiserver/report.js';
import { repoRoot, startServer } from './apiserver/server.js';
import { findPid } from './proc.js';
import { arg, log, num, quick, writeResults, runMain } from './cli.js';


/** Cleanups of everything started, run in reverse order on normal exit, error or signal. */
const cleanups: (() => Promise<void> | void)[] = [];
async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop() as () => Promise<void> | void;
    try {
      await c();
    } catch (err) {
      log(`cleanup failed: ${String(err)}`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping everything started`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

async function runBackend(backend: string, opts: Options, cpuProfDir: string | undefined): Promise<Record<string, unknown>> {
  const local: (() => Promise<void> | void)[] = [];
  const defer = (f: () => Promise<void> | void) => {
    local.push(f);
    cleanups.push(f);
  };
  try {
    let datastore = backend;
    let etcdPid: number | undefined;
    if (backend === 'etcd') {
      const etcd = await startEtcd();
      defer(() => etcd.stop());
      datastore = `etcd://${etcd.endpoint}`;
      // Only read (its memory), never signalled: the helper stops etcd itself.
      etcdPid = findPid([ETCD_BIN, `http://${etcd.endpoint}`]);
    } else if (backend === 'memory') {
      datastore = 'memory://';
    } else if (backend !== 'sqlite') {
      throw new Error(`unknown backend ${backend}: use sqlite, etcd or memory`);
    }
    const server = await startServer({ datastore, ...(cpuProfDir ? { cpuProfDir: join(cpuProfDir, backend) } : {}), log });
    defer(() => server.stop());
    const baseline = server.memory();
    const pool = new LoadPool(opts.workers, { url: server.url, tls: server.tls });
    defer(() => pool.close());
    const client = new Client(server.url, server.tls);
    defer(() => client.close());
    const ctx: Ctx = { server, pool, client, opts, log, ...(etcdPid ? { etcdPid } : {}) };
    const started = Date.now();
    const step = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
      log(`${backend}: ${name}...`);
      const t = Date.now();
      const r = await f();
      log(`${backend}: ${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s: ${JSON.stringify(r).slice(0, 400)}`);
      return r;
    };
    const on = (p: string) => opts.phases.includes(p);
    // GETs read the ConfigMaps the create phase made.
    const creates = on('creates') || on('gets') ? await step('creates', () => createsPhase(ctx)) : undefined;
    const gets = on('gets') && creates ? await step('gets', () => getsPhase(ctx, creates.ok)) : undefined;
    const list = on('list') ? await step('list', () => listPhase(ctx)) : undefined;
    const watch = on('watch') ? await step('watch', () => watchPhase(ctx)) : undefined;
    const memory = on('memory') ? await step('memory', () => memoryPhase(ctx, list ? opts.listPods : 0)) : undefined;
    return {
      backend,
      datastore: datastore.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:PORT'),
      loadWorkers: opts.workers,
      baselineRssMiB: Math.round((baseline.rssBytes / 1024 / 1024) * 100) / 100,
      creates,
      gets,
      list,
      watch,
      memory,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
  } finally {
    while (local.length) {
      const f = local.pop() as () => Promise<void> | void;
      cleanups.splice(cleanups.indexOf(f), 1);
      try {
        await f();
      } catch (err) {
        log(`cleanup failed: ${String(err)}`);
      }
    }
  }
}

async function main(): Promise<void> {
    const backends = (arg('backends') ?? 'sqlite,etcd').split(',').filter(Boolean);
  const cpuProfDir = arg('cpu-prof');
  const opts: Options = {
    quick,
    workers: num('workers', 2),
    clients: num('clients', 50),
    durationMs: num('seconds', 10) * 1000,
    maxCreates: num('creates', 20_000),
    listPods: num('list-pods', 10_000),
    listRepeats: num('list-repeats', 20),
    watchers: num('watchers', 1000),
    watchRate: num('watch-rate', 1000),
    watchSeconds: num('watch-seconds', 10),
    memoryPods: num('memory-pods', quick ? 20_000 : 150_000),
    memoryNamespaces: num('memory-namespaces', 100),
    podClients: num('pod-clients', 200),
    phases: (arg('phases') ?? 'creates,gets,list,watch,memory').split(','),
  };
  // etcd's create rate can make 150,000 pods take long; this lets a run cap it for etcd only.
  const etcdMemoryPods = arg('etcd-memory-pods');
  log(`options ${JSON.stringify(opts)}; load generator: ${opts.workers} worker_threads + the main thread (watch writer, lists); ${cpus().length} CPUs`);
  const results: Record<string, unknown>[] = [];
  try {
    for (const backend of backends) {
      const o = backend === 'etcd' && etcdMemoryPods ? { ...opts, memoryPods: Number(etcdMemoryPods) } : opts;
      const r = await runBackend(backend, o, cpuProfDir);
      results.push(r);
      process.stdout.write(JSON.stringify(r) + '\n');
    }
  } finally {
    await cleanupAll();
  }
  const combined = {
    benchmark: 'apiserver',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', node: process.version },
    loadGenerator: `${opts.workers} worker_threads (closed-loop clients split evenly) + main thread for lists and the watch writer, all in the benchmark process on the same machine as the server`,
    options: opts,
    ...(etcdMemoryPods ? { etcdMemoryPods: Number(etcdMemoryPods) } : {}),
    results,
  };
  process.stdout.write(JSON.stringify(combined) + '\n');
  printTable(results, opts);
  writeResults(quick ? 'apiserver-quick' : 'apiserver', combined, join(repoRoot, 'bench', 'results'));
}

runMain(main, cleanupAll);
