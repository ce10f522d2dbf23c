// An in-process cluster for controller, scheduler and sim tests: an API server on the memory
// store, a client over the in-process transport (the full request path, no sockets), shared
// informers and a controller context. There is no kubelet or scheduler unless a test brings one;
// the test plays them through `client`.

import { setMaxListeners } from 'node:events';
import { MemoryStore } from '../../src/storage/memory.js';
import { ApiServer } from '../../src/apiserver/server.js';
import type { UserInfo } from '../../src/apiserver/authn.js';
import { Client } from '../../src/client/client.js';
import { InProcessTransport } from '../../src/client/inprocess.js';
import { SharedInformers } from '../../src/client/factory.js';
import type { RetryPolicy } from '../../src/client/transport.js';
import { realClock, type Clock } from '../../src/client/workqueue.js';
import { newRecorderFactory, type ControllerContext, type ControllerOptions } from '../../src/controllers/context.js';

export interface ClusterOptions {
  /** The controllers' clock (`ctx.clock`); real time unless given. */
  clock?: Clock;
  /** Merged over the defaults (cluster CIDR 10.42.0.0/16, /24 per node). */
  options?: Partial<ControllerOptions> & Record<string, unknown>;
  /** Whom the API server sees; kube-controller-manager unless given. */
  user?: UserInfo;
  /** The transport's retries (its defaults unless given); one attempt lets 429 and 500 surface. */
  retry?: RetryPolicy;
  /** Wraps the client the controllers use (`ctx.client`, the informers), e.g. to inject failures. */
  wrapClient?: (c: Client) => Client;
  /** The API server's log; stderr unless given. */
  log?: (msg: string) => void;
}

/** What `run` starts: a controller, several, or something with the same ready/done contract. */
export interface Running {
  ready: Promise<void>;
  done: Promise<void>;
}
export type Starter = (ctx: ControllerContext) => Running | Running[] | void;

export interface Cluster {
  api: ApiServer;
  transport: InProcessTransport;
  /** The plain client (not wrapped by `wrapClient`): what the test acts and reads through. */
  client: Client;
  ctx: ControllerContext;
  /** Everything reported to `ctx.onError` (controllers, informers, event recorders). */
  errors: unknown[];
  /** Starts controllers on `ctx`, then the informers; resolves once they are ready and synced. */
  run(...starters: Starter[]): Promise<void>;
  /** Aborts `ctx.signal`, waits for what `run` started to finish, then closes the server. */
  stop(): Promise<void>;
}

const controllerManager: UserInfo = { name: 'system:kube-controller-manager', groups: ['system:authenticated'] };

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const store = new MemoryStore();
  const api = new ApiServer({ store, authenticator: { authenticate: () => undefined }, ...(opts.log ? { log: opts.log } : {}) });
  await api.start();
  const transport = new InProcessTransport(api, opts.user ?? controllerManager, ...(opts.retry ? [opts.retry] : []));
  const client = new Client(transport);
  const controllerClient = opts.wrapClient ? opts.wrapClient(client) : client;
  const abort = new AbortController();
  // One listener per informer, queue and worker, as in `skiff server`.
  setMaxListeners(256, abort.signal);
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  const ctx: ControllerContext = {
    client: controllerClient,
    informers: new SharedInformers(controllerClient, onError),
    options: { clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24, caPem: '', ...opts.options },
    signal: abort.signal,
    clock: opts.clock ?? realClock,
    recorder: newRecorderFactory(client, onError),
    onError,
  };
  const running: Running[] = [];
  return {
    api,
    transport,
    client,
    ctx,
    errors,
    async run(...starters) {
      const started: Running[] = [];
      for (const s of starters) {
        const r = s(ctx);
        if (Array.isArray(r)) started.push(...r);
        else if (r) started.push(r);
      }
      running.push(...started);
      ctx.informers.start(abort.signal);
      await Promise.all(started.map((r) => r.ready));
      await ctx.informers.waitForSync(abort.signal);
    },
    async stop() {
      abort.abort();
      await Promise.all(running.map((r) => r.done));
      transport.close();
      api.stop();
      await store.close();
    },
  };
}

/** Runs `fn` against a fresh cluster (`startCluster`); it is stopped afterwards, whatever happens. */
export async function withCluster(fn: (c: Cluster) => Promise<void>, opts: ClusterOptions = {}): Promise<void> {
  const c = await startCluster(opts);
  try {
    await fn(c);
  } finally {
    await c.stop();
  }
}
