// Scheduler throughput, in the style of upstream's scheduler_perf: a `skiff server` in this
// process (SQLite store in a temp dir, controllers and scheduler on the in-process transport),
// N plain Node objects (upstream's node template: 4 CPU, 32 GiB, 110 pods), `--init-pods` pods
// placed first, then `--pods` measured pods created by 100 concurrent in-process clients. The
// throughput collector counts pods that gained a nodeName each second, as scheduler_perf does.
//
// Workloads (--workloads, default all):
//   basic     SchedulingBasic: pods requesting 100m CPU / 500 MiB
//   spread    TopologySpreading: nodes in 3 zones, pods with a zone spread constraint
//             (maxSkew 5, DoNotSchedule) on their own label
//   affinity  SchedulingPodAffinity: init pods labelled foo=bar, measured pods with a required
//             pod affinity to foo=bar over the zone topology
//
// Usage: node dist/bench/scheduler.bench.js [--nodes 5000] [--init-pods 1000] [--pods 10000]
//        [--workloads basic,spread,affinity] [--quick] [--results FILE]
// Prints one JSON line per workload, a table and writes bench/results/scheduler-<date>.json.
// Targets, not tests: >= 1,000 pods/s for basic on this 2-core machine.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../src/server/run.js';
import { Client } from '../src/client/client.js';
import { InProcessTransport } from '../src/client/inprocess.js';
import { Informer } from '../src/client/informer.js';
import { resourceOf } from '../src/controllers/context.js';
import type { KObject } from '../src/apiserver/object.js';
import { arg, log, num, writeResults, runMain } from './cli.js';


const nodesRes = resourceOf('', 'Node');
const podsRes = resourceOf('', 'Pod');
const zones = ['zone-a', 'zone-b', 'zone-c'];

type Workload = 'basic' | 'spread' | 'affinity';

function nodeObject(i: number): KObject {
  const name = `perf-node-${i}`;
  const resources = { cpu: '4', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/zone': zones[i % zones.length]! } },
    spec: {},
    status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
  };
}

function podObject(ns: string, name: string, workload: Workload, init: boolean): KObject {
  const labels: Record<string, string> = init && workload === 'affinity' ? { foo: 'bar' } : { app: `perf-${workload}` };
  const spec: Record<string, unknown> = {
    containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
  };
  if (!init && workload === 'spread') {
    spec.topologySpreadConstraints = [{ maxSkew: 5, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }];
  }
  if (!init && workload === 'affinity') {
    spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { foo: 'bar' } }, topologyKey: 'topology.kubernetes.io/zone' }] } };
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec };
}

/** Runs `fn` over 0..count-1 with `concurrency` in flight. */
async function parallel(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function runWorkload(workload: Workload, nodes: number, initPods: number, pods: number): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-sched-bench-'));
  let server: RunningServer | undefined;
  const stop = new AbortController();
  try {
    server = await startServer(
      { dataDir, bindAddress: '127.0.0.1', httpsListenPort: 0, tlsSan: [], serviceCidr: '10.43.0.0/16', clusterCidr: '10.42.0.0/16', serviceNodePortRange: [30000, 32767], disableAgent: true },
      () => undefined,
    );
    const client = new Client(new InProcessTransport(server.api, { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] }));
    const ns = 'perf';
    await client.create(resourceOf('', 'Namespace'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const t0 = Date.now();
    await parallel(nodes, 50, (i) => client.create(nodesRes, nodeObject(i)));
    log(`${workload}: ${nodes} nodes in ${Date.now() - t0} ms`);

    // Counts pods that gained a node (what scheduler_perf's throughput collector samples).
    let scheduled = 0;
    const informer = new Informer({ client, resource: podsRes, namespace: ns });
    const bound = (o: KObject) => typeof (o.spec as { nodeName?: string } | undefined)?.nodeName === 'string';
    informer.addHandlers({
      onAdd: (o) => void (bound(o) && scheduled++),
      onUpdate: (a, b) => void (!bound(a) && bound(b) && scheduled++),
    });
    void informer.start(stop.signal);
    await informer.waitForSync(stop.signal);

    const waitFor = async (target: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (scheduled < target) {
        if (Date.now() > deadline) throw new Error(`${workload}: only ${scheduled}/${target} pods scheduled after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await parallel(initPods, 100, (i) => client.create(podsRes, podObject(ns, `init-${i}`, workload, true)));
    await waitFor(initPods, 120_000);
    log(`${workload}: ${initPods} init pods placed`);

    const base = scheduled;
    const samples: number[] = [];
    let last = base;
    let peakRss = process.memoryUsage().rss;
    const start = Date.now();
    const sampler = setInterval(() => {
      samples.push(scheduled - last);
      last = scheduled;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 1000);
    const creating = parallel(pods, 100, (i) => client.create(podsRes, podObject(ns, `pod-${i}`, workload, false)));
    await creating;
    const createdMs = Date.now() - start;
    await waitFor(base + pods, 600_000);
    const elapsed = (Date.now() - start) / 1000;
    clearInterval(sampler);
    // Percentiles of the per-second samples, as scheduler_perf's throughput collector reports them.
    const sorted = [...samples].sort((a, b) => a - b);
    const result = {
      workload,
      nodes,
      initPods,
      pods,
      seconds: Math.round(elapsed * 100) / 100,
      createSeconds: Math.round(createdMs / 10) / 100,
      podsPerSecond: Math.round(pods / elapsed),
      p50PerSecond: percentile(sorted, 50),
      p99PerSecond: percentile(sorted, 99),
      peakRssMiB: Math.round(peakRss / 1048576),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
    return result;
  } finally {
    stop.abort();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const nodes = num('nodes', 5000, 500);
  const initPods = num('init-pods', 1000, 100);
  const pods = num('pods', 10000, 1000);
  const workloads = (arg('workloads') ?? 'basic,spread,affinity').split(',') as Workload[];
  const results: Record<string, unknown>[] = [];
  for (const w of workloads) results.push(await runWorkload(w, nodes, initPods, pods));
  const rows = results.map((r) => `| ${String(r.workload).padEnd(8)} | ${String(r.nodes).padStart(5)} | ${String(r.pods).padStart(6)} | ${String(r.podsPerSecond).padStart(7)} | ${String(r.p50PerSecond).padStart(5)} | ${String(r.p99PerSecond).padStart(5)} | ${String(r.peakRssMiB).padStart(8)} |`);
  process.stdout.write(['| workload | nodes |   pods | pods/s  |  p50  |  p99  | peak RSS MiB |', '|---|---|---|---|---|---|---|', ...rows].join('\n') + '\n');
  process.stdout.write('target: >= 1000 pods/s (basic); upstream CI floor 680 pods/s on larger machines\n');
  writeResults('scheduler', { date: new Date().toISOString(), machine: '2-core VM', results });
}

runMain(main);
