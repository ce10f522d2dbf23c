// Control plane at scale with simulated nodes: a real `skiff server` child process (SQLite,
// controllers and scheduler inside) and a real `skiff sim` child process (the nodes' kubelets),
// driven over HTTPS from this process.
//
// Phases (--phases, default both):
//   deployment  one Deployment of --replicas (30,000) over --nodes (1,000) simulated nodes, timed
//               from create to status.availableReplicas == replicas; control-plane peak RSS (VmHWM)
//   steady      --steady-nodes (5,000) nodes and --steady-pods (150,000) pods, created already bound
//               (spec.nodeName round-robin, 100 requests in flight: the scheduler's throughput is
//               the other benchmark's subject) and run by the simulated kubelets, then held for
//               --hold (600) s while a probe measures single-object GET and mutation (ConfigMap
//               merge patch) latency at 10 requests/s each; control-plane RSS and CPU
//
// Usage: node dist/bench/cluster.bench.js [--phases deployment,steady] [--quick] [--results FILE]
// Prints JSON lines, a table, and writes bench/results/cluster-<date>.json. Targets, not tests:
// upstream SLO p99 <= 1 s for single-object calls; <= 3 GiB control-plane RSS.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startServer, distRoot, type BenchServer } from './apiserver/server.js';
import { procCpuSeconds, procMemory } from './proc.js';
import { Client } from '../src/client/client.js';
import { loadKubeconfig, Transport } from '../src/client/transport.js';
import { resourceOf } from '../src/controllers/context.js';
import type { KObject } from '../src/apiserver/object.js';
import { arg, log, num, writeResults, runMain } from './cli.js';

const mib = (b: number) => Math.round(b / 1048576);

const deployments = resourceOf('apps', 'Deployment');
const namespaces = resourceOf('', 'Namespace');
const configMaps = resourceOf('', 'ConfigMap');
const pods = resourceOf('', 'Pod');

/** What is running now (server, sim), stopped on Ctrl-C or SIGTERM too. */
const running = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping the server and the simulated nodes`);
    void Promise.all([...running].map((stop) => stop())).finally(() => process.exit(130));
  });
}

interface Sim {
  pid: number;
  stop(): Promise<void>;
}

async function startSim(kubeconfig: string, nodes: number): Promise<Sim> {
  const child: ChildProcess = spawn(process.execPath, [join(distRoot, 'src', 'cli', 'main.js'), 'sim', '--kubeconfig', kubeconfig, '--nodes', String(nodes), '--zones', '3'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-10_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
  };
  try {
    const deadline = Date.now() + 300_000;
    while (!out.includes('skiff sim ready')) {
      if (child.exitCode !== null) throw new Error(`skiff sim exited with ${child.exitCode}:\n${out}`);
      if (Date.now() > deadline) throw new Error(`skiff sim not ready in 300 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { pid: child.pid as number, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function deployment(ns: string, name: string, replicas: number): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '20Mi' } } }] },
      },
    },
  };
}

