// `skiff reset` for the runtime: removes every sandbox and container with all the OS resources
// they hold (processes, rootfs mounts, /dev/shm tmpfs, network namespaces, CNI attachments and
// their iptables rules, cgroups), the default bridge, and the runtime's records and volatile
// state. Images and unpacked snapshots stay (a reset is not an uninstall). It runs the same
// removal code as RemovePodSandbox, after recovery has found orphans that no record names.
// Refuses to run while a runtime serves the socket.

import { readdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { socketPath, socketServed } from '../../cri/server.js';
import { DEFAULT_BRIDGE } from '../../network/cni-config.js';
import { runTool, unmountAllUnder } from '../mount.js';
import { DEFAULT_RUNTIME_SOCKET } from '../defaults.js';
import { recover } from './recover.js';
import { removeSandboxResources, stopSandbox } from './sandbox.js';
import { createContext, type RuntimeOptions } from './service.js';

export interface ResetOptions extends Omit<RuntimeOptions, 'socket' | 'log'> {
  socket?: string;
}

export interface ResetReport {
  sandboxes: string[];
  orphans: string[];
  cgroups: string[];
  bridge?: string;
  problems: string[];
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Removes the cgroup directory `rel` under every v1 controller (deepest first); only empty cgroups can go. */
export async function removeCgroupTree(rel: string): Promise<{ removed: string[]; problems: string[] }> {
  const removed: string[] = [];
  const problems: string[] = [];
  const controllers = await readdir(CGROUP_ROOT).catch(() => [] as string[]);
  for (const c of controllers) {
    const dir = path.join(CGROUP_ROOT, c, rel);
    const walk = async (d: string): Promise<void> => {
      const entries = await readdir(d, { withFileTypes: true }).catch(() => undefined);
      if (!entries) return;
      for (const e of entries) if (e.isDirectory()) await walk(path.join(d, e.name));
      try {
        await rmdir(d);
        removed.push(d);
      } catch (err) {
        problems.push(`cgroup ${d}: ${(err as Error).message}`);
      }
    };
    await walk(dir);
  }
  return { removed, problems };
}

export async function resetRuntime(opts: ResetOptions): Promise<ResetReport> {
  const sock = socketPath(opts.socket ?? DEFAULT_RUNTIME_SOCKET);
  if (await socketServed(sock)) throw new Error(`a runtime is serving ${sock}: stop it (skiff runtime / skiff server) before resetting`);
  const report: ResetReport = { sandboxes: [], orphans: [], cgroups: [], problems: [] };
  const { ctx } = await createContext({ ...opts, warn: (m) => report.problems.push(m) });
  try {
    const recovered = await recover(ctx);
    report.orphans.push(...recovered.rolledBack, ...recovered.orphansRemoved);
    // The pod cgroups of our sandboxes (their containers' own cgroups go with `runc delete`). The
    // default parent /skiff is shared with any other skiff runtime on the node: not ours to empty.
    const parents = new Set<string>();
    for (const sb of ctx.sandboxes.values()) {
      if (sb.config.linux?.cgroup_parent) parents.add(sb.config.linux.cgroup_parent);
      try {
        await stopSandbox(ctx, sb);
        await removeSandboxResources(ctx, sb);
        report.sandboxes.push(sb.id);
      } catch (err) {
        report.problems.push(`sandbox ${sb.id}: ${(err as Error).message}`);
      }
    }
    // Anything still mounted below our dirs (a record we could not act on) goes too.
    for (const dir of [ctx.root, ctx.stateDir]) report.orphans.push(...(await unmountAllUnder(dir)));
    const cgroupProblems: string[] = [];
    for (const p of parents) {
      const r = await removeCgroupTree(p);
      report.cgroups.push(...r.removed);
      cgroupProblems.push(...r.problems);
    }
    const bridge = opts.network ? undefined : (opts.bridge ?? DEFAULT_BRIDGE);
    if (bridge && (await runTool('ip', ['link', 'del', bridge]).then(() => true, () => false))) report.bridge = bridge;
    if (report.problems.length === 0) {
      await rm(ctx.stateDir, { recursive: true, force: true });
      await rm(path.join(ctx.root, 'state'), { recursive: true, force: true });
      await rm(path.join(ctx.root, 'sandboxes'), { recursive: true, force: true });
      await rm(path.join(ctx.root, 'containers'), { recursive: true, force: true });
    }
    // A cgroup still busy belongs to processes skiff did not start (or another runtime's pods).
    report.problems.push(...cgroupProblems);
  } finally {
    ctx.images.close();
  }
  return report;
}
