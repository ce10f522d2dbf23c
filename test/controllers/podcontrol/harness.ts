// A controller test bench for the ReplicaSet and Deployment controllers: the shared in-process
// cluster with a clock tests can move forward, and a tiny fake kubelet that marks pods Running
// and Ready through the status subresource (there is no scheduler or kubelet here: pods keep an
// empty nodeName and are deleted at once).

import type { KObject } from '../../../src/apiserver/object.js';
import type { Client } from '../../../src/client/client.js';
import { startCluster, type Cluster, type ClusterOptions, type Starter } from '../../helpers/cluster.js';
import { SkewClock } from '../../helpers/fake-clock.js';
import { setPodStatus } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';

export interface Bench extends Cluster {
  clock: SkewClock;
  /** Marks a pod Running and Ready (now, by the bench clock). */
  markReady(name: string, namespace?: string): Promise<void>;
  /** When set, every new pod it accepts is marked ready as soon as it is seen. */
  readyIf: ((pod: KObject) => boolean) | undefined;
}

export async function startBench(starters: Starter[], opts: Pick<ClusterOptions, 'wrapClient'> & { readyIf?: (pod: KObject) => boolean } = {}): Promise<Bench> {
  const clock = new SkewClock();
  const cluster = await startCluster({ ...opts, clock, user: { name: 'system:kube-controller-manager', groups: ['system:authenticated', 'system:masters'] } });
  const markReady = async (name: string, namespace = 'default') => {
    await setPodStatus(cluster.client, namespace, name, { ready: true, at: clock.now() }).catch(() => undefined);
  };
  const bench: Bench = { ...cluster, clock, markReady, readyIf: opts.readyIf };
  cluster.ctx.informers.informer(res.pods).addHandlers({
    onAdd: (p: KObject) => {
      if (bench.readyIf?.(p) && !p.metadata.deletionTimestamp) void markReady(p.metadata.name ?? '', p.metadata.namespace);
    },
  });
  await cluster.run(...starters);
  return bench;
}

export const list = async (client: Client, r: typeof res.pods, namespace = 'default', labelSelector?: string): Promise<KObject[]> =>
  (await client.list(r, { namespace, ...(labelSelector ? { labelSelector } : {}) })).items;

/** Active pods (not terminating) in a namespace. */
export const activePods = async (client: Client, namespace = 'default', labelSelector?: string): Promise<KObject[]> =>
  (await list(client, res.pods, namespace, labelSelector)).filter((p) => !p.metadata.deletionTimestamp);
