// The five measurements of the API server benchmark, run in order against one server:
// creates → GETs by name → list of N pods → watch fan-out → memory with many pods.
// Each returns plain JSON-able numbers; CPU use of the server and of the benchmark process
// (all its threads) during the phase is reported beside them, to show which side saturated.

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Histogram, nowMs, r2 } from './histogram.js';
import { Client } from './client.js';
import type { LoadPool, MergedLoad } from './pool.js';
import type { BenchServer } from './server.js';
import { procCpuSeconds, procMemory } from '../proc.js';
import { configMap, pod } from './objects.js';

export interface Options {
  quick: boolean;
  workers: number;
  clients: number;
  durationMs: number;
  maxCreates: number;
  listPods: number;
  listRepeats: number;
  watchers: number;
  watchRate: number;
  watchSeconds: number;
  memoryPods: number;
  memoryNamespaces: number;
  podClients: number;
  phases: string[];
}

export interface Ctx {
  server: BenchServer;
  pool: LoadPool;
  client: Client;
  opts: Options;
  log: (m: string) => void;
  /** The etcd server's PID when the backend is etcd (its memory is reported beside skiff's). */
  etcdPid?: number;
}

const MiB = 1024 * 1024;
const kubectlTableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function machineJiffies(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

/**
 * Starts measuring CPU; the returned function gives % of one core used by the server (and the
 * kernel part of it), by this benchmark process (all threads), by etcd, and by everything else
 * on the machine (other people's work on a shared machine shows up there).
 */
function cpuMeter(ctx: Ctx): () => { serverCpuPct: number; serverSysPct: number; benchCpuPct: number; etcdCpuPct?: number; otherCpuPct: number } {
  const t0 = performance.now();
  const s0 = ctx.server.cpuSeconds();
  const k0 = ctx.server.sysSeconds();
  const e0 = ctx.etcdPid ? procCpuSeconds(ctx.etcdPid).total : 0;
  const b0 = process.cpuUsage();
  const m0 = machineJiffies();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const pct = (seconds: number) => Math.round((seconds / wall) * 100);
    const b = process.cpuUsage(b0);
    const m = machineJiffies();
    const machinePct = ((m.busy - m0.busy) / Math.max(1, m.total - m0.total)) * 100 * cpus().length;
    const serverCpuPct = pct(ctx.server.cpuSeconds() - s0);
    const benchCpuPct = pct((b.user + b.system) / 1e6);
    const etcdCpuPct = ctx.etcdPid ? pct(procCpuSeconds(ctx.etcdPid).total - e0) : undefined;
    return {
      serverCpuPct,
      serverSysPct: pct(ctx.server.sysSeconds() - k0),
      benchCpuPct,
      ...(etcdCpuPct !== undefined ? { etcdCpuPct } : {}),
      otherCpuPct: Math.max(0, Math.round(machinePct - serverCpuPct - benchCpuPct - (etcdCpuPct ?? 0))),
    };
  };
}

/**
 * How long after the last acknowledged write the watch cache holds it: polls a list (of an empty
 * namespace, so it is cheap) at resourceVersion `rv`, which the server answers only once its
 * cache has reached `rv` (else 504 after its 3 s wait). 0 when the cache was already there.
 */
