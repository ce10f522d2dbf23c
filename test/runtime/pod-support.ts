// What a containerd test peer needs to run pods on this machine, all from local parts:
// - a sandbox (pause) image: catatonit in pause mode (scripts/build-test-image.ts
//   buildPauseImage), pushed to the local test registry as `pause:<tag>` and named
//   `registry.k8s.io/pause:<tag>` through a mirror;
// - registry hosts (containerd's config_path, one hosts.toml per registry): docker.io and
//   registry.k8s.io are mirrored to the local registry over plain http, and the local registry
//   itself is reached over plain http;
// - a CNI bridge network (src/network/cni-config.ts's default conflist) with a bridge name, network
//   name and /24 subnet chosen at random for this peer, and host-local's allocations kept in the
//   peer's directory, so concurrent peers and skiff's own network do not collide;
// - /run/netns as a shared mount point (ensureSharedNetnsDir), where containerd 1.6 mounts its
//   pods' network namespaces.

import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPauseImage } from '../../scripts/build-test-image.js';
import { CriClient } from '../../src/cri/client.js';
import { buildDefaultConflist, serializeConflist } from '../../src/network/cni-config.js';
import type { LocalRegistry } from '../helpers/registry.js';

export const PAUSE_TAG = '3.9';
/** The sandbox image name containerd is configured with (resolved through the mirror). */
export const PEER_SANDBOX_IMAGE = `registry.k8s.io/pause:${PAUSE_TAG}`;

export interface PodSupport {
  sandboxImage: string;
  /** containerd's registry config_path. */
  hostsDir: string;
  /** The CNI bridge interface this peer's pods attach to (deleted by the peer's stop()). */
  bridge: string;
  /** The pod subnet, e.g. `10.231.17.0/24`. */
  subnet: string;
  networkName: string;
}

function hostsToml(server: string, mirror?: string): string {
  return [
    `server = "${server}"`,
    ...(mirror !== undefined ? ['', `[host."${mirror}"]`, '  capabilities = ["pull", "resolve"]'] : []),
    '',
  ].join('\n');
}

export const NETNS_DIR = '/run/netns';

/**
 * Makes /run/netns a shared mount point, as `ip netns add` does (and leaves it so, as iproute2
 * does). containerd 1.6 bind-mounts pod namespaces there without doing this itself; if it is a
 * plain directory when a pod's namespace is mounted and something later runs `ip netns add`,
 * the bind of /run/netns onto itself hides that mount, and containerd's StopPodSandbox fails
 * with "unlinkat /run/netns/cni-…: device or resource busy".
 */
export function ensureSharedNetnsDir(): void {
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === NETNS_DIR);
  if (mounted) return;
  const run = (args: string[]): void => {
    const r = spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  };
  run(['mkdir', '-p', NETNS_DIR]);
  run(['mount', '--bind', NETNS_DIR, NETNS_DIR]);
  run(['mount', '--make-shared', NETNS_DIR]);
}

/** Builds and pushes the pause image, writes hosts.toml files and the CNI conflist under `dir`. */
export async function preparePodSupport(dir: string, registry: LocalRegistry): Promise<PodSupport> {
  ensureSharedNetnsDir();
  const pause = await buildPauseImage(join(dir, 'images', 'pause'), { tag: PAUSE_TAG });
  await registry.push(pause.dir, `pause:${PAUSE_TAG}`);

  const hostsDir = join(dir, 'certs.d');
  const hosts: Record<string, string> = {
    'docker.io': hostsToml('https://registry-1.docker.io', registry.url),
    'registry.k8s.io': hostsToml('https://registry.k8s.io', registry.url),
    [registry.host]: hostsToml(registry.url),
  };
  for (const [host, toml] of Object.entries(hosts)) {
    await mkdir(join(hostsDir, host), { recursive: true });
    await writeFile(join(hostsDir, host, 'hosts.toml'), toml);
  }

  const suffix = randomBytes(3).toString('hex');
  const bridge = `skcd${suffix}`;
  const networkName = `skiff-peer-${suffix}`;
  const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`;
  const conflist = buildDefaultConflist({ podCIDR: subnet, bridge, networkName, ipamDataDir: join(dir, 'cni-ipam') });
  await writeFile(join(dir, 'cni', '10-peer.conflist'), serializeConflist(conflist));
  return { sandboxImage: PEER_SANDBOX_IMAGE, hostsDir, bridge, subnet, networkName };
}

/** Stops and removes every pod sandbox of the peer at `socket` (best effort, for cleanup). */
export async function removeAllPods(socket: string): Promise<void> {
  const client = new CriClient(socket, { timeoutMs: 60_000 });
  try {
    for (const p of (await client.listPodSandbox({})).items) {
      await client.stopPodSandbox({ pod_sandbox_id: p.id }).catch(() => undefined);
      await client.removePodSandbox({ pod_sandbox_id: p.id }).catch(() => undefined);
    }
  } finally {
    client.close();
  }
}
