// buildSpec: the OCI runtime spec (config.json) for a CRI container. A pure function of its
// input — the caller gathers what needs I/O first (loadUserDb for the rootfs's passwd/group,
// detectHostFeatures, listHostDevices / lookupDevice, readSeccompProfile) — so that every
// rule can be table-tested. The rules are containerd's CRI plugin's unless a comment says why not.

import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import type { ContainerConfig, ImageProcessConfig, PodSandboxConfig } from './cri-types.js';
import { DEFAULT_DEVICES, defaultDeviceRules } from './defaults.js';
import type { HostFeatures } from './host.js';
import { buildMounts, type RuntimeMounts } from './mounts.js';
import type { OciDevice, OciDeviceCgroup, OciNamespace, OciNamespaceType, OciSeccomp, OciSpec } from './oci-types.js';
import { processArgs, processCwd, processEnv } from './process.js';
import { buildResources } from './resources.js';
import { buildAppArmor, buildCapabilities, buildPathRestrictions, buildSeccomp } from './security.js';
import { resolveUser, type ResolvedUser, type UserDb } from './user.js';

export const OCI_VERSION = '1.0.2';

/** A namespace to create ('new'), share with the host ('host'), or join by its bind-mounted path. */
export type NamespaceRef = 'new' | 'host' | `/${string}`;

export interface ContainerNamespaces {
  network: NamespaceRef;
  ipc: NamespaceRef;
  uts: NamespaceRef;
  pid: NamespaceRef;
}

export interface BuildSpecInput {
  /** Container id: the leaf of the cgroup path. */
  id: string;
  /** The sandbox's infra-container runtime id, recorded in the annotations (runsc joins that sandbox). */
  sandboxId?: string;
  container: ContainerConfig;
  sandbox: PodSandboxConfig;
  /** Absolute host path of the prepared root filesystem. */
  rootfs: string;
  image?: ImageProcessConfig;
  /** The rootfs's /etc/passwd and /etc/group (loadUserDb(rootfs)). */
  userDb: UserDb;
  namespaces: ContainerNamespaces;
  runtimeMounts?: RuntimeMounts;
  /** Cgroup parent; defaults to the sandbox's linux.cgroup_parent, then "/skiff". */
  cgroupParent?: string;
  host: HostFeatures;
  /** For privileged containers: every host device (listHostDevices()). */
  hostDevices?: OciDevice[];
  /** For CRI devices: host_path → device node (lookupDevice(host_path)). */
  deviceLookup?: Readonly<Record<string, OciDevice>>;
  /** The loaded Localhost seccomp profile, when the config asks for one (see seccompChoice). */
  localhostSeccomp?: OciSeccomp;
  /** Sysctls to set in the container's namespaces (containerd sets the sandbox's only on the sandbox container). */
  sysctls?: Readonly<Record<string, string>>;
  pidsLimit?: number;
  /** Hostname for HOSTNAME and, with a new UTS namespace, the kernel hostname; defaults to the sandbox's. */
  hostname?: string;
}

export interface BuildSpecResult {
  spec: OciSpec;
  user: ResolvedUser;
  /** Settings that were requested but cannot apply on this host and were left out. */
  warnings: string[];
}

const NS_ORDER: readonly (keyof ContainerNamespaces)[] = ['pid', 'network', 'ipc', 'uts'];

/** The spec's namespaces: always a new mount namespace; the others new, joined by path, or omitted for host. */
function namespaces(ns: ContainerNamespaces): OciNamespace[] {
  const out: OciNamespace[] = [];
  for (const key of NS_ORDER) {
    const ref = ns[key];
    const type: OciNamespaceType = key;
    if (ref === 'host') continue;
    if (ref === 'new') out.push({ type });
    else if (typeof ref === 'string' && path.isAbsolute(ref)) out.push({ type, path: ref });
    else throw CriError.invalidArgument(`${key} namespace "${String(ref)}" must be "new", "host" or an absolute path`);
  }
  out.push({ type: 'mount' });
  return out;
}

function cgroupsPath(parent: string | undefined, id: string): string {
  const p = (parent ?? '').trim() || '/skiff';
  if (!p.startsWith('/')) throw CriError.invalidArgument(`cgroup parent "${p}" must be an absolute cgroup path`);
  return path.posix.join(p, id);
}

