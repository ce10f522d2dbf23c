// Start-up recovery: rebuild the indexes from the records, finish what a crash interrupted
// (half-created sandboxes and containers are rolled back with the removal code), and remove
// OS resources under our roots that no record claims (containers in our runc roots, rootfs
// mounts, network namespaces, sandbox directories). Running containers are left running:
// conmon holds them, and their state is read from conmon's files on demand.

import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { mountedRootfs, unmountRootfs } from '../images/rootfs.js';
import { unmountAllUnder } from '../mount.js';
import type { RuntimeContext } from './context.js';
import { removeContainerResources } from './container.js';
import { removeSandboxResources } from './sandbox.js';

export interface RecoveryReport {
  sandboxes: number;
  containers: number;
  rolledBack: string[];
  orphansRemoved: string[];
}

export async function recover(ctx: RuntimeContext): Promise<RecoveryReport> {
  const report: RecoveryReport = { sandboxes: 0, containers: 0, rolledBack: [], orphansRemoved: [] };
  await ctx.images.content.cleanIngest();
  await ctx.images.snapshots.load();

  const sandboxes = await ctx.sandboxStore.list();
  for (const { value } of sandboxes) {
    ctx.sandboxes.set(value.id, value);
    ctx.sandboxes.reserve(value.name, value.id);
  }
  for (const { value } of await ctx.containerStore.list()) {
    ctx.containers.set(value.id, value);
    ctx.containers.reserve(value.name, value.id);
  }
  for (const c of ctx.containers.values()) {
    if (c.phase !== 'creating' && ctx.sandboxes.get(c.sandboxId)) continue;
    await attempt(ctx, `container ${c.id}`, () => removeContainerResources(ctx, c));
    report.rolledBack.push(c.id);
  }
  for (const s of ctx.sandboxes.values()) {
    if (s.phase !== 'creating') continue;
    await attempt(ctx, `sandbox ${s.id}`, () => removeSandboxResources(ctx, s));
    report.rolledBack.push(s.id);
  }
  const net = await ctx.network.recover();
  for (const f of net.failed) ctx.warn(`recovery: network of sandbox ${f.sandboxId}: ${f.error.message}`);

  // Orphans: anything under our roots that no record names.
  const known = new Set([...ctx.sandboxes.values().map((s) => s.id), ...ctx.containers.values().map((c) => c.id)]);
  for (const handler of ctx.handlers.values()) {
    for (const st of await handler.list().catch(() => [])) {
      if (known.has(st.id)) continue;
      const bundle = st.bundle ?? '';
      await attempt(ctx, `orphan container ${st.id}`, () => handler.delete({ id: st.id, bundle, persistDir: bundle }, { force: true }));
      report.orphansRemoved.push(`container ${st.id}`);
    }
  }
  for (const id of await mountedRootfs(ctx.root)) {
    if (known.has(id)) continue;
    await attempt(ctx, `orphan rootfs ${id}`, () => unmountRootfs(ctx.root, id));
    report.orphansRemoved.push(`rootfs ${id}`);
  }
  for (const ns of await ctx.netns.list()) {
    if (known.has(ns.name)) continue;
    if ((await ctx.network.records.get(ns.name).catch(() => undefined)) !== undefined) await attempt(ctx, `orphan network ${ns.name}`, () => ctx.network.tearDown(ns.name));
    else await attempt(ctx, `orphan netns ${ns.name}`, () => ctx.netns.remove(ns.name));
    report.orphansRemoved.push(`netns ${ns.name}`);
  }
  const sbRoot = path.join(ctx.root, 'sandboxes');
  for (const name of await readdir(sbRoot).catch(() => [] as string[])) {
    if (known.has(name)) continue;
    const dir = path.join(sbRoot, name);
    await attempt(ctx, `orphan sandbox dir ${name}`, async () => {
      await unmountAllUnder(dir);
      await rm(dir, { recursive: true, force: true });
    });
    report.orphansRemoved.push(`sandbox dir ${name}`);
  }
  report.sandboxes = ctx.sandboxes.values().length;
  report.containers = ctx.containers.values().length;
  return report;
}

async function attempt(ctx: RuntimeContext, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    ctx.warn(`recovery: ${what}: ${(err as Error).message}`);
  }
}
