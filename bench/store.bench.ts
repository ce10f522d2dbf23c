// Datastore write throughput: small creates from many concurrent writers, per backend.
//
// Usage: node dist/bench/store.bench.js [--writers 50] [--creates 20000] [--backends sqlite,etcd,memory]
// Prints one JSON line per backend, then a table. Never passes or fails on time.
// SQLite runs on a temp dir on the real disk (WAL, synchronous=FULL); etcd is a fresh local
// Debian etcd-server with its default fsync behaviour.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EtcdStore } from '../src/storage/etcd.js';
import { MemoryStore } from '../src/storage/memory.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import type { Store } from '../src/storage/store.js';
import { startEtcd } from '../test/helpers/etcd.js';

interface Result {
  backend: string;
  writers: number;
  creates: number;
  seconds: number;
  createsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

/** `writers` loops, each awaiting its own creates one after another, until `total` are done. */
async function createLoad(store: Store, backend: string, writers: number, total: number): Promise<Result> {
  const value = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'bench' }, data: { k: 'v'.repeat(200) } });
  // Warm up connections, statements and the JIT outside the measurement.
  await Promise.all(Array.from({ length: writers }, (_, w) => store.create(`/warmup/${backend}/${w}`, value)));
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await store.create(`/bench/${backend}/${String(i).padStart(8, '0')}`, value);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => Number((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0).toFixed(2));
  return { backend, writers, creates: total, seconds: Number(seconds.toFixed(3)), createsPerSecond: Math.round(total / seconds), p50Ms: pct(0.5), p99Ms: pct(0.99) };
}

async function main(): Promise<void> {
  const writers = Number(arg('writers', '50'));
  const creates = Number(arg('creates', '20000'));
  const backends = arg('backends', 'sqlite,etcd').split(',');
  const results: Result[] = [];
  for (const backend of backends) {
    if (backend === 'memory') {
      const s = new MemoryStore();
      results.push(await createLoad(s, backend, writers, creates));
      await s.close();
    } else if (backend === 'sqlite') {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-sqlite-'));
      const s = new SqliteStore(join(dir, 'bench.db'));
      try {
        results.push(await createLoad(s, backend, writers, creates));
      } finally {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    } else if (backend === 'etcd') {
      const etcd = await startEtcd();
      const s = new EtcdStore({ endpoints: [etcd.endpoint] });
      try {
        results.push(await createLoad(s, backend, writers, creates));
      } finally {
        await s.close();
        await etcd.stop();
      }
    } else {
      throw new Error(`unknown backend ${backend}; expected memory, sqlite or etcd`);
    }
    console.log(JSON.stringify(results[results.length - 1]));
  }
  console.log('');
  console.log('backend  writers  creates  seconds  creates/s  p50 ms  p99 ms');
  for (const r of results) {
    console.log(
      `${r.backend.padEnd(8)} ${String(r.writers).padStart(7)}  ${String(r.creates).padStart(7)}  ${r.seconds.toFixed(2).padStart(7)}  ${String(r.createsPerSecond).padStart(9)}  ${r.p50Ms.toFixed(2).padStart(6)}  ${r.p99Ms.toFixed(2).padStart(6)}`,
    );
  }
}

await main();
