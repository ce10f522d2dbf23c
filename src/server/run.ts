// `skiff server`: the control plane and, unless --disable-agent, the node agent in one process.
// Start-up is a checklist, each step waiting for the one before: datastore → certificates →
// API server (cache filled, system objects) → controllers and scheduler → HTTPS listener →
// admin kubeconfig. The agent part — for now the CRI runtime (the kubelet joins it in a later
// issue) — starts at the same time as the first step, since it needs nothing from the control
// plane, and the server is ready when both are.

import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { networkInterfaces } from 'node:os';
import { setMaxListeners } from 'node:events';
import type https from 'node:https';
import { openStore } from '../storage/index.js';
import type { Store } from '../storage/store.js';
import { ensurePki } from '../apiserver/pki.js';
import { newAuthenticator } from '../apiserver/authn.js';
import { ApiServer, boundPort, listenHttps } from '../apiserver/server.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { startCompactor } from '../storage/compactor.js';
import { controllers as allControllers } from '../controllers/all.js';
import { newRecorderFactory, type ControllerContext } from '../controllers/context.js';
import { Client } from '../client/client.js';
import { SharedInformers } from '../client/factory.js';
import { InProcessTransport } from '../client/inprocess.js';
import { realClock } from '../client/workqueue.js';
import { startScheduler } from '../scheduler/scheduler.js';
import type { Runtime, RuntimeOptions } from '../runtime/service/service.js';
import { startAgent, type RunningAgent } from '../agent/run.js';

export interface ServerOptions {
  dataDir: string;
  bindAddress: string;
  httpsListenPort: number;
  advertiseAddress?: string;
  datastoreEndpoint?: string;
  writeKubeconfig?: string;
  writeKubeconfigMode?: number;
  tokenAuthFile?: string;
  tlsSan: string[];
  serviceCidr: string;
  clusterCidr: string;
  serviceNodePortRange: [number, number];
  /** Run no node agent here: no CRI runtime (a control plane only, as k3s's --disable-agent). */
  disableAgent: boolean;
  /** The node agent's CRI runtime; required unless disableAgent. */
  runtime?: RuntimeOptions;
  /** Run no controllers here (they run elsewhere, e.g. `skiff controller-manager`). */
  disableControllerManager?: boolean;
  /** Run no scheduler here (`skiff scheduler` runs elsewhere). */
  disableScheduler?: boolean;
  nodeMonitorGracePeriod?: number;
  nodeMonitorPeriod?: number;
}

