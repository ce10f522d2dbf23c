// skiff's CRI runtime: builds the RuntimeContext, recovers from the records, and serves every
// RPC on the CRI socket. Each handler is a thin adapter onto sandbox.ts / container.ts /
// images.ts / stats.ts; state changes of one object are serialised with ctx.locks.

import path from 'node:path';
import { pathExists } from '../../util/fs.js';
import { CriError } from '../../cri/errors.js';
import { startCriServer, type CriCallRecord, type ImageHandlers, type RuntimeHandlers } from '../../cri/server.js';
import { buildDefaultConflist, type CniConflist } from '../../network/cni-config.js';
import { loadRegistriesConfig, type RegistriesConfig } from '../images/registries-config.js';
import { detectHostFeatures } from '../oci/host.js';
import { buildResources } from '../oci/resources.js';
import { OciRuntime } from '../oci/runtime.js';
import { PodNetworkManager } from '../sandbox/cni-pod.js';
import { NetnsManager } from '../sandbox/netns.js';
import { OciStreamingBackend, startStreamingServer, type OciContainerTarget, type SandboxTarget } from '../streaming/index.js';
import { containerStatus, createContainer, listContainers, removeContainerResources, startContainer, stopContainerRecord } from './container.js';
import { containerRuntime, filterContainers, filterSandboxes, type RuntimeContext } from './context.js';
import { ImageStore } from '../images/image-store.js';
import { imageFsInfo, imageStatus, listImages, pull, removeImage } from './images.js';
import { recover, type RecoveryReport } from './recover.js';
import { ensurePauseRootfs, listSandboxes, podNetns, removeSandboxResources, runPodSandbox, sandboxStatus, stopSandbox } from './sandbox.js';
import { KeyedLock } from '../../util/keyed-lock.js';
import { DEFAULT_RUNTIME_ROOT, DEFAULT_RUNTIME_STATE } from '../defaults.js';
import { IdIndex, containerRecords, sandboxRecords } from './state.js';
import { containerStats, sandboxStats } from './stats.js';

export const RUNTIME_NAME = 'skiff';
export const RUNTIME_VERSION = '0.1.0';

export interface HandlerConfig {
  name: string;
  /** The OCI runtime binary. */
  path: string;
  args?: string[];
  /** The runtime runs a guest kernel (gVisor): each container has its own UTS namespace, named by the spec's hostname. */
  guestKernel?: boolean;
}

export interface RuntimeOptions {
  /** CRI socket path or unix:// endpoint. */
  socket: string;
  /** Persistent root; default /var/lib/skiff/runtime. */
  root?: string;
  /** Volatile state (tmpfs); default /run/skiff/runtime. */
  stateDir?: string;
  /** Network namespaces' mount dir; default `<stateDir>/netns` (one runtime never touches another's). */
  netnsDir?: string;
  /** The pod network when UpdateRuntimeConfig has not given one (default: bridge skiff0 on 10.88.0.0/16). */
  podCidr?: string;
  bridge?: string;
  networkName?: string;
  /** A CNI conflist to use instead of the generated one (UpdateRuntimeConfig then changes nothing). */
  network?: CniConflist;
  registries?: RegistriesConfig;
  /** registries.yaml to load when `registries` is not given; a missing file is fine. */
  registriesFile?: string;
  /** RuntimeClass handlers; default runc (+ runsc when installed). The first is the default. */
  handlers?: HandlerConfig[];
  log?: (call: CriCallRecord) => void;
  warn?: (message: string) => void;
  /** Where the streaming server (Exec/Attach/PortForward URLs) listens; default 127.0.0.1, a free port. */
  streamingAddress?: string;
  streamingPort?: number;
}

export interface Runtime {
  readonly socket: string;
  readonly ctx: RuntimeContext;
  readonly recovery: RecoveryReport;
  stop(): Promise<void>;
}

export async function defaultHandlers(): Promise<HandlerConfig[]> {
  const out: HandlerConfig[] = [{ name: 'runc', path: '/usr/sbin/runc' }];
  // gVisor with --network=host: the sandbox uses the kernel's network stack of the namespace it
  // runs in, which is the pod's (the spec's netns). Its own netstack mode cannot start here:
  // Debian 12's runsc (20221219) tells the root namespace by /proc/sys/net/core/rmem_default,
  // which newer kernels show in every namespace, so it refuses every pod namespace as "root".
  if (await pathExists('/usr/bin/runsc')) out.push({ name: 'runsc', path: '/usr/bin/runsc', args: ['--network=host'], guestKernel: true });
  return out;
}

