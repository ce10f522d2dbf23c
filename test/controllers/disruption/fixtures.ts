// Shared by the disruption controller and eviction tests: the options of their in-process cluster
// (an admin client with no retries, so 429 and 500 surface at once) and builders for pods,
// owners and budgets.

import type { Client } from '../../../src/client/client.js';
import { ApiError } from '../../../src/client/transport.js';
import type { KObject } from '../../../src/apiserver/object.js';
import type { Cluster, ClusterOptions } from '../../helpers/cluster.js';
import { setPodStatus } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';

/** For `withCluster(fn, direct)`: an admin that sees every answer as the server gave it. */
export const direct: ClusterOptions = {
  user: { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] },
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
};

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
  return setPodStatus(client, ns, created.metadata.name ?? '', { ready, phase });
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
