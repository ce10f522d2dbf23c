// Shared by the disruption controller and eviction tests: an in-process API server on the memory
// store, a client through the in-process transport (no retries, so 429 and 500 surface at once),
// and builders for pods, owners and budgets.

import { MemoryStore } from '../../../src/storage/memory.js';
import { ApiServer } from '../../../src/apiserver/server.js';
import { Client } from '../../../src/client/client.js';
import { InProcessTransport } from '../../../src/client/inprocess.js';
import { ApiError } from '../../../src/client/transport.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { resourceOf } from '../../../src/controllers/context.js';

export const res = {
  pods: resourceOf('', 'Pod'),
  pdbs: resourceOf('policy', 'PodDisruptionBudget'),
  replicaSets: resourceOf('apps', 'ReplicaSet'),
  deployments: resourceOf('apps', 'Deployment'),
  jobs: resourceOf('batch', 'Job'),
  events: resourceOf('', 'Event'),
};

export interface Cluster {
  api: ApiServer;
  client: Client;
  transport: InProcessTransport;
}

export async function withCluster(fn: (c: Cluster) => Promise<void>): Promise<void> {
  const store = new MemoryStore();
  const api = new ApiServer({ store, authenticator: { authenticate: () => undefined } });
  await api.start();
  const transport = new InProcessTransport(api, { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] }, { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 });
  try {
    await fn({ api, client: new Client(transport), transport });
  } finally {
    transport.close();
    api.stop();
    await store.close();
  }
}

type Owner = { apiVersion: string; kind: string; name: string; uid: string };

export function podObj(name: string, opts: { labels?: Record<string, string>; owner?: Owner; nodeName?: string; grace?: number } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: opts.labels ?? { app: 'web' },
      ...(opts.owner ? { ownerReferences: [{ ...opts.owner, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'busybox' }],
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.grace !== undefined ? { terminationGracePeriodSeconds: opts.grace } : {}),
    },
  };
}

/** Creates the pod and gives it a status (as a kubelet would): Running, Ready as asked. */
export async function runPod(client: Client, ns: string, pod: KObject, ready = true, phase = 'Running'): Promise<KObject> {
  const created = await client.create(res.pods, pod, ns);
  return setPodStatus(client, ns, created.metadata.name ?? '', ready, phase);
}

export function setPodStatus(client: Client, ns: string, name: string, ready: boolean, phase = 'Running'): Promise<KObject> {
  const status = { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  return client.patch(res.pods, name, { status }, 'merge', { namespace: ns, subresource: 'status' });
}

export function pdbObj(name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } };
}

export function replicaSetObj(name: string, replicas: number, owner?: Owner): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}) },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

export function ownerRef(obj: KObject): Owner {
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name ?? '', uid: obj.metadata.uid ?? '' };
}

/** POSTs an Eviction; resolves with the answer's HTTP code and Status body (errors included). */
export async function evict(c: Cluster, ns: string, name: string, deleteOptions?: Record<string, unknown>, query = ''): Promise<{ code: number; body: Record<string, unknown> }> {
  const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, ...(deleteOptions ? { deleteOptions } : {}) };
  try {
    const r = await c.transport.request('POST', `/api/v1/namespaces/${ns}/pods/${name}/eviction${query}`, { body });
    return { code: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof ApiError) return { code: e.code, body: e.status as unknown as Record<string, unknown> };
    throw e;
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
