// CRI runtime benchmarks (issue 4), skiff's runtime side by side with Debian's containerd 1.6 in
// the same run, both driven through skiff's CriClient over their unix sockets:
//
//   start    RunPodSandbox + CreateContainer + StartContainer of a busybox `sleep 3600` pod, image
//            present, --pods pods one after the other (after --warmup pods that are not counted):
//            p50/p99 of the total and p50 of each RPC, and the ratio skiff/containerd.
//   density  with those pods running: RSS/PSS of the runtime process, and of the per-pod helper
//            processes (skiff: conmon, one per container incl. the infra container; containerd:
//            containerd-shim-runc-v2) summed and divided by the pods.
//   pull     cold pull of a ~--pull-mb MB image (busybox + a layer of incompressible padding)
//            from the local registry, --pull-reps times (image removed before each), median.
//
// Both runtimes run at the same time and take turns — pod by pod, pull by pull, the order
// alternating — so that both meet the same background load on a shared machine. They pull from
// one local docker-registry on 127.0.0.1 (docker.io mirrored to it), get their own CNI bridge,
// pod subnet, cgroup parent and temp dirs, and are cleaned up afterwards.
//
// Usage: node dist/bench/cri.bench.js [--pods 100] [--warmup 5] [--pull-mb 50] [--pull-reps 3]
//        [--runtimes skiff,containerd] [--phases start,density,pull] [--quick] [--results FILE]
// Prints one JSON line per runtime, a table and writes bench/results/cri-<date>.json.
// Targets, not tests: start p50 <= 150 ms and skiff/containerd <= 1.0; <= 1 MB per pod.

import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, type BuiltImage } from '../scripts/build-test-image.js';
import { startRegistry, type LocalRegistry } from '../test/helpers/registry.js';
import { startContainerdTarget } from './cri/containerd.js';
import { BENCH_IMAGE, densityPhase, pullPhase, removePods, startPhase, type BenchPod, type DensityResult, type PullResult, type StartResult } from './cri/phases.js';
import { sumMemory, withChildren } from './proc.js';
import { startSkiffTarget, type BenchTarget } from './cri/target.js';
import { arg, log, num, writeResults, runMain } from './cli.js';


const PAD_IMAGE = 'docker.io/library/cri-bench-pad:latest';

interface Images {
  busybox: BuiltImage;
  pad: BuiltImage;
  padBytes: number;
}

interface RuntimeResult {
  runtime: string;
  version: string;
  start?: StartResult;
  density?: DensityResult;
  cleanupSeconds?: number;
  pull?: PullResult;
}

type Phase = 'start' | 'density' | 'pull';

/** Runs the phases on all targets together, the targets taking turns pod by pod and pull by pull. */
async function benchRuntimes(targets: BenchTarget[], images: Images, opts: { pods: number; warmup: number; pullReps: number; phases: Set<Phase>; logRoot: string }): Promise<RuntimeResult[]> {
  const out = new Map<BenchTarget, RuntimeResult>();
  const idle = new Map<BenchTarget, number>();
  for (const t of targets) {
    const v = await t.client.version({});
    out.set(t, { runtime: t.name, version: `${v.runtime_name} ${v.runtime_version}` });
    // Freshly started, before any pull or pod.
    idle.set(t, sumMemory(withChildren(t.runtimePid())).rssBytes);
  }
  if (opts.phases.has('pull')) {
    log(`pull of ${(images.padBytes / 1e6).toFixed(1)} MB x${opts.pullReps} on ${targets.map((t) => t.name).join(', ')}`);
    for (const [t, r] of await pullPhase(targets, PAD_IMAGE, images.padBytes, opts.pullReps)) out.get(t)!.pull = r;
  }
  if (opts.phases.has('start') || opts.phases.has('density')) {
    for (const t of targets) await t.client.pullImage({ image: { image: BENCH_IMAGE } });
    log(`starting ${opts.warmup} warm-up + ${opts.pods} pods on each runtime, alternating`);
    const running = new Map<BenchTarget, BenchPod[]>();
    try {
      const started = await startPhase(targets, running, opts);
      for (const t of targets) {
        if (opts.phases.has('start')) out.get(t)!.start = started.get(t)!;
        if (opts.phases.has('density')) out.get(t)!.density = await densityPhase(t, running.get(t)!.length, idle.get(t)!);
      }
    } finally {
      for (const [t, pods] of running) out.get(t)!.cleanupSeconds = Math.round((await removePods(t, pods)) * 100) / 100;
    }
  }
  const results = targets.map((t) => out.get(t)!);
  for (const r of results) process.stdout.write(JSON.stringify(r) + '\n');
  return results;
}

const pad = (v: unknown, n: number): string => String(v ?? '-').padStart(n);

