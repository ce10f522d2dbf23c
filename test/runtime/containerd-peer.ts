// Debian's containerd (1.6) as a CRI peer for tests: started as a child process with a
// throw-away config whose root, state, sockets, CNI conf dir and opt dir all live in one temp
// directory, so nothing outside it is touched. `stop()` ends the process by PID (TERM, then
// KILL), unmounts anything left under the directory and removes it; it is safe to call twice.
//
// With `registry` (a local test registry) the peer can run pods (see pod-support.ts):
// containerd's sandbox_image is a catatonit pause image pushed to that registry, docker.io and
// registry.k8s.io are mirrored to it over plain http (hosts.toml under config_path), and the
// CNI conf dir holds a bridge conflist with a bridge name and subnet unique to this peer.
// stop() then first stops and removes every pod left (so no containerd-shim outlives the
// peer), and deletes the bridge.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../src/cri/client.js';
import { eventuallyWith } from '../helpers/eventually.js';
import type { LocalRegistry } from '../helpers/registry.js';
import { preparePodSupport, removeAllPods, type PodSupport } from './pod-support.js';

export const CONTAINERD_BIN = '/usr/bin/containerd';

export interface ContainerdPeer {
  /** The temp directory holding everything containerd writes. */
  dir: string;
  /** The containerd gRPC socket path (serves CRI v1 too). */
  socket: string;
  pid: number;
  /** containerd's stderr so far, for failure messages. */
  logs(): string;
  /** Set when started with `registry`: what makes pods run (sandbox image, mirrors, network). */
  pods?: PodSupport;
  stop(): Promise<void>;
}

export interface ContainerdPeerOptions {
  /** Lets the peer run pods, pulling its pause image and docker.io images from this registry. */
  registry?: LocalRegistry;
}

const waitLong = eventuallyWith({ timeoutMs: 60_000, intervalMs: 100 });

export async function startContainerdPeer(opts: ContainerdPeerOptions = {}): Promise<ContainerdPeer> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-containerd-'));
  const socket = join(dir, 'containerd.sock');
  await mkdir(join(dir, 'cni'));
  let pods: PodSupport | undefined;
  try {
    if (opts.registry !== undefined) pods = await preparePodSupport(dir, opts.registry);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const config = `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${socket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pods?.sandboxImage ?? 'registry.k8s.io/pause:3.6'}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/cni"
${pods !== undefined ? `  [plugins."io.containerd.grpc.v1.cri".registry]\n    config_path = "${pods.hostsDir}"\n` : ''}`;
  await writeFile(join(dir, 'config.toml'), config);

  let stderr = '';
  const child = spawn(CONTAINERD_BIN, ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-64 * 1024);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  let stopping: Promise<void> | undefined;
  const peer: ContainerdPeer = {
    dir,
    socket,
    pid: child.pid ?? -1,
    logs: () => stderr,
    ...(pods !== undefined ? { pods } : {}),
    stop: () =>
      (stopping ??= (async () => {
        if (pods !== undefined && child.exitCode === null && child.signalCode === null) {
          // Pods left by a failed test: their shims would outlive containerd otherwise.
          await removeAllPods(socket).catch(() => undefined);
        }
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          process.kill(child.pid, 'SIGTERM');
          const timer = setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
          }, 15_000);
          await exited;
          clearTimeout(timer);
        }
        unmountUnder(dir);
        if (pods !== undefined) spawnSync('ip', ['link', 'del', pods.bridge], { stdio: 'ignore' });
        await rm(dir, { recursive: true, force: true });
      })()),
  };

  try {
    const failed = await Promise.race([spawnError, waitLong('containerd socket', () => existsSync(socket) || child.exitCode !== null)]);
    if (failed instanceof Error) throw failed;
    if (child.exitCode !== null) throw new Error(`containerd exited with ${child.exitCode}`);
    // The socket serves before the CRI plugin has finished initialising: wait for an answer.
    const client = new CriClient(socket, { timeoutMs: 5000 });
    try {
      await waitLong('containerd CRI Version', async () => {
        if (child.exitCode !== null) throw new Error(`containerd exited with ${child.exitCode}`);
        return (await client.version()).runtime_name !== '';
      });
    } finally {
      client.close();
    }
    return peer;
  } catch (err) {
    await peer.stop();
    throw new Error(`containerd did not start: ${err instanceof Error ? err.message : String(err)}\n--- containerd stderr ---\n${stderr}`);
  }
}

/** Unmounts every mount at or below `dir`, deepest first (lazily if busy). */
function unmountUnder(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
  }
}
