// A real `skiff runtime` process for tests and benchmarks: its own root, state dir, socket,
// bridge and pod subnet (so it never meets another runtime's), a local docker-registry with the
// project's busybox image mirrored as docker.io/library/busybox, and a CRI client.
// restart() kills the process with SIGKILL and starts it again on the same dirs (the crash
// case); stop() stops it, removes every sandbox through CRI, then checks and cleans the dirs.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxImage, type BuiltImage } from '../../scripts/build-test-image.js';
import { CriClient } from '../../src/cri/client.js';
import { runTool, unmountAllUnder } from '../../src/runtime/mount.js';
import { removeCgroupTree } from '../../src/runtime/service/reset.js';
import { startRegistry, type LocalRegistry } from './registry.js';
import { skiffBin, untilReady } from './skiff.js';

export interface TestRuntime {
  dir: string;
  root: string;
  state: string;
  socket: string;
  client: CriClient;
  registry: LocalRegistry;
  busybox: BuiltImage;
  /** Unique per runtime: use as (part of) the sandbox cgroup_parent so cleanup can find cgroups. */
  tag: string;
  cgroupParent: string;
  /** The pod subnet, e.g. 10.213.7.0/24. */
  podCidr: string;
  pid(): number;
  output(): string;
  /** SIGKILL, then start again on the same dirs. */
  restart(): Promise<void>;
  /** SIGKILL and leave it dead (stop() then only cleans the dirs). */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestRuntime(opts: { registry?: LocalRegistry; busybox?: BuiltImage; extraArgs?: string[] } = {}): Promise<TestRuntime> {
  const tag = randomBytes(3).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'skiff-rt-'));
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  const socket = join(dir, 'cri.sock');
  const busybox = opts.busybox ?? (await buildBusyboxImage(join(dir, 'layouts', 'busybox')));
  const ownRegistry = opts.registry === undefined;
  const registry = opts.registry ?? (await startRegistry());
  if (ownRegistry) await registry.push(busybox.dir, 'library/busybox:latest');
  await writeFile(join(dir, 'registries.yaml'), `mirrors:\n  docker.io:\n    endpoint: ["http://${registry.host}"]\n`);
  const podCidr = `10.${200 + (parseInt(tag.slice(0, 2), 16) % 50)}.${parseInt(tag.slice(2, 4), 16)}.0/24`;
  const args = ['runtime', '--socket', socket, '--root', root, '--state', state, '--registries', join(dir, 'registries.yaml'), '--bridge', `skt${tag}`, '--pod-cidr', podCidr, ...(opts.extraArgs ?? [])];
  let child: ChildProcess;
  let out: () => string = () => '';
  const launch = async (): Promise<void> => {
    // Through bin/skiff, as users start it (with the V8 flags it gives the node-agent daemons).
    child = spawn(skiffBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = untilReady(child, 'skiff runtime', 60_000);
    out = r.output;
    await r.ready;
  };
  await launch();
  let client = new CriClient(socket);
  const rt: TestRuntime = {
    dir,
    root,
    state,
    socket,
    get client() {
      return client;
    },
    registry,
    busybox,
    tag,
    cgroupParent: `/skiff-rttest-${tag}`,
    podCidr,
    pid: () => child.pid ?? 0,
    output: () => out(),
    async restart() {
      await rt.crash();
      await launch();
      client = new CriClient(socket);
    },
    async crash() {
      client.close();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      const alive = child.exitCode === null && child.signalCode === null;
      try {
        if (!alive) return;
        const { items } = await client.listPodSandbox({});
        for (const s of items) await client.removePodSandbox({ pod_sandbox_id: s.id });
        for (const img of (await client.listImages({})).images) await client.removeImage({ image: { image: img.id } });
      } finally {
        client.close();
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
        if (ownRegistry) await registry.stop();
        await unmountAllUnder(dir);
        await rm(dir, { recursive: true, force: true });
        // The CNI bridge plugin never deletes its bridge.
        await runTool('ip', ['link', 'del', `skt${tag}`]).catch(() => undefined);
        await removeCgroupTree(`/skiff-rttest-${tag}`);
      }
    },
  };
  return rt;
}