function printTable(results: RuntimeResult[]): void {
  const lines: string[] = [];
  const by = (name: string) => results.find((r) => r.runtime === name);
  const s = by('skiff');
  const c = by('containerd');
  const ratio = (a?: number, b?: number): string => (a !== undefined && b ? (a / b).toFixed(2) : '-');
  lines.push('', 'start: RunPodSandbox + CreateContainer + StartContainer (ms, sequential)');
  lines.push('| runtime    |  pods |   p50 |   p99 |  mean | RunPodSandbox p50 | CreateContainer p50 | StartContainer p50 |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const t = r.start;
    if (t) lines.push(`| ${r.runtime.padEnd(10)} | ${pad(t.pods, 5)} | ${pad(t.p50Ms, 5)} | ${pad(t.p99Ms, 5)} | ${pad(t.meanMs, 5)} | ${pad(t.runPodSandboxP50Ms, 17)} | ${pad(t.createContainerP50Ms, 19)} | ${pad(t.startContainerP50Ms, 18)} |`);
  }
  if (s?.start && c?.start) lines.push(`ratio skiff/containerd: p50 ${ratio(s.start.p50Ms, c.start.p50Ms)}, p99 ${ratio(s.start.p99Ms, c.start.p99Ms)}   (targets: p50 <= 150 ms, ratio <= 1.0)`);
  const cleanup = results.filter((r) => r.cleanupSeconds !== undefined).map((r) => `${r.runtime} ${r.cleanupSeconds} s`);
  if (cleanup.length > 0) lines.push(`cleanup, StopPodSandbox + RemovePodSandbox of the pods one by one: ${cleanup.join(', ')}`);
  lines.push('', 'density: pods running (MiB; per pod = helper processes / pods)');
  lines.push('| runtime    |  pods | runtime RSS at start | runtime RSS | runtime PSS | helper                  | procs | helper RSS/pod | helper PSS/pod | helper USS/pod |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const d = r.density;
    if (d) lines.push(`| ${r.runtime.padEnd(10)} | ${pad(d.pods, 5)} | ${pad(d.runtimeIdleRssMiB, 20)} | ${pad(d.runtimeRssMiB, 11)} | ${pad(d.runtimePssMiB, 11)} | ${d.helper.padEnd(23)} | ${pad(d.helperProcesses, 5)} | ${pad(d.helperRssPerPodMiB, 14)} | ${pad(d.helperPssPerPodMiB, 14)} | ${pad(d.helperUssPerPodMiB, 14)} |`);
  }
  lines.push('target: <= 1 MB per pod. Runtime = its process and the children it keeps (skiff: the tool spawner). RSS counts shared library pages in every process; PSS divides them among the processes sharing them; USS is private pages only');
  lines.push('', 'pull: cold pull from the local registry (image removed before each)');
  lines.push('| runtime    |    MB | reps | median s | MB/s  | all s');
  lines.push('|---|---|---|---|---|---|');
  for (const r of results) {
    const p = r.pull;
    if (p) lines.push(`| ${r.runtime.padEnd(10)} | ${pad((p.bytes / 1e6).toFixed(1), 5)} | ${pad(p.repetitions, 4)} | ${pad(p.medianSeconds, 8)} | ${pad(p.medianMBps, 5)} | ${p.seconds.join(', ')}`);
  }
  if (s?.pull && c?.pull) lines.push(`ratio skiff/containerd (median seconds): ${ratio(s.pull.medianSeconds, c.pull.medianSeconds)}`);
  lines.push('', `machine: ${cpus().length}-core VM, shared with other work while this ran: numbers are indicative`);
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(): Promise<void> {
  const pods = num('pods', 100, 10);
  const warmup = num('warmup', 5, 2);
  const pullMb = num('pull-mb', 50, 50);
  const pullReps = num('pull-reps', 3, 1);
  const runtimes = (arg('runtimes') ?? 'skiff,containerd').split(',');
  const phases = new Set((arg('phases') ?? 'start,density,pull').split(',') as Phase[]);
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cri-bench-'));
  let registry: LocalRegistry | undefined;
  let results: RuntimeResult[] = [];
  try {
    const busybox = await buildBusyboxImage(join(dir, 'busybox'));
    const padImage = await buildBusyboxImage(join(dir, 'pad'), { paddingBytes: pullMb * 1e6 });
    registry = await startRegistry();
    await registry.push(busybox.dir, 'library/busybox:latest');
    await registry.push(padImage.dir, 'library/cri-bench-pad:latest');
    const images: Images = { busybox, pad: padImage, padBytes: padImage.manifestSize + padImage.layers.reduce((a, l) => a + l.size, 0) };
    const targets: BenchTarget[] = [];
    try {
      for (const name of runtimes) {
        if (name === 'skiff') targets.push(await startSkiffTarget(registry, busybox));
        else if (name === 'containerd') targets.push(await startContainerdTarget(registry));
        else throw new Error(`--runtimes: unknown runtime "${name}" (want skiff, containerd)`);
      }
      results = await benchRuntimes(targets, images, { pods, warmup, pullReps, phases, logRoot: join(dir, 'logs') });
    } catch (err) {
      for (const t of targets) process.stderr.write(`--- ${t.name} log (tail) ---\n${t.logs().slice(-4000)}\n`);
      throw err;
    } finally {
      for (const t of targets) await t.stop().catch((e: unknown) => log(`${t.name}: cleanup failed: ${(e as Error).message}`));
    }
  } finally {
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  printTable(results);
  writeResults('cri', { date: new Date().toISOString(), machine: `${cpus().length}-core VM, shared with other work (numbers are indicative)`, options: { pods, warmup, pullMb, pullReps }, results });
}

runMain(main);
