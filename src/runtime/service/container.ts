// Containers: CreateContainer prepares the image's snapshots, mounts an overlay rootfs, builds
// the OCI spec (joining the sandbox's namespaces) and creates the container under conmon;
// Start/Stop/Remove/Status drive and read it through the sandbox's OciRuntime handler.
// As for sandboxes, the record is written before anything is created and a failed create
// is undone by the same code that removes a container.

import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import type {
  Container,
  ContainerState as CriContainerState,
  ContainerStatusResponse,
  CreateContainerRequest,
  Input,
  ListContainersRequest,
  ListContainersResponse,
  NamespaceMode,
} from '../../cri/types.js';
import { containerOwner } from '../images/snapshots.js';
import { mountRootfs, removeRootfs, rootfsPaths } from '../images/rootfs.js';
import { listHostDevices, lookupDevice } from '../oci/host.js';
import type { OciDevice } from '../oci/oci-types.js';
import type { ContainerHandle, ContainerRuntimeStatus } from '../oci/runtime.js';
import { loadLocalhostSeccomp } from '../oci/security.js';
import { buildSpec, type NamespaceRef } from '../oci/spec.js';
import { loadUserDb } from '../oci/user.js';
import { containerRuntime, filterContainers, runtimeOf, type RuntimeContext } from './context.js';
import type { ResolvedImage } from '../images/image-store.js';
import { randomId } from './ids.js';
import { podFiles } from './pod-files.js';
import { infraPid, isHostIpc, isHostNetwork, isHostPid, pinPath, podNetns, sandboxReady, stopIfRunning } from './sandbox.js';
import { forgetStats } from './stats.js';
import { dateNs, nowNs, type ContainerRecord, type SandboxRecord } from './state.js';

function containerName(c: CreateContainerRequest['config'], sb: SandboxRecord): string {
  const name = c?.metadata?.name;
  if (!name) throw CriError.invalidArgument('container config must include metadata with a name');
  if (/[_/\s]/.test(name)) throw CriError.invalidArgument(`container name "${name}" must not contain "_", "/" or spaces`);
  const m = sb.config.metadata;
  return `${name}_${m?.name}_${m?.namespace}_${m?.uid}_${c?.metadata?.attempt ?? 0}`;
}

/** The repo digest to report as image_ref (containerd reports one when the image has it). */
function imageRef(img: ResolvedImage): string {
  return img.record.names.find((n) => n.includes('@sha256:')) ?? img.record.config.digest;
}

/** The namespaces a container of `sb` joins: the pinned files, or the infra process's. */
async function namespacesFor(ctx: RuntimeContext, sb: SandboxRecord, pidMode: NamespaceMode, targetId: string): Promise<{ network: NamespaceRef; ipc: NamespaceRef; uts: NamespaceRef; pid: NamespaceRef }> {
  const pid = await infraPid(ctx, sb);
  if (!sb.pinned && pid === undefined) throw CriError.failedPrecondition(`sandbox ${sb.id} is not ready (stopped, or its infra process exited): create a new sandbox`);
  const proc = (p: number, ns: string): NamespaceRef => `/proc/${p}/ns/${ns}` as NamespaceRef;
  const held = (kind: 'ipc' | 'uts'): NamespaceRef => (sb.pinned ? (pinPath(sb, kind) as NamespaceRef) : proc(pid as number, kind));
  const hostNet = isHostNetwork(sb.config);
  let pidNs: NamespaceRef;
  switch (pidMode) {
    case 'NODE':
      pidNs = 'host';
      break;
    case 'CONTAINER':
      pidNs = 'new';
      break;
    case 'TARGET': {
      const target = ctx.containers.get(targetId);
      if (!target || target.sandboxId !== sb.id) throw CriError.notFound(`target container "${targetId}" of the PID namespace is not in sandbox ${sb.id}`);
      const tpid = await runtimeOf(ctx, sb).runningPid(target.handle);
      if (tpid === undefined) throw CriError.failedPrecondition(`target container ${target.id} is not running: its PID namespace cannot be joined`);
      pidNs = proc(tpid, 'pid');
      break;
    }
    default:
      // POD: the pod's shared PID namespace. A pinned sandbox was asked for none (its own pid
      // mode is CONTAINER), so the container gets its own, as it would with that pod mode.
      pidNs = isHostPid(sb.config) ? 'host' : pid !== undefined ? proc(pid, 'pid') : 'new';
  }
  return {
    network: hostNet ? 'host' : (podNetns(ctx, sb) as NamespaceRef),
    ipc: isHostIpc(sb.config) ? 'host' : held('ipc'),
    // A guest kernel keeps its own UTS namespace per container: a new one, named by the spec.
    uts: hostNet ? 'host' : runtimeOf(ctx, sb).options.guestKernel ? 'new' : held('uts'),
    pid: pidNs,
  };
}

