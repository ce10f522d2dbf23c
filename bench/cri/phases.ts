// The three measurements of the CRI benchmark, each run against one BenchTarget through the
// same CriClient: pod start latency (RunPodSandbox + CreateContainer + StartContainer, each RPC
// timed on its own), memory with N pods running, and a cold image pull.

import { join } from 'node:path';
import type { ContainerConfig, Input, PodSandboxConfig } from '../../src/cri/types.js';
import { mib, sumMemory, withChildren } from '../proc.js';
import type { BenchTarget } from './target.js';

const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
const r1 = (n: number): number => Math.round(n * 10) / 10;

function elapsedMs(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface PodTiming {
  runPodSandboxMs: number;
  createContainerMs: number;
  startContainerMs: number;
  totalMs: number;
}

export interface StartResult {
  pods: number;
  warmup: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** p50 of each RPC on its own (they need not add up to the total's p50). */
  runPodSandboxP50Ms: number;
  createContainerP50Ms: number;
  startContainerP50Ms: number;
  runPodSandboxP99Ms: number;
  createContainerP99Ms: number;
  startContainerP99Ms: number;
}

export interface BenchPod {
  sandboxId: string;
  containerId: string;
}

export const BENCH_IMAGE = 'docker.io/library/busybox:latest';

function podConfig(target: BenchTarget, name: string, logRoot: string): Input<PodSandboxConfig> {
  return {
    metadata: { name, namespace: 'cri-bench', uid: `${target.tag}-${name}`, attempt: 0 },
    hostname: name,
    log_directory: join(logRoot, name),
    labels: { app: 'cri-bench' },
    linux: { cgroup_parent: target.cgroupParent, security_context: { namespace_options: KUBELET_NAMESPACES } },
  };
}

/** What kubelet sends for a pod without hostNetwork/hostPID/hostIPC/shareProcessNamespace. */
const KUBELET_NAMESPACES = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } as const;

const containerConfig: Input<ContainerConfig> = {
  metadata: { name: 'sleep', attempt: 0 },
  image: { image: BENCH_IMAGE },
  command: ['sleep', '3600'],
  log_path: 'sleep.log',
  labels: { app: 'cri-bench' },
  linux: { security_context: { namespace_options: KUBELET_NAMESPACES } },
};

/** One pod: sandbox, container, start — each RPC timed. */
async function startPod(target: BenchTarget, name: string, logRoot: string): Promise<{ pod: BenchPod; timing: PodTiming }> {
  const config = podConfig(target, name, logRoot);
  const t0 = process.hrtime.bigint();
  const { pod_sandbox_id } = await target.client.runPodSandbox({ config, runtime_handler: '' });
  const runPodSandboxMs = elapsedMs(t0);
  const t1 = process.hrtime.bigint();
  const { container_id } = await target.client.createContainer({ pod_sandbox_id, config: containerConfig, sandbox_config: config });
  const createContainerMs = elapsedMs(t1);
  const t2 = process.hrtime.bigint();
  await target.client.startContainer({ container_id });
  const startContainerMs = elapsedMs(t2);
  return { pod: { sandboxId: pod_sandbox_id, containerId: container_id }, timing: { runPodSandboxMs, createContainerMs, startContainerMs, totalMs: elapsedMs(t0) } };
}

/** Stops and removes pods one after the other; returns the seconds it took. */
export async function removePods(target: BenchTarget, pods: BenchPod[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (const p of pods) {
    await target.client.stopPodSandbox({ pod_sandbox_id: p.sandboxId });
    await target.client.removePodSandbox({ pod_sandbox_id: p.sandboxId });
  }
  return elapsedMs(t0) / 1000;
}

function summarize(timings: PodTiming[], warmup: number): StartResult {
  const sorted = (f: (t: PodTiming) => number): number[] => timings.map(f).sort((a, b) => a - b);
  const total = sorted((t) => t.totalMs);
  const run = sorted((t) => t.runPodSandboxMs);
  const create = sorted((t) => t.createContainerMs);
  const start = sorted((t) => t.startContainerMs);
  return {
    pods: timings.length,
    warmup,
    p50Ms: r1(percentile(total, 50)),
    p99Ms: r1(percentile(total, 99)),
    meanMs: r1(total.reduce((a, b) => a + b, 0) / Math.max(1, total.length)),
    runPodSandboxP50Ms: r1(percentile(run, 50)),
    createContainerP50Ms: r1(percentile(create, 50)),
    startContainerP50Ms: r1(percentile(start, 50)),
    runPodSandboxP99Ms: r1(percentile(run, 99)),
    createContainerP99Ms: r1(percentile(create, 99)),
    startContainerP99Ms: r1(percentile(start, 99)),
  };
}

/** Each target in turn, the order alternating with `round` so neither always goes first. */
function inTurn<T>(targets: T[], round: number): T[] {
  return round % 2 === 0 ? targets : [...targets].reverse();
}

/**
 * Starts `warmup` pods on each target (then removes them), then `pods` pods per target, one
 * pod at a time, alternating between the targets so that both meet the same background load
 * on a shared machine. The pods are left running for the density measurement and returned;
 * the caller removes them (removePods), also when this throws (`running` is filled as it goes).
 */
export async function startPhase(
  targets: BenchTarget[],
  running: Map<BenchTarget, BenchPod[]>,
  opts: { pods: number; warmup: number; logRoot: string },
): Promise<Map<BenchTarget, StartResult>> {
  for (const t of targets) running.set(t, []);
  for (let i = 0; i < opts.warmup; i++) {
    for (const t of inTurn(targets, i)) running.get(t)!.push((await startPod(t, `warm-${i}`, join(opts.logRoot, t.name))).pod);
  }
  for (const t of targets) await removePods(t, running.get(t)!.splice(0));
  const timings = new Map<BenchTarget, PodTiming[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < opts.pods; i++) {
    for (const t of inTurn(targets, i)) {
      const { pod, timing } = await startPod(t, `pod-${i}`, join(opts.logRoot, t.name));
      running.get(t)!.push(pod);
      timings.get(t)!.push(timing);
    }
    if ((i + 1) % 25 === 0) log(`${i + 1}/${opts.pods} pods started on ${targets.map((t) => t.name).join(' and ')}`);
  }
  return new Map(targets.map((t) => [t, summarize(timings.get(t)!, opts.warmup)]));
}

export interface DensityResult {
  pods: number;
  /** RSS of the runtime (with its child processes, as below) right after it started (before pulls and pods). */
  runtimeIdleRssMiB: number;
  runtimeRssMiB: number;
  runtimePssMiB: number;
  /** conmon (skiff) or containerd-shim-runc-v2 (containerd) processes found. */
  helper: string;
  helperProcesses: number;
  helperRssMiB: number;
  helperPssMiB: number;
  helperRssPerPodMiB: number;
  helperPssPerPodMiB: number;
  helperUssPerPodMiB: number;
}

/** Memory of the runtime process and of its per-pod helper processes while `pods` pods run. */
export async function densityPhase(target: BenchTarget, pods: number, idleRssBytes: number): Promise<DensityResult> {
  // Let start-up allocations settle (GC in node, shims finishing their own start).
  await new Promise((r) => setTimeout(r, 3000));
  // The runtime with the processes it keeps beside it (skiff's tool spawner; containerd has none).
  const rt = sumMemory(withChildren(target.runtimePid()));
  const helpers = target.helperPids();
  const h = sumMemory(helpers);
  return {
    pods,
    runtimeIdleRssMiB: mib(idleRssBytes),
    runtimeRssMiB: mib(rt.rssBytes),
    runtimePssMiB: mib(rt.pssBytes),
    helper: target.helperName,
    helperProcesses: helpers.length,
    helperRssMiB: mib(h.rssBytes),
    helperPssMiB: mib(h.pssBytes),
    helperRssPerPodMiB: mib(h.rssBytes / Math.max(1, pods)),
    helperPssPerPodMiB: mib(h.pssBytes / Math.max(1, pods)),
    helperUssPerPodMiB: mib(h.ussBytes / Math.max(1, pods)),
  };
}

export interface PullResult {
  image: string;
  /** Compressed bytes on the wire: manifest + layers (config excluded). */
  bytes: number;
  repetitions: number;
  seconds: number[];
  medianSeconds: number;
  medianMBps: number;
}

async function pullOnce(target: BenchTarget, image: string): Promise<number> {
  const present = await target.client.imageStatus({ image: { image } });
  if (present.image) await target.client.removeImage({ image: { image: present.image.id } });
  const t0 = process.hrtime.bigint();
  await target.client.pullImage({ image: { image } });
  return elapsedMs(t0) / 1000;
}

/**
 * Removes `image` if present, then pulls it; `reps` times per target, the targets taking turns;
 * the median of the pull times. The image is removed again at the end.
 */
export async function pullPhase(targets: BenchTarget[], image: string, bytes: number, reps: number): Promise<Map<BenchTarget, PullResult>> {
  const seconds = new Map<BenchTarget, number[]>(targets.map((t) => [t, []]));
  for (let i = 0; i < reps; i++) {
    for (const t of inTurn(targets, i)) seconds.get(t)!.push(await pullOnce(t, image));
  }
  for (const t of targets) {
    const st = await t.client.imageStatus({ image: { image } });
    if (st.image) await t.client.removeImage({ image: { image: st.image.id } });
  }
  return new Map(
    targets.map((t) => {
      const s = seconds.get(t)!;
      const med = median(s);
      return [t, { image, bytes, repetitions: reps, seconds: s.map((x) => Math.round(x * 1000) / 1000), medianSeconds: Math.round(med * 1000) / 1000, medianMBps: r1(bytes / 1e6 / Math.max(med, 1e-9)) }];
    }),
  );
}
