// A controller test bench: an in-process API server on the memory store, a shared-informer
// controller context, a clock tests can move forward, and a tiny fake kubelet that marks pods
// Running and Ready through the status subresource (there is no scheduler or kubelet here: pods
// keep an empty nodeName and are deleted at once).

import { setMaxListeners } from 'node:events';
import { ApiServer } from '../../../src/apiserver/server.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { Client } from '../../../src/client/client.js';
import { SharedInformers } from '../../../src/client/factory.js';
import { InProcessTransport } from '../../../src/client/inprocess.js';
import type { Clock } from '../../../src/client/workqueue.js';
import { newRecorderFactory, resourceOf, type ControllerContext } from '../../../src/controllers/context.js';
import type { RunningController } from '../../../src/controllers/runner.js';
import { MemoryStore } from '../../../src/storage/memory.js';

export const podsResource = resourceOf('', 'Pod');
export const rsResource = resourceOf('apps', 'ReplicaSet');
export const deployResource = resourceOf('apps', 'Deployment');
export const eventsResource = resourceOf('', 'Event');

/** Real timers, but `now()` can be moved ahead: timers whose (skewed) due time passes fire at once. */
export class SkewClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<{ due: number; fn: () => void; handle: NodeJS.Timeout }>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { due: this.now() + ms, fn, handle: setTimeout(() => this.fire(t), ms) };
    t.handle.unref();
    this.timers.add(t);
    return t;
  }

  clearTimeout(h: unknown): void {
    const t = h as { handle: NodeJS.Timeout };
    clearTimeout(t.handle);
    this.timers.delete(h as never);
  }

  advance(ms: number): void {
    this.offset += ms;
    for (const t of [...this.timers]) if (t.due <= this.now()) this.fire(t);
  }

  private fire(t: { due: number; fn: () => void; handle: NodeJS.Timeout }): void {
    if (!this.timers.delete(t)) return;
    clearTimeout(t.handle);
    t.fn();
  }
}

export interface Bench {
  client: Client;
  ctx: ControllerContext;
  clock: SkewClock;
  errors: unknown[];
  /** Marks a pod Running and Ready (now, by the bench clock). */
  markReady(name: string, namespace?: string): Promise<void>;
  /** When set, every new pod it accepts is marked ready as soon as it is seen. */
  readyIf: ((pod: KObject) => boolean) | undefined;
  stop(): Promise<void>;
}

export type Starter = (ctx: ControllerContext) => RunningController | RunningController[] | void;

export async function startBench(starters: Starter[], opts: { wrapClient?: (c: Client) => Client; readyIf?: (pod: KObject) => boolean } = {}): Promise<Bench> {
  const store = new MemoryStore();
  const api = new ApiServer({ store, authenticator: { authenticate: () => undefined } });
  await api.start();
  const transport = new InProcessTransport(api, { name: 'system:kube-controller-manager', groups: ['system:authenticated', 'system:masters'] });
  const raw = new Client(transport);
  const client = opts.wrapClient ? opts.wrapClient(raw) : raw;
  const abort = new AbortController();
  // One listener per informer, queue and watch, as in `skiff server`.
  setMaxListeners(256, abort.signal);
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  const clock = new SkewClock();
  const informers = new SharedInformers(client, onError);
  const ctx: ControllerContext = {
    client,
    informers,
    options: { clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24, caPem: '' },
    signal: abort.signal,
    clock,
    recorder: newRecorderFactory(raw, onError),
    onError,
  };
  const running: RunningController[] = [];
  for (const s of starters) {
    const r = s(ctx);
    if (Array.isArray(r)) running.push(...r);
    else if (r) running.push(r);
  }
  const markReady = async (name: string, namespace = 'default') => {
    const t = new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] };
    await raw.patch(podsResource, name, { status }, 'merge', { namespace, subresource: 'status' }).catch(() => undefined);
  };
  const bench: Bench = {
    client: raw,
    ctx,
    clock,
    errors,
    markReady,
    readyIf: opts.readyIf,
    async stop() {
      abort.abort();
      await Promise.all(running.map((r) => r.done));
      transport.close();
      api.stop();
      await store.close();
    },
  };
  const pods = informers.informer(podsResource);
  pods.addHandlers({
    onAdd: (p: KObject) => {
      if (bench.readyIf?.(p) && !p.metadata.deletionTimestamp) void markReady(p.metadata.name ?? '', p.metadata.namespace);
    },
  });
  informers.start(abort.signal);
  await Promise.all(running.map((r) => r.ready));
  await informers.waitForSync(abort.signal);
  return bench;
}

/** Polls `fn` until it returns a value other than undefined (5 s default). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const list = async (client: Client, r: typeof podsResource, namespace = 'default', labelSelector?: string): Promise<KObject[]> =>
  (await client.list(r, { namespace, ...(labelSelector ? { labelSelector } : {}) })).items;

/** Active pods (not terminating) in a namespace. */
export const activePods = async (client: Client, namespace = 'default', labelSelector?: string): Promise<KObject[]> =>
  (await list(client, podsResource, namespace, labelSelector)).filter((p) => !p.metadata.deletionTimestamp);

export async function eventsFor(client: Client, name: string, namespace = 'default'): Promise<{ reason: string; message: string; type: string }[]> {
  const items = await list(client, eventsResource, namespace);
  return items
    .filter((e) => (e.involvedObject as { name?: string }).name === name)
    .map((e) => ({ reason: String(e.reason), message: String(e.message), type: String(e.type) }));
}
