// Debian's containerd 1.6 as the benchmark's peer: test/runtime/containerd-peer.ts with pod
// support (catatonit pause image and docker.io mirrored to the shared local registry, its own
// CNI bridge and /24, all state in one temp dir). stop() removes the benchmark's images, then
// the peer removes leftover pods, stops containerd, deletes the bridge and the temp dir.

import { CriClient } from '../../src/cri/client.js';
import type { LocalRegistry } from '../../test/helpers/registry.js';
import { startContainerdPeer } from '../../test/runtime/containerd-peer.js';
import { findProcesses } from '../proc.js';
import { benchTag, removeCgroupParent, type BenchTarget } from './target.js';

export async function startContainerdTarget(registry: LocalRegistry): Promise<BenchTarget> {
  const peer = await startContainerdPeer({ registry });
  const client = new CriClient(peer.socket);
  const tag = benchTag();
  const cgroupParent = `/skiff-cri-bench-cd-${tag}`;
  return {
    name: 'containerd',
    client,
    tag,
    cgroupParent,
    runtimePid: () => peer.pid,
    // containerd-shim-runc-v2 (comm is cut to 15 characters) started with `-address <socket>`.
    helperName: 'containerd-shim-runc-v2',
    helperPids: () => findProcesses('containerd-shim', peer.socket),
    logs: () => peer.logs(),
    async stop() {
      try {
        for (const img of (await client.listImages({})).images) await client.removeImage({ image: { image: img.id } }).catch(() => undefined);
      } finally {
        client.close();
        await peer.stop();
        await removeCgroupParent(cgroupParent);
      }
    },
  };
}