function devices(input: BuildSpecInput, privileged: boolean): { nodes: OciDevice[]; rules: OciDeviceCgroup[] } {
  if (privileged) {
    // All host devices, all access (containerd's WithHostDevices + WithAllDevicesAllowed).
    return { nodes: [...(input.hostDevices ?? [])], rules: [{ allow: true, access: 'rwm' }] };
  }
  const nodes: OciDevice[] = [...DEFAULT_DEVICES];
  const rules = defaultDeviceRules();
  for (const d of input.container.devices ?? []) {
    if (!d.container_path || !path.isAbsolute(d.container_path)) {
      throw CriError.invalidArgument(`device container_path "${d.container_path}" must be an absolute path`);
    }
    const perms = d.permissions || 'rwm';
    if (!/^[rwm]{1,3}$/.test(perms)) throw CriError.invalidArgument(`device ${d.host_path}: permissions "${perms}" must be made of r, w, m`);
    const node = input.deviceLookup?.[d.host_path];
    if (!node) throw CriError.invalidArgument(`device ${d.host_path} was not found on the node or is not a device`);
    nodes.push({ ...node, path: d.container_path });
    if (node.type === 'c' || node.type === 'b') rules.push({ allow: true, type: node.type, major: node.major, minor: node.minor, access: perms });
  }
  return { nodes, rules };
}

/** The OCI runtime spec for a container; throws CriError (InvalidArgument) on unusable input. */
export function buildSpec(input: BuildSpecInput): BuildSpecResult {
  const { container, sandbox, host } = input;
  if (!input.id) throw CriError.invalidArgument('container id is empty');
  if (!path.isAbsolute(input.rootfs)) throw CriError.invalidArgument(`rootfs "${input.rootfs}" must be an absolute path`);
  const sc = container.linux?.security_context ?? null;
  const privileged = sc?.privileged === true;
  if (privileged && sandbox.linux?.security_context?.privileged !== true) {
    throw CriError.invalidArgument('privileged container requested in a sandbox that is not privileged');
  }

  const hostname = input.hostname ?? sandbox.hostname ?? '';
  const user = resolveUser({ securityContext: sc, imageUser: input.image?.User ?? '', userDb: input.userDb });
  const capabilities = buildCapabilities(sc, host.capLastCap, host.currentCapabilities);
  const res = buildResources(container.linux?.resources, host, input.pidsLimit);
  const dev = devices(input, privileged);
  res.resources.devices = dev.rules;
  const mounts = buildMounts({ criMounts: container.mounts ?? [], runtimeMounts: input.runtimeMounts, readonlyRootfs: sc?.readonly_rootfs === true, privileged });
  const paths = buildPathRestrictions(sc);
  const seccomp = buildSeccomp(sc, capabilities.bounding, input.localhostSeccomp);
  const apparmor = buildAppArmor(sc, host);

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: container.tty === true,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args: processArgs(container, input.image),
      env: processEnv(container, input.image, hostname),
      cwd: processCwd(container, input.image),
      capabilities,
      noNewPrivileges: sc?.no_new_privs === true,
      oomScoreAdj: res.oomScoreAdj,
    },
    root: { path: input.rootfs, readonly: sc?.readonly_rootfs === true },
    mounts: mounts.mounts,
    annotations: annotations(input),
    linux: {
      namespaces: namespaces(input.namespaces),
      cgroupsPath: cgroupsPath(input.cgroupParent ?? sandbox.linux?.cgroup_parent, input.id),
      resources: res.resources,
      devices: dev.nodes,
      maskedPaths: paths.maskedPaths,
      readonlyPaths: paths.readonlyPaths,
    },
  };
  if (apparmor !== undefined) spec.process.apparmorProfile = apparmor;
  if (seccomp !== undefined) spec.linux.seccomp = seccomp;
  if (mounts.rootfsPropagation !== undefined) spec.linux.rootfsPropagation = mounts.rootfsPropagation;
  // runc refuses a hostname without a private UTS namespace; a joined one already has it set.
  if (input.namespaces.uts === 'new' && hostname !== '') spec.hostname = hostname;
  if (input.sysctls && Object.keys(input.sysctls).length > 0) spec.linux.sysctl = { ...input.sysctls };
  return { spec, user, warnings: res.warnings };
}

/**
 * containerd's CRI annotations, so tools that read config.json find the same keys. runsc reads
 * them: container-type "container" with a sandbox-id makes it run the container inside the
 * gVisor sandbox started by the container of that id (the pod's infra container), so sandboxId
 * must be the infra container's runtime id; without a sandboxId the type is left out.
 */
function annotations(input: BuildSpecInput): Record<string, string> {
  const a: Record<string, string> = {};
  if (input.sandboxId) a['io.kubernetes.cri.container-type'] = 'container';
  const set = (k: string, v: string | undefined): void => {
    if (v) a[`io.kubernetes.cri.${k}`] = v;
  };
  set('sandbox-id', input.sandboxId);
  set('container-name', input.container.metadata?.name);
  set('image-name', input.container.image?.image);
  set('sandbox-name', input.sandbox.metadata?.name);
  set('sandbox-namespace', input.sandbox.metadata?.namespace);
  set('sandbox-uid', input.sandbox.metadata?.uid);
  return a;
}