async function cacheCatchUpMs(ctx: Ctx, rv: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const res = await ctx.client.request('GET', `/api/v1/namespaces/bench-probe/configmaps?resourceVersion=${rv}`);
    if (res.status === 200) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > 300_000) throw new Error(`the cache did not reach revision ${rv} in 300 s: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    if (res.status !== 504) await sleep(100);
  }
}

function summary(r: MergedLoad) {
  return {
    ok: r.ok,
    seconds: r2(r.seconds),
    perSecond: Math.round(r.perSecond),
    p50Ms: r2(r.hist.percentile(0.5)),
    p99Ms: r2(r.hist.percentile(0.99)),
    maxMs: r2(r.hist.max),
    failures: r.statuses,
    ...(r.firstError ? { firstError: r.firstError } : {}),
  };
}

export async function createsPhase(ctx: Ctx) {
  const { pool, client, opts } = ctx;
  await client.ensureNamespace('bench-warm');
  await client.ensureNamespace('bench-cm');
  // Warm-up outside the measurement: opens every keep-alive connection, warms the JIT.
  await pool.load({ op: 'createConfigMap', durationMs: 5000, maxOps: 2000, namespaces: ['bench-warm'] }, opts.clients);
  const cpu = cpuMeter(ctx);
  const r = await pool.load({ op: 'createConfigMap', durationMs: opts.durationMs, maxOps: opts.maxCreates, namespaces: ['bench-cm'] }, opts.clients);
  const usage = cpu();
  return { clients: opts.clients, ...summary(r), ...usage, cacheCatchUpMs: await cacheCatchUpMs(ctx, r.maxResourceVersion) };
}

export async function getsPhase(ctx: Ctx, existing: number) {
  const { pool, opts } = ctx;
  const cpu = cpuMeter(ctx);
  const r = await pool.load({ op: 'getConfigMap', durationMs: opts.durationMs, maxOps: 0, namespaces: ['bench-cm'], existing }, opts.clients);
  return { clients: opts.clients, existing, ...summary(r), ...cpu() };
}

async function timeList(ctx: Ctx, path: string, accept: string | undefined, repeats: number) {
  await ctx.client.request('GET', path, { discard: true, ...(accept ? { accept } : {}) }); // warm-up
  const times: number[] = [];
  const firstByte: number[] = [];
  let bytes = 0;
  const cpu = cpuMeter(ctx);
  for (let i = 0; i < repeats; i++) {
    const res = await ctx.client.request('GET', path, { discard: true, ...(accept ? { accept } : {}) });
    if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
    times.push(res.ms);
    firstByte.push(res.firstByteMs);
    bytes = res.bytes;
  }
  times.sort((a, b) => a - b);
  firstByte.sort((a, b) => a - b);
  const at = (xs: number[], p: number) => r2(xs[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)] ?? 0);
  return { p50Ms: at(times, 0.5), p99Ms: at(times, 0.99), minMs: r2(times[0] ?? 0), firstByteP50Ms: at(firstByte, 0.5), bytes, MiB: r2(bytes / MiB), ...cpu() };
}

export async function listPhase(ctx: Ctx) {
  const { pool, client, opts } = ctx;
  const ns = 'bench-list';
  await client.ensureNamespace(ns);
  const made = await pool.load({ op: 'createPod', durationMs: 30 * 60_000, maxOps: opts.listPods, namespaces: [ns] }, opts.podClients);
  if (made.ok !== opts.listPods) throw new Error(`created ${made.ok} of ${opts.listPods} pods: ${JSON.stringify(made.statuses)} ${made.firstError}`);
  const path = `/api/v1/namespaces/${ns}/pods`;
  // Check once that the list is complete and the pods are what we meant (Pending, ~3 KB).
  const check = await client.must('GET', path, 200);
  const parsed = JSON.parse(check.body) as { items: { status?: { phase?: string } }[] };
  if (parsed.items.length !== opts.listPods) throw new Error(`list returned ${parsed.items.length} pods, expected ${opts.listPods}`);
  const pending = parsed.items.filter((p) => p.status?.phase === 'Pending').length;
  return {
    pods: opts.listPods,
    requestPodBytes: JSON.stringify(pod(ns, 'pod-0', 0)).length,
    podCreatesPerSecond: Math.round(made.perSecond),
    avgPodBytes: Math.round(check.bytes / opts.listPods),
    pendingPods: pending,
    plain: await timeList(ctx, path, undefined, opts.listRepeats),
    rv0: await timeList(ctx, `${path}?resourceVersion=0`, undefined, opts.listRepeats),
    table: await timeList(ctx, path, kubectlTableAccept, opts.listRepeats),
  };
}

/**
 * 1 writer, `watchers` watch streams. The writer PUTs ConfigMaps at a fixed rate (open loop: it
 * does not slow down when the server does, up to 500 requests in flight), each carrying its
 * sequence number and its send time on the monotonic clock the watchers read too.
 */
export async function watchPhase(ctx: Ctx) {
  const { pool, client, opts } = ctx;
  const ns = 'bench-watch';
  const objects = 100;
  await client.ensureNamespace(ns);
  for (let i = 0; i < objects; i++) await client.must('POST', `/api/v1/namespaces/${ns}/configmaps`, 201, configMap(ns, `w-${i}`, { seq: '-1', ts: '0' }));
  const listed = JSON.parse((await client.must('GET', `/api/v1/namespaces/${ns}/configmaps`, 200)).body) as { metadata: { resourceVersion: string } };
  const rv = listed.metadata.resourceVersion;
  const total = opts.watchRate * opts.watchSeconds;
  const openStarted = performance.now();
  await pool.watchOpen(`/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${rv}`, opts.watchers, total);
  const openMs = performance.now() - openStarted;
  const memBefore = ctx.server.memory();

  // The writer has its own connections (64, opened before the clock starts); requests beyond
  // that queue in the agent, and that wait counts in the delivery latency as it would for a client.
  const writer = new Client(ctx.server.url, ctx.server.tls, 64);
  await writer.warm(64).catch((err: unknown) => {
    writer.close();
    throw err;
  });
  const cpu = cpuMeter(ctx);
  const writeHist = new Histogram();
  let acked = 0;
  let failed = 0;
  let firstWriteError = '';
  let inFlight = 0;
  let issued = 0;
  const maxInFlight = 500;
  const t0 = nowMs();
  try {
    const writes: Promise<void>[] = [];
    while (issued < total) {
      const due = Math.min(total, Math.floor(((nowMs() - t0) * opts.watchRate) / 1000) + 1);
      while (issued < due && inFlight < maxInFlight) {
        const seq = issued++;
        const name = `w-${seq % objects}`;
        const sent = nowMs();
        const body = JSON.stringify(configMap(ns, name, { seq: String(seq), ts: sent.toFixed(3), pad: 'x'.repeat(100) }));
        inFlight++;
        writes.push(
          writer.request('PUT', `/api/v1/namespaces/${ns}/configmaps/${name}`, { body }).then(
            (res) => {
              inFlight--;
              if (res.status === 200) {
                acked++;
                writeHist.record(nowMs() - sent);
              } else {
                failed++;
                firstWriteError ||= `PUT ${name}: ${res.status} ${res.body.slice(0, 300)}`;
              }
            },
            (err: unknown) => {
              inFlight--;
              failed++;
              firstWriteError ||= String(err);
            },
          ),
        );
      }
      await sleep(1);
    }
    await Promise.all(writes);
  } finally {
    writer.close();
  }
  const writeSeconds = (nowMs() - t0) / 1000;
  const usage = cpu();
  const memDuring = ctx.server.memory();
  const drainStarted = nowMs();
  const w = await pool.watchDrain(acked, 120_000);
  const drainMs = nowMs() - drainStarted;
  return {
    watchers: w.watchers,
    openMs: Math.round(openMs),
    targetRate: opts.watchRate,
    writes: { sent: total, acked, failed, seconds: r2(writeSeconds), perSecond: Math.round(acked / writeSeconds), p50Ms: r2(writeHist.percentile(0.5)), p99Ms: r2(writeHist.percentile(0.99)), ...(firstWriteError ? { firstError: firstWriteError } : {}) },
    expectedDeliveries: acked * w.watchers,
    delivered: w.delivered,
    missed: w.missed,
    incompleteWatchers: w.incompleteWatchers,
    duplicates: w.duplicates,
    streamsEndedEarly: w.streamsEndedEarly,
    eventsPerRead: r2(w.delivered / Math.max(1, w.chunks)),
    p50Ms: r2(w.histogram.percentile(0.5)),
    p99Ms: r2(w.histogram.percentile(0.99)),
    maxMs: r2(w.histogram.max),
    drainAfterWritesMs: Math.round(drainMs),
    ...(w.firstError ? { firstError: w.firstError } : {}),
    serverRssMiBWithWatchers: r2(memBefore.rssBytes / MiB),
    serverRssMiBAfterWrites: r2(memDuring.rssBytes / MiB),
    ...usage,
  };
}

/**
 * Fills the server to `memoryPods` pods in total (the list phase's pods count towards it), then
 * lists every namespace (each list walks the cache) and reads the server's VmRSS and VmHWM.
 */
export async function memoryPhase(ctx: Ctx, podsSoFar: number) {
  const { pool, client, opts } = ctx;
  const namespaces = Array.from({ length: opts.memoryNamespaces - 1 }, (_, i) => `mem-${i}`);
  for (const ns of namespaces) await client.ensureNamespace(ns);
  const toCreate = Math.max(0, opts.memoryPods - podsSoFar);
  const cpu = cpuMeter(ctx);
  const made = await pool.load({ op: 'createPod', durationMs: 60 * 60_000, maxOps: toCreate, namespaces, offset: podsSoFar }, opts.podClients);
  const createUsage = cpu();
  if (made.ok !== toCreate) ctx.log(`memory phase: created ${made.ok} of ${toCreate} pods: ${JSON.stringify(made.statuses)} ${made.firstError}`);
  // A list right after heavy writes can find the cache behind (then the server reads the store).
  const catchUp = made.maxResourceVersion ? await cacheCatchUpMs(ctx, made.maxResourceVersion) : 0;
  let listed = 0;
  let listBytes = 0;
  const listStarted = performance.now();
  for (const ns of [...(podsSoFar > 0 ? ['bench-list'] : []), ...namespaces]) {
    const res = await client.request('GET', `/api/v1/namespaces/${ns}/pods`, { discard: true });
    if (res.status !== 200) throw new Error(`GET pods in ${ns}: HTTP ${res.status}`);
    listBytes += res.bytes;
    listed++;
  }
  const listAllMs = performance.now() - listStarted;
  await sleep(1000);
  const mem = ctx.server.memory();
  const etcdMem = ctx.etcdPid ? procMemory(ctx.etcdPid) : undefined;
  // One cluster-wide list of everything, as `kubectl get pods -A` without chunking would do.
  const all = await client.request('GET', '/api/v1/pods', { discard: true });
  const memAfterAll = ctx.server.memory();
  return {
    pods: podsSoFar + made.ok,
    namespaces: opts.memoryNamespaces,
    created: made.ok,
    createClients: opts.podClients,
    createsPerSecond: Math.round(made.perSecond),
    createP50Ms: r2(made.hist.percentile(0.5)),
    createP99Ms: r2(made.hist.percentile(0.99)),
    createFailures: made.statuses,
    ...createUsage,
    cacheCatchUpMs: catchUp,
    namespaceListsMs: Math.round(listAllMs),
    namespaceListsMiB: r2(listBytes / MiB),
    namespacesListed: listed,
    rssMiB: r2(mem.rssBytes / MiB),
    hwmMiB: r2(mem.hwmBytes / MiB),
    ...(etcdMem ? { etcdRssMiB: r2(etcdMem.rssBytes / MiB) } : {}),
    clusterWideList: { status: all.status, ms: Math.round(all.ms), MiB: r2(all.bytes / MiB), rssMiBAfter: r2(memAfterAll.rssBytes / MiB), hwmMiBAfter: r2(memAfterAll.hwmBytes / MiB) },
  };
}
