// Process facts for the benchmarks, read from /proc: memory — RSS and its peak from
// /proc/PID/status (VmRSS, VmHWM), PSS from /proc/PID/smaps_rollup (each shared page divided by the number of processes mapping
// it — the fair share when a hundred conmons or shims map the same libraries) and USS (private
// pages only: what ending the process would free) from the same file.
//
// Helper processes (conmon, containerd-shim-runc-v2) daemonise and are re-parented, so they are
// found by their command name plus a string their command line must contain (the runtime's
// own directory or socket), never by name alone: other runtimes on the machine have them too.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  rssBytes: number;
  /** Peak RSS (VmHWM). */
  hwmBytes: number;
  pssBytes: number;
  ussBytes: number;
}

function kbField(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** RSS, peak RSS, PSS and USS of one process; zeros when it has gone. */
export function procMemory(pid: number): ProcMemory {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssBytes = kbField(status, 'VmRSS');
    const hwmBytes = kbField(status, 'VmHWM');
    let pssBytes = 0;
    let ussBytes = 0;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pssBytes = kbField(rollup, 'Pss');
      ussBytes = kbField(rollup, 'Private_Clean') + kbField(rollup, 'Private_Dirty');
    } catch {
      // kernels before 4.14 have no smaps_rollup; PSS and USS stay 0 and the table says so
    }
    return { rssBytes, hwmBytes, pssBytes, ussBytes };
  } catch {
    return { rssBytes: 0, hwmBytes: 0, pssBytes: 0, ussBytes: 0 };
  }
}

/** Sum of procMemory over `pids`. */
export function sumMemory(pids: number[]): ProcMemory {
  const out = { rssBytes: 0, hwmBytes: 0, pssBytes: 0, ussBytes: 0 };
  for (const p of pids) {
    const m = procMemory(p);
    out.rssBytes += m.rssBytes;
    out.hwmBytes += m.hwmBytes;
    out.pssBytes += m.pssBytes;
    out.ussBytes += m.ussBytes;
  }
  return out;
}

/** The pids in /proc that `match` accepts (a process that ends while we look is skipped). */
function pidsWhere(match: (pid: string) => boolean): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (match(d)) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const cmdline = (pid: string): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

/** The fields of /proc/PID/stat after "pid (comm) ": comm may hold spaces, so split after its ')'. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * PIDs whose command name (/proc/PID/comm, at most 15 characters) starts with `commPrefix` and
 * whose command line contains `cmdlineContains`.
 */
export function findProcesses(commPrefix: string, cmdlineContains: string): number[] {
  return pidsWhere((d) => readFileSync(`/proc/${d}/comm`, 'utf8').startsWith(commPrefix) && cmdline(d).includes(cmdlineContains));
}

/** The PID of a process whose command line contains every one of `parts` (e.g. etcd's port). */
export function findPid(parts: string[]): number | undefined {
  return pidsWhere((d) => parts.every((p) => cmdline(d).includes(p)))[0];
}

/** `pid` and its direct children: a runtime with the helpers it keeps (skiff's process spawner). */
export function withChildren(pid: number): number[] {
  return [pid, ...pidsWhere((d) => Number(statFields(d)[1]) === pid)];
}

/** user+system CPU seconds `pid` has used, and the system part (stat fields 14 and 15, in clock ticks). */
export function procCpuSeconds(pid: number): { total: number; sys: number } {
  const f = statFields(pid);
  return { total: (Number(f[11]) + Number(f[12])) / 100, sys: Number(f[12]) / 100 };
}

export const mib = (bytes: number): number => Math.round((bytes / 1048576) * 100) / 100;
