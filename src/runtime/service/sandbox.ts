// Pod sandboxes: a network namespace wired by CNI (unless hostNetwork), the pod's shared files,
// and the pod's IPC and UTS namespaces for the containers to join. How those are held depends on
// the PID namespace, as in CRI-O with drop_infra_ctr:
// - a pod whose containers each get their own PID namespace (kubelet's default, CONTAINER) or
//   the node's has its namespaces pinned by bind mounts (pinns.ts) — no process at all, one
//   `unshare` that also sets the hostname and sysctls;
// - a pod that shares one PID namespace (POD, shareProcessNamespace) needs its PID 1: an infra
//   container — Debian's static catatonit (`-P`, pause mode) on a tiny shared rootfs — that
//   holds the PID, IPC and UTS namespaces and reaps the pod's orphans.
//
// RunPodSandbox records the sandbox before creating anything, then creates step by step; if any
// step fails, removeSandboxResources undoes every step that happened (the same code the normal
// removal runs), so a failed RunPodSandbox leaves nothing behind.

import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CriError, GrpcStatus, isCriError } from '../../cri/errors.js';
import type {
  Input,
  ListPodSandboxRequest,
  ListPodSandboxResponse,
  NamespaceMode,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStatusResponse,
  RunPodSandboxRequest,
} from '../../cri/types.js';
import { loadLocalhostSeccomp } from '../oci/security.js';
import { buildSpec } from '../oci/spec.js';
import type { ContainerHandle, OciRuntime } from '../oci/runtime.js';
import { filterSandboxes, handlerOf, runtimeOf, sandboxDir, type RuntimeContext } from './context.js';
import { addHostsEntry, mountShm, podFiles, writePodFiles } from './pod-files.js';
import { pinNamespaces, sysctlWrites, type PinnedKind } from '../sandbox/pinns.js';
import { unmountAllUnder } from '../mount.js';
import { allSettledOrThrow } from '../../util/settle.js';
import { nowNs, type SandboxRecord } from './state.js';
import { randomId } from './ids.js';
import { removeContainerResources, stopContainerRecord } from './container.js';

const CATATONIT = '/usr/bin/catatonit';
/** Seconds a container gets to stop when its sandbox is stopped (kubelet stops them first with the pod's grace). */
const SANDBOX_STOP_GRACE_S = 0;

/** The shared read-only rootfs of every infra container: just catatonit. */
export async function ensurePauseRootfs(root: string): Promise<string> {
  const rootfs = path.join(root, 'pause', 'rootfs');
  const bin = path.join(rootfs, 'catatonit');
  const [want, have] = await Promise.all([stat(CATATONIT), stat(bin).catch(() => undefined)]);
  for (const d of ['proc', 'dev', 'sys', 'etc', 'tmp', 'run']) await mkdir(path.join(rootfs, d), { recursive: true, mode: 0o755 });
  if (have === undefined || have.size !== want.size || have.mtimeMs < want.mtimeMs) {
    const tmp = `${bin}.tmp`;
    await copyFile(CATATONIT, tmp);
    await rename(tmp, bin);
  }
  return rootfs;
}

export function sandboxName(config: PodSandboxConfig): string {
  const m = config.metadata;
  if (!m || !m.name) throw CriError.invalidArgument('sandbox config must include metadata with a name');
  if (!m.namespace) throw CriError.invalidArgument(`sandbox "${m.name}": metadata.namespace is empty`);
  for (const [k, v] of [['name', m.name], ['namespace', m.namespace], ['uid', m.uid]] as const) {
    if (/[_/\s]/.test(v)) throw CriError.invalidArgument(`sandbox metadata.${k} "${v}" must not contain "_", "/" or spaces`);
  }
  return `${m.name}_${m.namespace}_${m.uid}_${m.attempt}`;
}

function nsMode(config: PodSandboxConfig, which: 'network' | 'pid' | 'ipc'): NamespaceMode {
  return config.linux?.security_context?.namespace_options?.[which] ?? 'POD';
}

export const isHostNetwork = (c: PodSandboxConfig): boolean => nsMode(c, 'network') === 'NODE';
export const isHostPid = (c: PodSandboxConfig): boolean => nsMode(c, 'pid') === 'NODE';
export const isHostIpc = (c: PodSandboxConfig): boolean => nsMode(c, 'ipc') === 'NODE';

