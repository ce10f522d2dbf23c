// An in-process cluster for the workload controller tests: an API server on the memory store, a
// client over the in-process transport, shared informers and a controller context — plus a tiny
// fake scheduler and kubelet, because neither exists in these tests:
// - an unbound pod is bound (pods/binding) to the node its `metadata.name` affinity names, else
//   to `defaultNode`;
// - a bound Pending pod is made Running and Ready through the status subresource (unless
//   `autoReady` is off or the pod is held);
// - a pod being deleted gracefully is finished off (grace period 0), as a kubelet would.

import { MemoryStore } from '../../../src/storage/memory.js';
import { ApiServer } from '../../../src/apiserver/server.js';
import { Client, resourcePath } from '../../../src/client/client.js';
import { InProcessTransport } from '../../../src/client/inprocess.js';
import { SharedInformers } from '../../../src/client/factory.js';
import { Informer } from '../../../src/client/informer.js';
import { isApiError } from '../../../src/client/transport.js';
import { realClock } from '../../../src/client/workqueue.js';
import { newRecorderFactory, resourceOf, type ControllerContext } from '../../../src/controllers/context.js';
import type { KObject } from '../../../src/apiserver/object.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { targetNodeName } from '../../../src/controllers/daemonset/eligibility.js';

export const res = {
  pods: resourceOf('', 'Pod'),
  nodes: resourceOf('', 'Node'),
  pvcs: resourceOf('', 'PersistentVolumeClaim'),
  events: resourceOf('', 'Event'),
  daemonsets: resourceOf('apps', 'DaemonSet'),
  statefulsets: resourceOf('apps', 'StatefulSet'),
  revisions: resourceOf('apps', 'ControllerRevision'),
};

export class FakeKubelet {
  autoReady = true;
  readonly held = new Set<string>();
  /** Pod names in the order their creation was observed. */
  readonly created: string[] = [];
  /** Pod names in the order their deletion was observed. */
  readonly deleted: string[] = [];
  private readonly informer: Informer;

  constructor(
    private readonly client: Client,
    private readonly defaultNode = 'node-1',
  ) {
    this.informer = new Informer({ client, resource: res.pods, onError: () => undefined });
    this.informer.addHandlers({
      onAdd: (p) => {
        this.created.push(p.metadata.name ?? '');
        void this.handle(p).catch(() => undefined);
      },
      onUpdate: (_o, p) => void this.handle(p).catch(() => undefined),
      onDelete: (p) => this.deleted.push(p.metadata.name ?? ''),
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    void this.informer.start(signal);
    await this.informer.waitForSync(signal);
  }

  /** Marks a pod Running and Ready. */
  async ready(name: string, namespace = 'default'): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] };
    await this.client.patch(res.pods, name, { status }, 'merge', { namespace, subresource: 'status' });
  }

  async fail(name: string, namespace = 'default'): Promise<void> {
    await this.client.patch(res.pods, name, { status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False' }] } }, 'merge', { namespace, subresource: 'status' });
  }

  private async handle(obj: KObject): Promise<void> {
    const pod = obj as unknown as Pod;
    const name = pod.metadata?.name ?? '';
    const ns = pod.metadata?.namespace ?? '';
    if (pod.metadata?.deletionTimestamp) {
      await this.client.delete(res.pods, name, { namespace: ns, gracePeriodSeconds: 0 }).catch(ignore);
      return;
    }
    if (!pod.spec?.nodeName) {
      const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: targetNodeName(pod) ?? this.defaultNode } };
      await this.client.transport.request('POST', resourcePath(res.pods, ns, name, 'binding'), { body }).catch(ignore);
      return;
    }
    if (pod.status?.phase === 'Pending' && this.autoReady && !this.held.has(name)) await this.ready(name, ns);
  }
}

function ignore(e: unknown): void {
  if (isApiError(e, 404) || isApiError(e, 409)) return;
  throw e;
}

export interface Cluster {
  client: Client;
  ctx: ControllerContext;
  kubelet: FakeKubelet;
  errors: unknown[];
}

/** Runs `fn` against a fresh in-process cluster with the fake kubelet running; all is stopped afterwards. */
export async function withCluster(fn: (c: Cluster) => Promise<void>): Promise<void> {
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
    options: { clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24, caPem: '' },
    signal: stop.signal,
    clock: realClock,
    recorder: newRecorderFactory(client, onError),
    onError,
  };
  const kubelet = new FakeKubelet(client);
  try {
    await kubelet.start(stop.signal);
    await fn({ client, ctx, kubelet, errors });
  } finally {
    stop.abort();
    transport.close();
    api.stop();
    await store.close();
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A Node with a Ready condition, optionally labelled and tainted. */
export async function createNode(client: Client, name: string, opts: { labels?: Record<string, string>; taints?: { key: string; value?: string; effect: string }[] } = {}): Promise<void> {
  await client.create(res.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } }, spec: { taints: opts.taints ?? [] } });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = { cpu: '4', memory: '8Gi', pods: '110' };
  const conditions = [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }];
  await client.patch(res.nodes, name, { status: { conditions, capacity: resources, allocatable: resources } }, 'merge', { subresource: 'status' });
}

export async function listPods(client: Client, labelSelector: string, namespace = 'default'): Promise<Pod[]> {
  return (await client.list(res.pods, { namespace, labelSelector })).items as unknown as Pod[];
}

export async function eventMessages(client: Client, namespace = 'default'): Promise<string[]> {
  return (await client.list(res.events, { namespace })).items.map((e) => `${e.reason as string}: ${e.message as string}`);
}