export async function createContainer(ctx: RuntimeContext, req: CreateContainerRequest, signal: AbortSignal): Promise<string> {
  const config = req.config;
  if (!config) throw CriError.invalidArgument('CreateContainer needs a container config');
  const sb = ctx.sandboxes.must(req.pod_sandbox_id);
  if (sb.phase !== 'ready') throw CriError.failedPrecondition(`sandbox ${sb.id} is ${sb.phase}: containers can only be created in a ready sandbox`);
  const wanted = config.image?.image ?? '';
  if (!wanted) throw CriError.invalidArgument('container config must name an image');
  const img = await ctx.images.find(wanted);
  if (!img) throw CriError.notFound(`image "${wanted}" is not present on this node: pull it first`);
  for (const m of config.mounts) {
    // Image volumes (KEP-4639) are not implemented: say so with Unimplemented, the code CRI
    // clients (critest) take for "not supported", rather than failing on the empty host_path.
    if (m.image?.image) throw CriError.unimplemented(`mount at ${m.container_path} is an image volume (${m.image.image}): image volumes are not supported by skiff`);
    if (!path.isAbsolute(m.container_path)) throw CriError.invalidArgument(`mount container_path "${m.container_path}" must be an absolute path`);
    if (!path.isAbsolute(m.host_path)) throw CriError.invalidArgument(`mount host_path "${m.host_path}" must be an absolute path`);
  }
  const name = containerName(config, sb);
  const handler = runtimeOf(ctx, sb);
  const sc = config.linux?.security_context ?? null;
  const namespaces = await namespacesFor(ctx, sb, sc?.namespace_options?.pid ?? 'POD', sc?.namespace_options?.target_id ?? '');
  const id = randomId();
  ctx.containers.reserve(name, id);
  const paths = rootfsPaths(ctx.root, id);
  const handle: ContainerHandle = { id, bundle: paths.dir, persistDir: paths.dir };
  const logPath = sb.config.log_directory && config.log_path ? path.join(sb.config.log_directory, config.log_path) : undefined;
  if (logPath) handle.logPath = logPath;
  const rec: ContainerRecord = {
    id,
    name,
    sandboxId: sb.id,
    config,
    image: wanted,
    imageId: img.record.config.digest,
    imageRef: imageRef(img),
    createdAt: nowNs(),
    phase: 'creating',
    handle,
    ...(img.config.config?.StopSignal ? { stopSignal: img.config.config.StopSignal } : {}),
  };
  try {
    await ctx.containerStore.put(id, rec);
    ctx.containers.set(id, rec);
    // A missing bind source becomes a directory, as containerd and CRI-O do.
    for (const m of config.mounts) {
      if (!(await stat(m.host_path).catch(() => undefined))) await mkdir(m.host_path, { recursive: true });
    }
    const lowers = await ctx.images.snapshots.prepare({ config: img.config, layers: img.record.layers }, containerOwner(id), signal);
    const { target } = await mountRootfs({ root: ctx.root, containerId: id, lowerDirs: lowers });
    const privileged = sc?.privileged === true;
    const localhostSeccomp = await loadLocalhostSeccomp(sc);
    const deviceLookup: Record<string, OciDevice> = {};
    for (const d of config.devices) {
      const dev = await lookupDevice(d.host_path, d.container_path);
      if (dev) deviceLookup[d.host_path] = dev;
    }
    const files = podFiles(sb.dir);
    const { spec } = buildSpec({
      id,
      container: config,
      sandbox: sb.config,
      rootfs: target,
      image: img.config.config ?? {},
      userDb: await loadUserDb(target),
      namespaces,
      runtimeMounts: {
        etcHosts: files.etcHosts,
        resolvConf: files.resolvConf,
        hostname: files.hostname,
        devShm: isHostIpc(sb.config) ? '/dev/shm' : files.shm,
      },
      host: ctx.host,
      ...(privileged ? { hostDevices: await listHostDevices() } : {}),
      deviceLookup,
      ...(localhostSeccomp ? { localhostSeccomp } : {}),
    });
    if (spec.linux?.cgroupsPath) handle.cgroupsPath = spec.linux.cgroupsPath;
    await handler.create({
      id,
      bundle: handle.bundle,
      spec,
      name: `k8s_${name}`,
      ...(logPath ? { logPath } : {}),
      stdin: config.stdin,
      stdinOnce: config.stdin_once,
      signal,
    });
    rec.phase = 'created';
    await ctx.containerStore.put(id, rec);
    return id;
  } catch (err) {
    try {
      await removeContainerResources(ctx, rec);
    } catch (cleanup) {
      ctx.warn(`CreateContainer ${id}: rollback failed, the record is kept for recovery: ${(cleanup as Error).message}`);
    }
    throw err;
  }
}

export async function startContainer(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  if (rec.phase !== 'created') throw CriError.failedPrecondition(`container ${rec.id} is ${rec.phase === 'started' ? 'already started' : 'still being created'}: it can only be started once`);
  const sb = ctx.sandboxes.must(rec.sandboxId);
  if (!(await sandboxReady(ctx, sb))) throw CriError.failedPrecondition(`sandbox ${sb.id} is not ready: its containers cannot start`);
  await runtimeOf(ctx, sb).start(rec.handle);
  rec.phase = 'started';
  rec.startedAt = nowNs();
  await ctx.containerStore.put(rec.id, rec);
}