/** Where a pinned sandbox's IPC or UTS namespace is bind-mounted. */
export function pinPath(rec: SandboxRecord, kind: 'ipc' | 'uts'): string {
  return path.join(rec.dir, `ns-${kind}`);
}

/** Where a pinned sandbox's own IPC and UTS namespaces are (the network's is the netns manager's). */
function pinPaths(rec: SandboxRecord): { ipc?: string; uts?: string } {
  const own = ownNamespaces(rec.config);
  const paths: { ipc?: string; uts?: string } = {};
  for (const k of ['ipc', 'uts'] as const) if (own.has(k)) paths[k] = pinPath(rec, k);
  return paths;
}

/** The namespaces of its own a pod gets (the UTS namespace follows the network's, as upstream). */
function ownNamespaces(c: PodSandboxConfig): Set<PinnedKind> {
  const own = new Set<PinnedKind>();
  if (!isHostNetwork(c)) own.add('net').add('uts');
  if (!isHostIpc(c)) own.add('ipc');
  return own;
}

/** The infra container (sandboxes that are not pinned): the sandbox's id, bundled in the sandbox dir. */
export function infraHandle(rec: SandboxRecord): ContainerHandle {
  const bundle = path.join(rec.dir, 'infra');
  return { id: rec.id, bundle, persistDir: bundle };
}

/** The pod's own network namespace; undefined for hostNetwork pods. */
export function podNetns(ctx: RuntimeContext, rec: SandboxRecord): string | undefined {
  return isHostNetwork(rec.config) ? undefined : ctx.netns.pathOf(rec.id);
}

/**
 * Stops a container (signal, grace, SIGKILL); a container that already exited, or that the
 * runtime no longer knows, needs nothing. OciRuntime.stop reads the state itself, so callers
 * need not ask first.
 */