/** The runtime's context for `opts` (no socket, no recovery yet): shared by startRuntime and resetRuntime. */
export async function createContext(opts: Omit<RuntimeOptions, 'socket'>): Promise<{ ctx: RuntimeContext; defaultNetwork: (cidr: string | undefined) => CniConflist; generated: boolean }> {
  const root = path.resolve(opts.root ?? DEFAULT_RUNTIME_ROOT);
  const stateDir = path.resolve(opts.stateDir ?? DEFAULT_RUNTIME_STATE);
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`skiff runtime: ${m}\n`));
  const handlers = new Map<string, OciRuntime>();
  for (const h of opts.handlers ?? (await defaultHandlers())) {
    handlers.set(
      h.name,
      new OciRuntime({
        handler: h.name,
        runtimePath: h.path,
        runtimeRoot: path.join(stateDir, h.name),
        runtimeArgs: h.args ?? [],
        guestKernel: h.guestKernel === true,
        exitDir: path.join(stateDir, 'exits'),
        socketDir: path.join(stateDir, 's'),
      }),
    );
  }
  const generated = opts.network === undefined;
  const defaultNetwork = (cidr: string | undefined): CniConflist =>
    buildDefaultConflist({ podCIDR: cidr, bridge: opts.bridge, networkName: opts.networkName, ipamDataDir: path.join(root, 'cni', 'ipam') });
  const netns = new NetnsManager({ dir: opts.netnsDir ?? path.join(stateDir, 'netns'), recordsDir: path.join(root, 'state', 'netns') });
  const network = new PodNetworkManager({ recordsDir: path.join(root, 'state', 'cni'), netns, network: opts.network ?? defaultNetwork(opts.podCidr) });
  // Independent start-up reads, side by side.
  const [registries, host, pauseRootfs] = await Promise.all([
    (async () => opts.registries ?? (opts.registriesFile && (await pathExists(opts.registriesFile)) ? loadRegistriesConfig(opts.registriesFile) : undefined))(),
    detectHostFeatures(),
    ensurePauseRootfs(root),
  ]);
  const ctx: RuntimeContext = {
    root,
    stateDir,
    handlers,
    defaultHandler: [...handlers.keys()][0] ?? 'runc',
    netns,
    network,
    images: new ImageStore(root),
    host,
    pauseRootfs,
    sandboxes: new IdIndex('sandbox'),
    containers: new IdIndex('container'),
    sandboxStore: sandboxRecords(root),
    containerStore: containerRecords(root),
    locks: new KeyedLock(),
    registries,
    warn,
  };
  return { ctx, defaultNetwork, generated };
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { ctx, defaultNetwork, generated } = await createContext(opts);
  const { root, stateDir, handlers, network, registries } = ctx;
  const recovery = await recover(ctx);

  const sandboxOf = (id: string) => ctx.sandboxes.must(id);
  const containerOf = (id: string) => ctx.containers.must(id);
  const streaming = await startStreamingServer<OciContainerTarget, SandboxTarget>({
    backend: new OciStreamingBackend(),
    host: opts.streamingAddress ?? '127.0.0.1',
    port: opts.streamingPort ?? 0,
    onError: (e) => ctx.warn(`streaming: ${e.message}`),
  });
  /** Exec and Attach need a running container (containerd answers FailedPrecondition too). */
  const runningTarget = async (id: string): Promise<OciContainerTarget> => {
    const c = containerOf(id);
    const runtime = containerRuntime(ctx, c);
    if (c.phase !== 'started' || (await runtime.runningPid(c.handle)) === undefined) throw CriError.failedPrecondition(`container ${c.id} is not running`);
    return { runtime, handle: c.handle, stdin: c.config.stdin, tty: c.config.tty };
  };
  const runtime: Partial<RuntimeHandlers> = {
    Version: () => ({ version: '0.1.0', runtime_name: RUNTIME_NAME, runtime_version: RUNTIME_VERSION, runtime_api_version: 'v1' }),
    Status: async (req) => {
      const net = await network.condition();
      return {
        status: {
          conditions: [
            { type: 'RuntimeReady', status: true },
            { type: 'NetworkReady', status: net.ready, reason: net.reason, message: net.message },
          ],
        },
        runtime_handlers: [...handlers.keys()].map((name) => ({ name, features: { recursive_read_only_mounts: false, user_namespaces: false } })),
        features: { supplemental_groups_policy: false },
        info: req.verbose ? { config: JSON.stringify({ root, stateDir, handlers: [...handlers.keys()], network: network.network() ?? null, registries: registries ?? null }) } : {},
      };
    },
    UpdateRuntimeConfig: async (req) => {
      const cidr = req.runtime_config?.network_config?.pod_cidr ?? '';
      if (cidr === '' || !generated) return;
      try {
        network.setNetwork(defaultNetwork(cidr));
      } catch (err) {
        throw CriError.invalidArgument(`pod_cidr "${cidr}": ${(err as Error).message}`);
      }
    },
    RunPodSandbox: async (req, call) => ({ pod_sandbox_id: await runPodSandbox(ctx, req, call.signal) }),
    StopPodSandbox: async (req) => {
      // Idempotent (CRI): a sandbox that is already gone has nothing left to stop (critest checks this).
      const sb = ctx.sandboxes.get(req.pod_sandbox_id);
      if (!sb) return;
      await ctx.locks.run(sb.id, () => stopSandbox(ctx, sb));
    },
    RemovePodSandbox: async (req) => {
      // Idempotent (CRI): removing an unknown sandbox is fine.
      const sb = ctx.sandboxes.get(req.pod_sandbox_id);
      if (!sb) return;
      await ctx.locks.run(sb.id, async () => {
        await stopSandbox(ctx, sb);
        await removeSandboxResources(ctx, sb);
      });
    },
    PodSandboxStatus: (req) => sandboxStatus(ctx, sandboxOf(req.pod_sandbox_id), req.verbose),
    ListPodSandbox: (req) => listSandboxes(ctx, req),
    CreateContainer: async (req, call) => ({ container_id: await createContainer(ctx, req, call.signal) }),
    StartContainer: async (req) => {
      const c = containerOf(req.container_id);
      await ctx.locks.run(c.id, () => startContainer(ctx, c));
    },
    StopContainer: async (req) => {
      // Idempotent (CRI): stopping a container that is already gone is not an error.
      const c = ctx.containers.get(req.container_id);
      if (!c) return;
      await ctx.locks.run(c.id, () => stopContainerRecord(ctx, c, req.timeout));
    },
    RemoveContainer: async (req) => {
      const c = ctx.containers.get(req.container_id);
      if (!c) return;
      await ctx.locks.run(c.id, () => removeContainerResources(ctx, c));
    },
    ContainerStatus: (req) => containerStatus(ctx, containerOf(req.container_id), req.verbose),
    ListContainers: (req) => listContainers(ctx, req),
    UpdateContainerResources: async (req) => {
      const c = containerOf(req.container_id);
      if (!req.linux) return;
      const res = buildResources(req.linux, ctx.host);
      await ctx.locks.run(c.id, async () => {
        await containerRuntime(ctx, c).updateResources(c.handle, res.resources);
        c.resources = req.linux ?? undefined;
        await ctx.containerStore.put(c.id, c);
      });
    },
    ReopenContainerLog: async (req) => {
      const c = containerOf(req.container_id);
      await containerRuntime(ctx, c).reopenLog(c.handle);
    },
    ExecSync: async (req) => {
      const c = containerOf(req.container_id);
      const r = await containerRuntime(ctx, c).execSync(c.handle, req.cmd, { timeoutMs: req.timeout * 1000 });
      if (r.timedOut) throw CriError.deadlineExceeded(`command ${JSON.stringify(req.cmd)} in container ${c.id} timed out after ${req.timeout} s`);
      return { stdout: r.stdout, stderr: r.stderr, exit_code: r.exitCode };
    },
    ContainerStats: async (req) => ({ stats: await containerStats(ctx, containerOf(req.container_id)) }),
    ListContainerStats: async (req) => {
      const recs = filterContainers(ctx, req.filter, (c) => c.phase === 'started');
      return { stats: await Promise.all(recs.map((c) => containerStats(ctx, c))) };
    },
    PodSandboxStats: async (req) => ({ stats: await sandboxStats(ctx, sandboxOf(req.pod_sandbox_id)) }),
    ListPodSandboxStats: async (req) => {
      const recs = filterSandboxes(ctx, req.filter, (s) => s.phase === 'ready');
      return { stats: await Promise.all(recs.map((s) => sandboxStats(ctx, s))) };
    },
    Exec: async (req) => streaming.getExec(req, await runningTarget(req.container_id)),
    Attach: async (req) => streaming.getAttach(req, await runningTarget(req.container_id)),
    PortForward: async (req) => {
      const sb = sandboxOf(req.pod_sandbox_id);
      if (sb.phase !== 'ready') throw CriError.failedPrecondition(`sandbox ${sb.id} is not ready`);
      const netnsPath = podNetns(ctx, sb);
      return streaming.getPortForward(req, netnsPath ? { netnsPath } : {});
    },
    CheckpointContainer: () => {
      throw CriError.unimplemented('CheckpointContainer is not supported by skiff: container checkpoint/restore (CRIU) is not implemented');
    },
  };
  const image: Partial<ImageHandlers> = {
    ListImages: async (req) => ({ images: await listImages(ctx, req.filter?.image) }),
    ImageStatus: (req) => imageStatus(ctx, req.image, req.verbose),
    PullImage: async (req, call) => ({ image_ref: await pull(ctx, req.image, req.auth, call.signal) }),
    RemoveImage: (req) => removeImage(ctx, req.image),
    ImageFsInfo: () => imageFsInfo(ctx),
  };
  let server;
  try {
    server = await startCriServer({ socket: opts.socket, runtime, image, ...(opts.log ? { log: opts.log } : {}) });
  } catch (err) {
    await streaming.close();
    ctx.images.close();
    throw err;
  }
  const srv = server;
  return {
    socket: srv.socket,
    ctx,
    recovery,
    async stop() {
      await srv.stop();
      await streaming.close();
      ctx.images.close();
    },
  };
}
