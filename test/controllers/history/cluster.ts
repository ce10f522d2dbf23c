// The workload controller tests' fake scheduler and kubelet, on the shared in-process cluster
// (neither exists in these tests):
// - an unbound pod is bound (pods/binding) to the node its `metadata.name` affinity names, else
//   to `defaultNode`;
// - a bound Pending pod is made Running and Ready through the status subresource (unless
//   `autoReady` is off or the pod is held);
// - a pod being deleted gracefully is finished off (grace period 0), as a kubelet would.

import { Client, resourcePath } from '../../../src/client/client.js';
import { Informer } from '../../../src/client/informer.js';
import { isApiError } from '../../../src/client/transport.js';
import type { KObject } from '../../../src/apiserver/object.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { targetNodeName } from '../../../src/controllers/daemonset/eligibility.js';
import { withCluster, type Cluster } from '../../helpers/cluster.js';
import { setPodStatus } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';

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
    await setPodStatus(this.client, namespace, name, { ready: true });
  }

  async fail(name: string, namespace = 'default'): Promise<void> {
    await setPodStatus(this.client, namespace, name, { ready: false, phase: 'Failed' });
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

/** Runs `fn` against a fresh in-process cluster with the fake kubelet running; all is stopped afterwards. */
export async function withKubelet(fn: (c: Cluster & { kubelet: FakeKubelet }) => Promise<void>): Promise<void> {
  await withCluster(async (c) => {
    const kubelet = new FakeKubelet(c.client);
    await kubelet.start(c.ctx.signal);
    await fn({ ...c, kubelet });
  });
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
