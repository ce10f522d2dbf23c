// Cgroup resources and OOM score from CRI LinuxContainerResources. Zero means "unset" in CRI
// (proto3 defaults), so only non-zero values reach the spec. Settings this host's cgroup setup
// cannot apply (hugetlb not mounted, unified on cgroup v1) are dropped with a warning instead
// of letting runc fail the container.

import { CriError } from '../../cri/errors.js';
import type { LinuxContainerResources } from './cri-types.js';
import type { OciResources } from './oci-types.js';

/** What the host's cgroup setup supports, from detectHostFeatures(). */
export interface ResourceHost {
  /** This process's own oom_score_adj: the kernel here refuses to lower it, so it is the floor. */
  oomScoreAdjMin: number;
  hugetlb: boolean;
  swapAccounting: boolean;
  cgroupV2: boolean;
}

export interface ResourcesResult {
  resources: OciResources;
  oomScoreAdj: number;
  warnings: string[];
}

function int(v: number | undefined, field: string, min: number): number {
  const n = v ?? 0;
  if (!Number.isSafeInteger(n) || n < min) throw CriError.invalidArgument(`${field} must be an integer >= ${min}, got ${String(v)}`);
  return n;
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/**
 * linux.resources (without devices) and process.oomScoreAdj. oom_score_adj is clamped to
 * [host floor, 1000], like containerd's restrict_oom_score_adj: a container cannot be made
 * less killable than the runtime itself.
 */
export function buildResources(r: LinuxContainerResources | null | undefined, host: ResourceHost, pidsLimit?: number): ResourcesResult {
  const warnings: string[] = [];
  const resources: OciResources = {};

  const cpu: NonNullable<OciResources['cpu']> = {};
  const shares = int(r?.cpu_shares, 'cpu_shares', 0);
  const quota = int(r?.cpu_quota, 'cpu_quota', -1);
  const period = int(r?.cpu_period, 'cpu_period', 0);
  if (shares > 0) cpu.shares = shares;
  if (quota !== 0) cpu.quota = quota;
  if (period > 0) cpu.period = period;
  for (const [field, key] of [['cpuset_cpus', 'cpus'], ['cpuset_mems', 'mems']] as const) {
    const v = (r?.[field] ?? '').replace(/\s+/g, '');
    if (v === '') continue;
    if (!CPU_LIST.test(v)) throw CriError.invalidArgument(`${field} "${r?.[field]}" is not a list like "0-2,4"`);
    cpu[key] = v;
  }
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;

  const limit = int(r?.memory_limit_in_bytes, 'memory_limit_in_bytes', 0);
  const swap = int(r?.memory_swap_limit_in_bytes, 'memory_swap_limit_in_bytes', 0);
  if (limit > 0 || swap > 0) {
    const memory: NonNullable<OciResources['memory']> = {};
    if (limit > 0) memory.limit = limit;
    if (swap > 0) {
      if (limit > 0 && swap < limit) throw CriError.invalidArgument(`memory_swap_limit_in_bytes (${swap}) is below memory_limit_in_bytes (${limit})`);
      if (host.swapAccounting) memory.swap = swap;
      else warnings.push('memory_swap_limit_in_bytes ignored: swap accounting is not enabled on this host');
    } else if (limit > 0 && host.swapAccounting) {
      // No swap beyond the memory limit: memory+swap = limit (kubelet's and containerd's default).
      memory.swap = limit;
    }
    resources.memory = memory;
  }

  if (pidsLimit !== undefined && pidsLimit > 0) resources.pids = { limit: int(pidsLimit, 'pids limit', 1) };

  const huge = r?.hugepage_limits ?? [];
  if (huge.length > 0) {
    if (host.hugetlb) {
      resources.hugepageLimits = huge.map((h) => {
        if (!/^\d+(KB|MB|GB)$/.test(h.page_size)) throw CriError.invalidArgument(`hugepage page_size "${h.page_size}" is not like "2MB" or "1GB"`);
        return { pageSize: h.page_size, limit: int(h.limit, `hugepage limit for ${h.page_size}`, 0) };
      });
    } else {
      warnings.push('hugepage_limits ignored: the hugetlb cgroup controller is not mounted on this host');
    }
  }

  const unified = r?.unified ?? {};
  if (Object.keys(unified).length > 0) {
    if (host.cgroupV2) resources.unified = { ...unified };
    else warnings.push('unified cgroup settings ignored: this host uses cgroup v1');
  }

  const requested = int(r?.oom_score_adj, 'oom_score_adj', -1000);
  if (requested > 1000) throw CriError.invalidArgument(`oom_score_adj must be between -1000 and 1000, got ${requested}`);
  const oomScoreAdj = Math.min(1000, Math.max(requested, host.oomScoreAdjMin));
  return { resources, oomScoreAdj, warnings };
}
