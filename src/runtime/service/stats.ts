// Container and pod sandbox stats from cgroup v1 files (this machine's hierarchy; v2 files are
// read when the host is v2): CPU time and a rate between two samples, memory usage and working
// set (usage minus inactive file pages, as cAdvisor and kubelet compute it), the writable
// layer's disk use, and the pod's network counters from /proc/net/dev as a process in the pod sees it.

import { readTextIfAny } from '../../util/fs.js';
import path from 'node:path';
import type { ContainerStats, CpuUsage, Input, MemoryUsage, NetworkUsage, PodSandboxStats } from '../../cri/types.js';
import { rootfsPaths } from '../images/rootfs.js';
import { containerRuntime, type RuntimeContext } from './context.js';
import { diskUsage } from './disk-usage.js';
import { isHostNetwork, sandboxLiveness } from './sandbox.js';
import { nowNs, type ContainerRecord, type SandboxRecord } from './state.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** cgroup v1 reports "no limit" as a page-aligned huge number. */
const NO_LIMIT = 2 ** 62;

const read = readTextIfAny;

async function num(file: string): Promise<number | undefined> {
  const t = await read(file);
  if (t === undefined) return undefined;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : undefined;
}

function statField(text: string | undefined, key: string): number | undefined {
  const m = text === undefined ? null : new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

const u64 = (v: number | undefined): { value: number } | null => (v === undefined ? null : { value: Math.max(0, Math.round(v)) });

/** Previous CPU samples, by cgroup path, for usage_nano_cores. */
const lastCpu = new Map<string, { ts: number; usage: number }>();

/** Drops a removed container's CPU sample. */
export function forgetStats(cgroupsPath: string | undefined): void {
  if (cgroupsPath !== undefined) lastCpu.delete(cgroupsPath);
}

async function cpuUsage(cg: string, ts: number): Promise<Input<CpuUsage>> {
  const usage = await num(path.join(CGROUP_ROOT, 'cpuacct', cg, 'cpuacct.usage'));
  const out: Input<CpuUsage> = { timestamp: ts, usage_core_nano_seconds: u64(usage) };
  const prev = lastCpu.get(cg);
  if (usage !== undefined) {
    if (prev && ts > prev.ts && usage >= prev.usage) out.usage_nano_cores = u64(((usage - prev.usage) / (ts - prev.ts)) * 1e9);
    lastCpu.set(cg, { ts, usage });
  }
  return out;
}

async function memoryUsage(cg: string, ts: number): Promise<Input<MemoryUsage>> {
  const dir = path.join(CGROUP_ROOT, 'memory', cg);
  const [usage, limit, stat] = await Promise.all([num(path.join(dir, 'memory.usage_in_bytes')), num(path.join(dir, 'memory.limit_in_bytes')), read(path.join(dir, 'memory.stat'))]);
  const inactiveFile = statField(stat, 'total_inactive_file') ?? 0;
  const workingSet = usage === undefined ? undefined : Math.max(0, usage - inactiveFile);
  const out: Input<MemoryUsage> = {
    timestamp: ts,
    working_set_bytes: u64(workingSet),
    usage_bytes: u64(usage),
    rss_bytes: u64(statField(stat, 'total_rss')),
    page_faults: u64(statField(stat, 'total_pgfault')),
    major_page_faults: u64(statField(stat, 'total_pgmajfault')),
  };
  if (limit !== undefined && limit < NO_LIMIT && workingSet !== undefined) out.available_bytes = u64(limit - workingSet);
  return out;
}

export async function containerStats(ctx: RuntimeContext, rec: ContainerRecord): Promise<Input<ContainerStats>> {
  const ts = nowNs();
  const attributes = { id: rec.id, metadata: rec.config.metadata, labels: rec.config.labels, annotations: rec.config.annotations };
  const cg = await containerRuntime(ctx, rec).cgroupsPath(rec.handle);
  const upper = rootfsPaths(ctx.root, rec.id).upper;
  const disk = await diskUsage(upper);
  const out: Input<ContainerStats> = {
    attributes,
    writable_layer: { timestamp: ts, fs_id: { mountpoint: upper }, used_bytes: { value: disk.bytes }, inodes_used: { value: disk.inodes } },
  };
  if (cg !== undefined) {
    out.cpu = await cpuUsage(cg, ts);
    out.memory = await memoryUsage(cg, ts);
  }
  return out;
}

async function networkUsage(pid: number, ts: number): Promise<Input<NetworkUsage>> {
  const text = (await read(`/proc/${pid}/net/dev`)) ?? '';
  const interfaces = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = (m[2] ?? '').trim().split(/\s+/).map(Number);
    interfaces.push({ name: m[1], rx_bytes: u64(f[0]), rx_errors: u64(f[2]), tx_bytes: u64(f[8]), tx_errors: u64(f[10]) });
  }
  return { timestamp: ts, default_interface: interfaces.find((i) => i.name === 'eth0') ?? interfaces[0] ?? null, interfaces };
}

export async function sandboxStats(ctx: RuntimeContext, sb: SandboxRecord): Promise<Input<PodSandboxStats>> {
  const ts = nowNs();
  const started = ctx.containers.values().filter((c) => c.sandboxId === sb.id && c.phase === 'started');
  const containers: Input<ContainerStats>[] = [];
  for (const c of started) containers.push(await containerStats(ctx, c));
  const sum = (pick: (s: Input<ContainerStats>) => { value?: number } | null | undefined): { value: number } => ({
    value: containers.reduce((n, s) => n + (pick(s)?.value ?? 0), 0),
  });
  const out: Input<PodSandboxStats> = {
    attributes: { id: sb.id, metadata: sb.config.metadata, labels: sb.config.labels, annotations: sb.config.annotations },
    linux: {
      cpu: { timestamp: ts, usage_core_nano_seconds: sum((s) => s.cpu?.usage_core_nano_seconds), usage_nano_cores: sum((s) => s.cpu?.usage_nano_cores) },
      memory: { timestamp: ts, working_set_bytes: sum((s) => s.memory?.working_set_bytes), usage_bytes: sum((s) => s.memory?.usage_bytes), rss_bytes: sum((s) => s.memory?.rss_bytes) },
      containers,
    },
  };
  const { ready, infraPid: infra } = await sandboxLiveness(ctx, sb);
  if (out.linux && ready) {
    // The pod's network counters as any process in its namespace sees them: the infra process,
    // or (pinned namespaces) a running container.
    let inPod = infra;
    for (const c of started) inPod ??= await containerRuntime(ctx, c).runningPid(c.handle);
    if (inPod !== undefined && !isHostNetwork(sb.config)) out.linux.network = await networkUsage(inPod, ts);
    // Every process of the pod: each container's pids.current, plus the infra process.
    let count = infra === undefined ? 0 : 1;
    for (const c of started) {
      const cg = await containerRuntime(ctx, c).cgroupsPath(c.handle);
      if (cg !== undefined) count += (await num(path.join(CGROUP_ROOT, 'pids', cg, 'pids.current'))) ?? 0;
    }
    out.linux.process = { timestamp: ts, process_count: { value: count } };
  }
  return out;
}
