// The runtimes the CRI benchmark drives, behind one small interface: skiff's runtime (a real
// `skiff runtime` process from test/helpers/cri-runtime.ts) and Debian's containerd 1.6 (its CRI
// plugin), both reached through skiff's CriClient, both pulling from the same local registry
// (docker.io mirrored to it), each on its own CNI bridge, pod subnet, cgroup parent and dirs.

import { randomBytes } from 'node:crypto';
import { rmdir } from 'node:fs/promises';
import type { BuiltImage } from '../../scripts/build-test-image.js';
import { CriClient } from '../../src/cri/client.js';
import { startTestRuntime } from '../../test/helpers/cri-runtime.js';
import type { LocalRegistry } from '../../test/helpers/registry.js';
import { findProcesses } from '../proc.js';

export interface BenchTarget {
  name: 'skiff' | 'containerd';
  client: CriClient;
  /** Unique per target; part of pod uids. */
  tag: string;
  /** The sandboxes' cgroup parent (cgroupfs path), unique per target. */
  cgroupParent: string;
  /** The runtime process (the node process of `skiff runtime`, or containerd). */
  runtimePid(): number;
  /** Command name of the per-pod helper processes. */
  helperName: string;
  /** The live helper processes of this target (conmon, or containerd-shim-runc-v2). */
  helperPids(): number[];
  /** The runtime's own log so far, for failure messages. */
  logs(): string;
  /** Removes every sandbox and image, stops the runtime, removes its dirs, bridge and cgroups. */
  stop(): Promise<void>;
}

export const CGROUP_CONTROLLERS = ['cpu,cpuacct', 'memory', 'pids', 'cpuset', 'devices', 'freezer', 'blkio', 'net_cls,net_prio', 'perf_event', 'hugetlb', 'systemd'];

/** rmdir of the (empty) cgroup parent in every v1 hierarchy; missing ones are fine. */
export async function removeCgroupParent(parent: string): Promise<void> {
  for (const c of CGROUP_CONTROLLERS) await rmdir(`/sys/fs/cgroup/${c}${parent}`).catch(() => undefined);
}

/** skiff's runtime on `registry` (which already holds library/busybox:latest). */
export async function startSkiffTarget(registry: LocalRegistry, busybox: BuiltImage): Promise<BenchTarget> {
  const rt = await startTestRuntime({ registry, busybox });
  return {
    name: 'skiff',
    get client() {
      return rt.client;
    },
    tag: rt.tag,
    cgroupParent: rt.cgroupParent,
    runtimePid: () => rt.pid(),
    helperName: 'conmon',
    // conmon's command line holds the bundle path, which is under the runtime's temp dir.
    helperPids: () => findProcesses('conmon', rt.dir),
    logs: () => rt.output(),
    stop: () => rt.stop(),
  };
}

export const benchTag = (): string => randomBytes(3).toString('hex');