export async function stopIfRunning(runtime: OciRuntime, h: ContainerHandle, timeoutSeconds: number, opts: { signal?: string | undefined; started: boolean }): Promise<void> {
  try {
    await runtime.stop(h, Math.max(0, timeoutSeconds), { started: opts.started, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    if (!isCriError(err, GrpcStatus.NOT_FOUND)) throw err;
  }
}

export async function runPodSandbox(ctx: RuntimeContext, req: RunPodSandboxRequest, signal: AbortSignal): Promise<string> {
  const config = req.config;
  if (!config) throw CriError.invalidArgument('RunPodSandbox needs a sandbox config');
  const name = sandboxName(config);
  const handler = handlerOf(ctx, req.runtime_handler);
  // Checked up front so that a bad sysctl is InvalidArgument before anything is made.
  const sysctls = sysctlWrites(config.linux?.sysctls, ownNamespaces(config));
  const id = randomId();
  ctx.sandboxes.reserve(name, id);
  const rec: SandboxRecord = {
    id,
    name,
    handler: handler.handler,
    runtimeHandler: req.runtime_handler,
    config,
    createdAt: nowNs(),
    phase: 'creating',
    dir: sandboxDir(ctx.root, id),
  };
  if (nsMode(config, 'pid') !== 'POD') rec.pinned = true;
  try {
    await ctx.sandboxStore.put(id, rec);
    ctx.sandboxes.set(id, rec);
    const hostNetwork = isHostNetwork(config);
    const hostname = await writePodFiles({ dir: rec.dir, hostNetwork, hostname: config.hostname, dns: config.dns_config });
    // Pinned: the namespaces with, written inside them, the hostname (in a UTS namespace of its own) and the sysctls.
    const paths = pinPaths(rec);
    const pins = rec.pinned ? { paths, writes: [...(paths.uts ? [['kernel/hostname', hostname] as [string, string]] : []), ...sysctls] } : undefined;
    // What follows is undone by removeSandboxResources from the record alone (every step is
    // idempotent), so the record written above is all a crash needs. The shm mount and the
    // namespaces are independent: made side by side, and both settled before any rollback.
    await allSettledOrThrow([
      isHostIpc(config) ? undefined : mountShm(rec.dir),
      hostNetwork
        ? pins && pinNamespaces(pins.paths, pins.writes)
        : ctx.network
            .setUp({
              sandboxId: id,
              podName: config.metadata?.name ?? '',
              podNamespace: config.metadata?.namespace ?? '',
              podUid: config.metadata?.uid,
              portMappings: config.port_mappings.map((p) => ({ hostPort: p.host_port, containerPort: p.container_port, protocol: p.protocol, hostIP: p.host_ip })),
              signal,
              ...(pins ? { pins } : {}),
            })
            .then(async (net) => {
              rec.ip = net.ip;
              rec.additionalIps = net.additionalIPs;
              await addHostsEntry(rec.dir, net.ip, hostname);
            }),
    ]);
    if (!rec.pinned) await startInfra(ctx, rec, hostname, signal);
    rec.phase = 'ready';
    await ctx.sandboxStore.put(id, rec);
    return id;
  } catch (err) {
    try {
      await removeSandboxResources(ctx, rec);
    } catch (cleanup) {
      ctx.warn(`RunPodSandbox ${id}: rollback failed, the record is kept for recovery: ${(cleanup as Error).message}`);
      throw err;
    }
    throw err;
  }
}

/** Creates and starts the infra container, which makes the pod's PID, IPC and UTS namespaces. */
async function startInfra(ctx: RuntimeContext, rec: SandboxRecord, hostname: string, signal: AbortSignal): Promise<void> {
  const { id, config } = rec;
  const hostNetwork = isHostNetwork(config);
  const handler = runtimeOf(ctx, rec);
  const infra = infraHandle(rec);
  const securityContext = {
    readonly_rootfs: true,
    no_new_privs: true,
    run_as_user: config.linux?.security_context?.run_as_user ?? null,
    seccomp: config.linux?.security_context?.seccomp ?? null,
  };
  const localhostSeccomp = await loadLocalhostSeccomp(securityContext);
  const { spec } = buildSpec({
    id,
    container: {
      metadata: { name: 'POD', attempt: 0 },
      command: ['/catatonit', '-P'],
      linux: { resources: { cpu_shares: 2, oom_score_adj: -998 }, security_context: securityContext },
    },
    sandbox: config,
    rootfs: ctx.pauseRootfs,
    userDb: {},
    namespaces: {
      network: hostNetwork ? 'host' : (podNetns(ctx, rec) as `/${string}`),
      ipc: isHostIpc(config) ? 'host' : 'new',
      uts: hostNetwork ? 'host' : 'new',
      pid: isHostPid(config) ? 'host' : 'new',
    },
    host: ctx.host,
    ...(localhostSeccomp ? { localhostSeccomp } : {}),
    sysctls: config.linux?.sysctls,
    hostname,
  });
  spec.annotations = { ...spec.annotations, 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-id': id };
  await handler.create({ id, bundle: infra.bundle, spec, name: `k8s_POD_${rec.name}`, signal });
  await handler.start(infra);
}

/** The infra process's pid while it runs; undefined once it has exited, and for pinned sandboxes. */
export async function infraPid(ctx: RuntimeContext, rec: SandboxRecord): Promise<number | undefined> {
  if (rec.phase !== 'ready' || rec.pinned) return undefined;
  return runtimeOf(ctx, rec).runningPid(infraHandle(rec));
}

/**
 * The infra pid (while it runs) and readiness, from one look at conmon's files: a sandbox is
 * ready until stopped — and, with an infra container, while it runs (kubelet recreates a pod
 * whose infra died).
 */
export async function sandboxLiveness(ctx: RuntimeContext, rec: SandboxRecord): Promise<{ ready: boolean; infraPid: number | undefined }> {
  const pid = await infraPid(ctx, rec);
  return { ready: rec.phase === 'ready' && (rec.pinned === true || pid !== undefined), infraPid: pid };
}

export async function sandboxReady(ctx: RuntimeContext, rec: SandboxRecord): Promise<boolean> {
  return (await sandboxLiveness(ctx, rec)).ready;
}

/** Stops every container of the sandbox, the infra process, and tears the network down. Idempotent. */
export async function stopSandbox(ctx: RuntimeContext, rec: SandboxRecord): Promise<void> {
  for (const c of ctx.containers.values().filter((c) => c.sandboxId === rec.id)) {
    await ctx.locks.run(c.id, () => stopContainerRecord(ctx, c, SANDBOX_STOP_GRACE_S));
  }
  if (!rec.pinned) await stopIfRunning(runtimeOf(ctx, rec), infraHandle(rec), 0, { started: rec.phase !== 'creating' });
  if (!isHostNetwork(rec.config)) await ctx.network.tearDown(rec.id);
  if (rec.phase !== 'stopped') {
    rec.phase = 'stopped';
    await ctx.sandboxStore.put(rec.id, rec);
  }
}

/**
 * Removes whatever of the sandbox exists — containers, infra container, network, shm and pinned
 * namespaces (every mount under its dir), files, record, name — in reverse order of creation. Used by RemovePodSandbox, by RunPodSandbox's
 * rollback and by recovery of half-made sandboxes. Throws (keeping the record) if a step fails.
 */
export async function removeSandboxResources(ctx: RuntimeContext, rec: SandboxRecord): Promise<void> {
  for (const c of ctx.containers.values().filter((c) => c.sandboxId === rec.id)) {
    await ctx.locks.run(c.id, () => removeContainerResources(ctx, c));
  }
  const handler = ctx.handlers.get(rec.handler);
  if (handler && !rec.pinned) await handler.delete(infraHandle(rec), { force: true });
  if (!isHostNetwork(rec.config)) await ctx.network.tearDown(rec.id);
  await unmountAllUnder(rec.dir);
  await rm(rec.dir, { recursive: true, force: true });
  await ctx.sandboxStore.delete(rec.id);
  ctx.sandboxes.delete(rec.id);
  ctx.sandboxes.release(rec.name, rec.id);
}

const stateOf = (ready: boolean): 'SANDBOX_READY' | 'SANDBOX_NOTREADY' => (ready ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY');

export async function sandboxStatus(ctx: RuntimeContext, rec: SandboxRecord, verbose: boolean): Promise<Input<PodSandboxStatusResponse>> {
  const { ready, infraPid: pid } = await sandboxLiveness(ctx, rec);
  const state = stateOf(ready);
  const c = rec.config;
  const out: Input<PodSandboxStatusResponse> = {
    status: {
      id: rec.id,
      metadata: c.metadata,
      state,
      created_at: rec.createdAt,
      network: { ip: rec.ip ?? '', additional_ips: (rec.additionalIps ?? []).map((ip) => ({ ip })) },
      linux: { namespaces: { options: { network: nsMode(c, 'network'), pid: nsMode(c, 'pid'), ipc: nsMode(c, 'ipc') } } },
      labels: c.labels,
      annotations: c.annotations,
      runtime_handler: rec.runtimeHandler ?? rec.handler,
    },
    timestamp: nowNs(),
  };
  if (verbose) {
    out.info = {
      info: JSON.stringify({
        pid: pid ?? 0,
        processStatus: state === 'SANDBOX_READY' ? 'running' : 'stopped',
        netNamespacePath: podNetns(ctx, rec) ?? '',
        infra: rec.pinned ? `none: namespaces pinned at ${[podNetns(ctx, rec), ...Object.values(pinPaths(rec))].filter(Boolean).join(', ')}` : 'catatonit -P',
        runtimeHandler: rec.handler,
        sandboxDir: rec.dir,
        files: podFiles(rec.dir),
        config: c,
      }),
    };
  }
  return out;
}

export async function listSandboxes(ctx: RuntimeContext, req: ListPodSandboxRequest): Promise<Input<ListPodSandboxResponse>> {
  const f = req.filter;
  const recs = filterSandboxes(ctx, f, (r) => r.phase !== 'creating');
  const items: Input<PodSandbox>[] = [];
  for (const r of recs) {
    const state = stateOf(await sandboxReady(ctx, r));
    if (f?.state && f.state.state !== state) continue;
    items.push({ id: r.id, metadata: r.config.metadata, state, created_at: r.createdAt, labels: r.config.labels, annotations: r.config.annotations, runtime_handler: r.runtimeHandler ?? r.handler });
  }
  items.sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  return { items };
}

