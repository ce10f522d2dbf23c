// An in-process cluster for controller tests: an API server on the memory store, a client over
// the in-process transport (the full request path), shared informers and a controller context.
// The test plays kubelet and users through `client`. Also a fake clock and small fixtures.

import { MemoryStore } from '../../src/storage/memory.js';
import { ApiServer } from '../../src/apiserver/server.js';
import { Client } from '../../src/client/client.js';
import { InProcessTransport } from '../../src/client/inprocess.js';
import { SharedInformers } from '../../src/client/factory.js';
import { realClock, type Clock } from '../../src/client/workqueue.js';
import { newRecorderFactory, resourceOf, type ControllerContext, type ControllerOptions } from '../../src/controllers/context.js';
import type { KObject } from '../../src/apiserver/object.js';

export const res = {
  pods: resourceOf('', 'Pod'),
  services: resourceOf('', 'Service'),
  nodes: resourceOf('', 'Node'),
  endpoints: resourceOf('', 'Endpoints'),
  events: resourceOf('', 'Event'),
  slices: resourceOf('discovery.k8s.io', 'EndpointSlice'),
  leases: resourceOf('coordination.k8s.io', 'Lease'),
};

export interface Cluster {
  client: Client;
  ctx: ControllerContext;
  errors: unknown[];
}

/** Runs `fn` against a fresh in-process cluster; everything is stopped afterwards. */
export async function withCluster(fn: (c: Cluster) => Promise<void>, opts: { clock?: Clock; options?: Partial<ControllerOptions> & Record<string, unknown> } = {}): Promise<void> {
  const store = new MemoryStore();
  const api = new ApiServer({ store, authenticator: { authenticate: () => undefined } });
  await api.start();
  const transport = new InProcessTransport(api, { name: 'system:kube-controller-manager', groups: ['system:authenticated'] });
  const client = new Client(transport);
  const stop = new AbortController();
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  const ctx: ControllerContext = {
    client,
    informers: new SharedInformers(client, onError),
    options: { clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24, caPem: '', ...opts.options },
    signal: stop.signal,
    clock: opts.clock ?? realClock,
    recorder: newRecorderFactory(client, onError),
    onError,
  };
  try {
    await fn({ client, ctx, errors });
  } finally {
    stop.abort();
    transport.close();
    api.stop();
    await store.close();
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
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

/** A clock whose timers fire only when the test advances it. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
}

export function node(name: string, opts: { ready?: 'True' | 'False' | 'Unknown'; labels?: Record<string, string>; heartbeat?: string; podCIDR?: string } = {}): KObject {
  const hb = opts.heartbeat ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: opts.labels ?? {} },
    spec: opts.podCIDR ? { podCIDR: opts.podCIDR, podCIDRs: [opts.podCIDR] } : {},
    status: opts.ready ? { conditions: [{ type: 'Ready', status: opts.ready, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: hb, lastTransitionTime: hb }] } : {},
  };
}

export function pod(name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }], ...spec },
  };
}

/** Plays kubelet: gives the pod an IP and a Ready condition. */
export async function setPodStatus(client: Client, ns: string, name: string, ip: string | undefined, ready: boolean): Promise<KObject> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status: Record<string, unknown> = { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }] };
  if (ip) Object.assign(status, { podIP: ip, podIPs: [{ ip }] });
  return client.patch(res.pods, name, { status }, 'merge', { namespace: ns, subresource: 'status' });
}

export function service(name: string, selector: Record<string, string> | undefined, ports: Record<string, unknown>[] = [{ name: 'http', port: 80, targetPort: 'http' }], extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ...(selector ? { selector } : {}), ports, ...extra } };
}

export async function eventsFor(client: Client, ns: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await client.list(res.events, { namespace: ns });
  return list.items
    .filter((e) => (e.involvedObject as { name?: string }).name === name)
    .map((e) => ({ reason: String(e.reason), message: String(e.message), type: String(e.type) }));
}