/** StopContainer's work (also used when the sandbox stops): signal, grace, SIGKILL. Idempotent. */
export async function stopContainerRecord(ctx: RuntimeContext, rec: ContainerRecord, timeoutSeconds: number): Promise<void> {
  if (rec.phase === 'creating') return;
  await stopIfRunning(containerRuntime(ctx, rec), rec.handle, timeoutSeconds, { signal: rec.stopSignal, started: rec.phase === 'started' });
}

/** Removes whatever of the container exists: runtime container, rootfs, snapshot claims, files, record, name, CPU sample. */
export async function removeContainerResources(ctx: RuntimeContext, rec: ContainerRecord): Promise<void> {
  const sb = ctx.sandboxes.get(rec.sandboxId);
  const handler = ctx.handlers.get(sb?.handler ?? ctx.defaultHandler);
  if (handler) await handler.delete(rec.handle, { force: true });
  await removeRootfs(ctx.root, rec.id);
  await ctx.images.snapshots.release(containerOwner(rec.id));
  await rm(rec.handle.bundle, { recursive: true, force: true });
  // The CRI log goes with the container, as containerd removes it.
  if (rec.handle.logPath) await rm(rec.handle.logPath, { force: true });
  await ctx.containerStore.delete(rec.id);
  ctx.containers.delete(rec.id);
  ctx.containers.release(rec.name, rec.id);
  forgetStats(rec.handle.cgroupsPath);
}

const CRI_STATE: Record<ContainerRuntimeStatus['state'], CriContainerState> = {
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  paused: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_EXITED',
  unknown: 'CONTAINER_UNKNOWN',
};

/** The container's state cheaply (for listings): no runtime call while conmon's files answer. */
async function quickState(ctx: RuntimeContext, rec: ContainerRecord): Promise<CriContainerState> {
  if (rec.phase === 'creating') return 'CONTAINER_UNKNOWN';
  const handler = containerRuntime(ctx, rec);
  // Never started: only the runtime tells created from gone (unless conmon already recorded an exit).
  if (rec.phase === 'created') return (await handler.exitInfo(rec.handle)) ? 'CONTAINER_EXITED' : CRI_STATE[(await handler.status(rec.handle)).state];
  // runningPid reads conmon's exit file first itself.
  return (await handler.runningPid(rec.handle)) !== undefined ? 'CONTAINER_RUNNING' : 'CONTAINER_EXITED';
}

export async function containerStatus(ctx: RuntimeContext, rec: ContainerRecord, verbose: boolean): Promise<Input<ContainerStatusResponse>> {
  const sb = ctx.sandboxes.must(rec.sandboxId);
  const handler = runtimeOf(ctx, sb);
  const st = rec.phase === 'creating' ? ({ id: rec.id, state: 'unknown', pid: 0, oomKilled: false } as ContainerRuntimeStatus) : await handler.status(rec.handle);
  const c = rec.config;
  const exited = st.state === 'exited';
  const out: Input<ContainerStatusResponse> = {
    status: {
      id: rec.id,
      metadata: c.metadata,
      state: CRI_STATE[st.state],
      created_at: rec.createdAt,
      started_at: rec.startedAt ?? 0,
      finished_at: exited ? dateNs(st.finishedAt) : 0,
      exit_code: exited ? (st.exitCode ?? 0) : 0,
      image: { image: rec.image, annotations: c.image?.annotations ?? {} },
      image_ref: rec.imageRef,
      image_id: rec.imageId,
      reason: exited ? (st.reason ?? '') : '',
      message: '',
      labels: c.labels,
      annotations: c.annotations,
      mounts: c.mounts,
      log_path: rec.handle.logPath ?? '',
      resources: { linux: rec.resources ?? c.linux?.resources ?? null },
    },
  };
  if (verbose) {
    out.info = {
      info: JSON.stringify({
        sandboxID: rec.sandboxId,
        pid: st.pid,
        removing: false,
        snapshotKey: rec.id,
        snapshotter: 'overlayfs',
        runtimeType: sb.handler,
        bundle: rec.handle.bundle,
        config: c,
      }),
    };
  }
  return out;
}

export async function listContainers(ctx: RuntimeContext, req: ListContainersRequest): Promise<Input<ListContainersResponse>> {
  const f = req.filter;
  const recs = filterContainers(ctx, f, (r) => r.phase !== 'creating');
  const containers: Input<Container>[] = [];
  for (const r of recs) {
    const state = await quickState(ctx, r);
    if (f?.state && f.state.state !== state) continue;
    containers.push({
      id: r.id,
      pod_sandbox_id: r.sandboxId,
      metadata: r.config.metadata,
      image: { image: r.image, annotations: r.config.image?.annotations ?? {} },
      image_ref: r.imageRef,
      image_id: r.imageId,
      state,
      created_at: r.createdAt,
      labels: r.config.labels,
      annotations: r.config.annotations,
    });
  }
  containers.sort((a, b) => (b.created_at ?? 0) - (a.created_at ?? 0));
  return { containers };
}
