// `skiff server`: the control plane in one process. Start-up is a checklist, each step waiting
// for the one before: datastore → certificates → API server (cache filled, system objects) →
// HTTPS listener → admin kubeconfig. Later issues add the scheduler, controllers and the agent.

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
  disableAgent: boolean;
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
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions, log: (m: string) => void = (m) => process.stderr.write(m + '\n')): Promise<RunningServer> {
  const started = Date.now();
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const endpoint = opts.datastoreEndpoint || `sqlite://${join(opts.dataDir, 'db', 'state.db')}`;
  const store = await openStore(endpoint);
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  try {
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
    log(`skiff server ready in ${Date.now() - started} ms: https://${host}:${port} (datastore ${endpoint.replace(/\/\/.*@/, '//')}); kubeconfig ${kubeconfig}`);
    return {
      api,
      https: server,
      port,
      kubeconfig,
      store,
      async stop() {
        for (const c of cleanups) await c();
      },
    };
  } catch (err) {
    for (const c of cleanups) await c();
    throw err;
  }
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