async function waitAvailable(client: Client, ns: string, names: string[], replicas: number, timeoutMs: number, onTick: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = 0;
  for (;;) {
    let available = 0;
    for (const n of names) available += ((await client.get(deployments, n, ns)).status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    onTick();
    if (available >= replicas * names.length) return;
    if (Date.now() > deadline) throw new Error(`only ${available}/${replicas * names.length} available after ${timeoutMs / 1000} s`);
    if (Date.now() - lastLog > 15_000) {
      log(`${available}/${replicas * names.length} available`);
      lastLog = Date.now();
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : 0;
}

async function withCluster<T>(nodes: number, fn: (client: Client, server: BenchServer, sim: Sim) => Promise<T>): Promise<T> {
  const server = await startServer({ datastore: 'sqlite', log });
  running.add(server.stop);
  let sim: Sim | undefined;
  try {
    const kubeconfig = join(server.dataDir, 'kubeconfig.yaml');
    const client = new Client(new Transport(loadKubeconfig(kubeconfig)));
    const t0 = Date.now();
    sim = await startSim(kubeconfig, nodes);
    running.add(sim.stop);
    log(`${nodes} simulated nodes ready in ${Date.now() - t0} ms`);
    return await fn(client, server, sim);
  } finally {
    await sim?.stop();
    await server.stop();
    running.clear();
  }
}

async function deploymentPhase(): Promise<Record<string, unknown>> {
  const nodes = num('nodes', 1000, 100);
  const replicas = num('replicas', 30000, 3000);
  return withCluster(nodes, async (client, server, sim) => {
    await client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scale' } });
    const start = Date.now();
    await client.create(deployments, deployment('scale', 'big', replicas));
    let simHwm = 0;
    await waitAvailable(client, 'scale', ['big'], replicas, 1_800_000, () => (simHwm = Math.max(simHwm, procMemory(sim.pid).hwmBytes)));
    const result = { phase: 'deployment', nodes, replicas, secondsToAvailable: (Date.now() - start) / 1000, controlPlanePeakRssMiB: mib(server.memory().hwmBytes), simPeakRssMiB: mib(simHwm) };
    process.stdout.write(JSON.stringify(result) + '\n');
    return result;
  });
}

async function steadyPhase(): Promise<Record<string, unknown>> {
  const nodes = num('steady-nodes', 5000, 500);
  const total = num('steady-pods', 150000, 15000);
  const holdS = num('hold', 600, 60);
  return withCluster(nodes, async (client, server, sim) => {
    await client.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'steady' } });
    const start = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < total) {
          const i = next++;
          await client.create(pods, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `p${i}`, namespace: 'steady', labels: { app: `a${i % 50}` } },
            spec: { nodeName: `sim-node-${i % nodes}`, containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '20Mi' } } }] },
          });
        }
      }),
    );
    log(`${total} pods created in ${(Date.now() - start) / 1000} s`);
    const deadline = Date.now() + 3_600_000;
    for (;;) {
      const notRunning = await client.list(pods, { namespace: 'steady', fieldSelector: 'status.phase!=Running', limit: 1 });
      if (notRunning.items.length === 0) break;
      if (Date.now() > deadline) throw new Error('pods not all Running after an hour');
      await new Promise((r) => setTimeout(r, 5000));
    }
    const fillSeconds = (Date.now() - start) / 1000;
    log(`${total} pods Running in ${fillSeconds} s; holding ${holdS} s`);

    const somePods = (await client.list(pods, { namespace: 'steady', limit: 500 })).items.map((p) => p.metadata.name ?? '');
    await client.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe', namespace: 'steady' }, data: { n: '0' } });
    const gets: number[] = [];
    const mutations: number[] = [];
    const rss: number[] = [];
    const cpu0 = procCpuSeconds(server.pid).total;
    const hold0 = Date.now();
    let i = 0;
    while (Date.now() - hold0 < holdS * 1000) {
      const tick = Date.now();
      const t1 = performance.now();
      await client.get(pods, somePods[i % somePods.length]!, 'steady');
      gets.push(performance.now() - t1);
      const t2 = performance.now();
      await client.patch(configMaps, 'probe', { data: { n: String(i) } }, 'merge', { namespace: 'steady' });
      mutations.push(performance.now() - t2);
      if (i % 50 === 0) rss.push(server.memory().rssBytes);
      i++;
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
    }
    const cpuPercent = Math.round(((procCpuSeconds(server.pid).total - cpu0) / ((Date.now() - hold0) / 1000)) * 100);
    const result = {
      phase: 'steady',
      nodes,
      pods: total,
      fillSeconds,
      holdSeconds: holdS,
      getP50Ms: percentile(gets, 50),
      getP99Ms: percentile(gets, 99),
      mutationP50Ms: percentile(mutations, 50),
      mutationP99Ms: percentile(mutations, 99),
      controlPlaneRssMiB: mib(Math.max(...rss)),
      controlPlanePeakRssMiB: mib(server.memory().hwmBytes),
      controlPlaneCpuPercent: cpuPercent,
      simRssMiB: mib(procMemory(sim.pid).rssBytes),
    };
    process.stdout.write(JSON.stringify(result) + '\n');
    return result;
  });
}

async function main(): Promise<void> {
  const phases = (arg('phases') ?? 'deployment,steady').split(',');
  const results: Record<string, unknown>[] = [];
  if (phases.includes('deployment')) results.push(await deploymentPhase());
  if (phases.includes('steady')) results.push(await steadyPhase());
  for (const r of results) process.stdout.write(Object.entries(r).map(([k, v]) => `${k}=${String(v)}`).join('  ') + '\n');
  writeResults('cluster', { date: new Date().toISOString(), machine: '2-core VM', results });
}

runMain(main);