export interface RunningServer {
  api: ApiServer;
  https: https.Server;
  port: number;
  kubeconfig: string;
  store: Store;
  /** The node agent's CRI runtime; undefined with disableAgent. */
  runtime?: Runtime;
  /** Stops everything started here; running containers keep running (conmon holds them). */
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions, log: (m: string) => void = (m) => process.stderr.write(m + '\n')): Promise<RunningServer> {
  const started = Date.now();
  if (!opts.disableAgent && !opts.runtime) throw new Error('startServer: give the node agent\'s runtime options, or disableAgent for a control plane only');
  const cleanups: (() => Promise<void> | void)[] = [];
  const agentStart = opts.runtime && !opts.disableAgent ? startAgentInBackground(opts.runtime, log) : undefined;
  // Whatever happens to the control plane, an agent that started is stopped with it.
  if (agentStart) cleanups.push(async () => (await agentStart).agent?.stop());
  try {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    const endpoint = opts.datastoreEndpoint || `sqlite://${join(opts.dataDir, 'db', 'state.db')}`;
    const store = await openStore(endpoint);
    cleanups.unshift(() => store.close());
    const advertise = opts.advertiseAddress ?? (opts.bindAddress === '0.0.0.0' || opts.bindAddress === '::' ? hostAddress() : opts.bindAddress);
    const ips = [...new Set(['127.0.0.1', advertise, ...opts.tlsSan.filter(isIp)])];
    const dnsNames = [...new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', ...opts.tlsSan.filter((s) => !isIp(s))])];
    const pki = await ensurePki(opts.dataDir, { dnsNames, ips });
    const api = new ApiServer({
      store,
      authenticator: newAuthenticator({ tokenFile: opts.tokenAuthFile }),
      serviceCidr: opts.serviceCidr,
      nodePortRange: opts.serviceNodePortRange,
      advertisePort: opts.httpsListenPort,
      log,
    });
    await api.start();
    cleanups.unshift(() => api.stop());
    cleanups.unshift(startCompactor(store, { intervalMs: 5 * 60_000 }));
    // Controllers run in this process and talk to the API server through the in-process transport.
    const controllers = new AbortController();
    // Every informer, queue and worker listens on this one signal: a fixed number, about one per
    // informer (the garbage collector has one per resource), not a growing one.
    setMaxListeners(256, controllers.signal);
    cleanups.unshift(() => controllers.abort());
    const client = new Client(new InProcessTransport(api, { name: 'system:kube-controller-manager', groups: ['system:authenticated'] }));
    const report = (err: unknown) => log(`controller: ${(err as Error)?.message ?? String(err)}`);
    const ctx: ControllerContext = {
      client,
      informers: new SharedInformers(client, report),
      options: {
        clusterCidr: opts.clusterCidr,
        nodeCidrMaskSize: 24,
        caPem: pki.ca.cert,
        ...(opts.nodeMonitorGracePeriod !== undefined ? { nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriod } : {}),
        ...(opts.nodeMonitorPeriod !== undefined ? { nodeMonitorPeriodMs: opts.nodeMonitorPeriod } : {}),
      },
      signal: controllers.signal,
      clock: realClock,
      recorder: newRecorderFactory(client, report),
      onError: report,
    };
    if (!opts.disableControllerManager) for (const c of allControllers) c.start(ctx);
    // The scheduler shares the controllers' informers (one pod and node watch for both).
    if (!opts.disableScheduler) startScheduler({ client, informers: ctx.informers, recorder: ctx.recorder, signal: controllers.signal, onError: (err) => log(`scheduler: ${(err as Error)?.message ?? String(err)}`) });
    ctx.informers.start(controllers.signal);
    const server = await listenHttps(api, { host: opts.bindAddress, port: opts.httpsListenPort, cert: pki.serving.cert, key: pki.serving.key, ca: pki.ca.cert });
    cleanups.unshift(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    const port = boundPort(server);
    await api.reconcileKubernetesEndpoints(advertise, port);
    const kubeconfig = opts.writeKubeconfig ?? join(opts.dataDir, 'kubeconfig.yaml');
    const host = advertise.includes(':') ? `[${advertise}]` : advertise;
    writeKubeconfig(kubeconfig, { server: `https://${host}:${port}`, caPem: pki.ca.cert, clientCertPem: pki.admin.cert, clientKeyPem: pki.admin.key });
    if (opts.writeKubeconfigMode !== undefined) chmodSync(kubeconfig, opts.writeKubeconfigMode);
    const runtime = agentStart ? (await agentOf(agentStart)).runtime : undefined;
    const node = runtime ? `; CRI runtime ${runtime.socket}` : '; agent disabled';
    log(`skiff server ready in ${Date.now() - started} ms: https://${host}:${port} (datastore ${endpoint.replace(/\/\/.*@/, '//')}); kubeconfig ${kubeconfig}${node}`);
    return {
      api,
      https: server,
      port,
      kubeconfig,
      store,
      ...(runtime ? { runtime } : {}),
      async stop() {
        for (const c of cleanups) await c();
      },
    };
  } catch (err) {
    for (const c of cleanups) await c();
    throw err;
  }
}

/** The agent's start under way; it never rejects, so a failure waits for agentOf unhandled-free. */
type AgentStart = Promise<{ agent?: RunningAgent; error?: unknown }>;

function startAgentInBackground(runtime: RuntimeOptions, log: (m: string) => void): AgentStart {
  return startAgent({ runtime }, log).then(
    (agent) => ({ agent }),
    (error: unknown) => ({ error }),
  );
}

async function agentOf(start: AgentStart): Promise<RunningAgent> {
  const { agent, error } = await start;
  if (agent) return agent;
  throw new Error(`the node agent's container runtime did not start (start the server with --disable-agent for a control plane only): ${(error as Error)?.message ?? String(error)}`);
}

/** The machine's first non-internal IPv4 address (what k3s calls the node IP), else loopback. */
function hostAddress(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function isIp(s: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(':');
}
