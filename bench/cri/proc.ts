// Process memory for the CRI benchmark, read from /proc: RSS from /proc/PID/status (VmRSS) and
// PSS from /proc/PID/smaps_rollup (each shared page divided by the number of processes mapping
// it — the fair share when a hundred conmons or shims map the same libraries) and USS (private
// pages only: what ending the process would free) from the same file.
//
// Helper processes (conmon, containerd-shim-runc-v2) daemonise and are re-parented, so they are
// found by their command name plus a string their command line must contain (the runtime's
// own directory or socket), never by name alone: other runtimes on the machine have them too.

import { readdirSync, readFileSync } from 'node:fs';

export interface ProcMemory {
  rssBytes: number;
  pssBytes: number;
  ussBytes: number;
}

function kbField(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** RSS and PSS of one process; zeros when it has gone. */
export function procMemory(pid: number): ProcMemory {
  try {
    const rssBytes = kbField(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS');
    let pssBytes = 0;
    let ussBytes = 0;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pssBytes = kbField(rollup, 'Pss');
      ussBytes = kbField(rollup, 'Private_Clean') + kbField(rollup, 'Private_Dirty');
    } catch {
      // kernels before 4.14 have no smaps_rollup; PSS and USS stay 0 and the table says so
    }
    return { rssBytes, pssBytes, ussBytes };
  } catch {
    return { rssBytes: 0, pssBytes: 0, ussBytes: 0 };
  }
}

/** Sum of procMemory over `pids`. */
export function sumMemory(pids: number[]): ProcMemory {
  const out = { rssBytes: 0, pssBytes: 0, ussBytes: 0 };
  for (const p of pids) {
    const m = procMemory(p);
    out.rssBytes += m.rssBytes;
    out.pssBytes += m.pssBytes;
    out.ussBytes += m.ussBytes;
  }
  return out;
}

/**
 * PIDs whose command name (/proc/PID/comm, at most 15 characters) starts with `commPrefix` and
 * whose command line contains `cmdlineContains`.
 */
export function findProcesses(commPrefix: string, cmdlineContains: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/comm`, 'utf8').startsWith(commPrefix)) continue;
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(cmdlineContains)) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** `pid` and its direct children: a runtime with the helpers it keeps (skiff's process spawner). */
export function withChildren(pid: number): number[] {
  const out = [pid];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export const mib = (bytes: number): number => Math.round((bytes / 1048576) * 100) / 100;
