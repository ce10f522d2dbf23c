// Facts about this host that shape the spec, read once at runtime start: the oom_score_adj
// floor, AppArmor, cgroup version and controllers, and device nodes for privileged containers
// and CRI device requests.

import { readdir, stat } from 'node:fs/promises';
import { pathExists, readTextIfAny } from '../../util/fs.js';
import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import { ALL_CAPABILITIES } from './defaults.js';
import type { OciDevice } from './oci-types.js';

export interface HostFeatures {
  /** This process's own oom_score_adj; containers are never given less (this VM refuses lowering it). */
  oomScoreAdjMin: number;
  apparmor: boolean;
  /** A loaded AppArmor profile to use for RuntimeDefault; skiff loads none, so RuntimeDefault is unconfined. */
  apparmorDefaultProfile?: string;
  cgroupV2: boolean;
  /** The hugetlb controller is mounted (cgroup v1) or enabled (v2). */
  hugetlb: boolean;
  /** memory+swap limits can be set (memory.memsw.* on v1, memory.swap.max on v2). */
  swapAccounting: boolean;
  /** The highest capability number the kernel knows (/proc/sys/kernel/cap_last_cap). */
  capLastCap: number;
  /**
   * This process's effective capabilities (CapEff of /proc/self/status): what "ALL" and
   * privileged grant, as containerd's cap.Current(). runc cannot give a container a capability
   * its own process lacks (a host or VM may drop some from the bounding set, as this one drops
   * CAP_SYS_RESOURCE): asking for it fails with "unable to apply caps". Unset = every known one.
   */
  currentCapabilities?: readonly string[];
}

/** The capability names set in a /proc/<pid>/status capability mask (hex), by number. */
export function capabilitiesOfMask(hex: string, capLastCap: number): string[] {
  const mask = BigInt(`0x${hex}`);
  return ALL_CAPABILITIES.slice(0, capLastCap + 1).filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

const readText = async (p: string): Promise<string | undefined> => (await readTextIfAny(p))?.trim();

/** Probes the host; every probe has a conservative fallback, so this never throws. */
export async function detectHostFeatures(cgroupRoot = '/sys/fs/cgroup'): Promise<HostFeatures> {
  const oom = Number(await readText('/proc/self/oom_score_adj'));
  // cgroup v2 has this file at its root (one read tells the version and the controllers).
  const controllers = await readText(path.join(cgroupRoot, 'cgroup.controllers'));
  const cgroupV2 = controllers !== undefined;
  const v2Controllers = controllers?.split(/\s+/) ?? [];
  const capLast = Number(await readText('/proc/sys/kernel/cap_last_cap'));
  const capLastCap = Number.isInteger(capLast) && capLast > 0 ? capLast : 40;
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec((await readText('/proc/self/status')) ?? '')?.[1];
  return {
    oomScoreAdjMin: Number.isInteger(oom) ? oom : 0,
    apparmor: (await readText('/sys/module/apparmor/parameters/enabled')) === 'Y',
    cgroupV2,
    hugetlb: cgroupV2 ? v2Controllers.includes('hugetlb') : await pathExists(path.join(cgroupRoot, 'hugetlb', 'tasks')),
    swapAccounting: cgroupV2
      ? v2Controllers.includes('memory')
      : await pathExists(path.join(cgroupRoot, 'memory', 'memory.memsw.limit_in_bytes')),
    capLastCap,
    ...(capEff !== undefined ? { currentCapabilities: capabilitiesOfMask(capEff, capLastCap) } : {}),
  };
}

/** Linux dev_t split (glibc's gnu_dev_major/minor) of a 64-bit rdev. */
function splitRdev(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/** The device node at `hostPath` described for the spec at `containerPath`; undefined if it is not a device. */
export async function lookupDevice(hostPath: string, containerPath = hostPath): Promise<OciDevice | undefined> {
  let st;
  try {
    st = await stat(hostPath, { bigint: true });
  } catch (err) {
    throw CriError.invalidArgument(`device ${hostPath}: ${(err as Error).message}`);
  }
  let type: OciDevice['type'];
  if (st.isCharacterDevice()) type = 'c';
  else if (st.isBlockDevice()) type = 'b';
  else if (st.isFIFO()) type = 'p';
  else return undefined;
  const { major, minor } = splitRdev(st.rdev);
  return { type, path: containerPath, major, minor, fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** Directories under /dev that are not devices of the host (containerd's HostDevices skips the same). */
const SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every device node under /dev except /dev/console and pseudo-filesystems: what a privileged container sees. */
export async function listHostDevices(devRoot = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) await walk(p);
      } else if ((e.isCharacterDevice() || e.isBlockDevice()) && p !== path.join(devRoot, 'console')) {
        const d = await lookupDevice(p).catch(() => undefined);
        if (d) out.push(d);
      }
    }
  };
  await walk(devRoot);
  return out;
}
