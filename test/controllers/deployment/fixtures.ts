// Deployment fixtures and readers shared by the Deployment controller tests.

import type { KObject } from '../../../src/apiserver/object.js';
import type { Client } from '../../../src/client/client.js';
import { activePods, list } from '../podcontrol/harness.js';
import { res } from '../../helpers/resources.js';

export interface DeploySpec {
  replicas?: number;
  image?: string;
  strategy?: Record<string, unknown>;
  paused?: boolean;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  annotations?: Record<string, string>;
}

export function makeDeployment(name: string, s: DeploySpec = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', ...(s.annotations ? { annotations: s.annotations } : {}) },
    spec: {
      replicas: s.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: s.image ?? 'img:v1' }] } },
      ...(s.strategy ? { strategy: s.strategy } : {}),
      ...(s.paused ? { paused: true } : {}),
      ...(s.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: s.revisionHistoryLimit } : {}),
      ...(s.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: s.progressDeadlineSeconds } : {}),
    },
  };
}

export type Cond = { type: string; status: string; reason?: string; message?: string; lastUpdateTime?: string };
export type DStatus = { replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; unavailableReplicas?: number; observedGeneration?: number; collisionCount?: number; conditions?: Cond[] };

export const imageOf = (o: KObject): string => ((o.spec as { containers?: { image?: string }[]; template?: { spec?: { containers?: { image?: string }[] } } }).containers ?? (o.spec as { template?: { spec?: { containers?: { image?: string }[] } } }).template?.spec?.containers ?? [])[0]?.image ?? '';

export const getDeployment = (client: Client, name: string) => client.get(res.deployments, name, 'default');
export const statusOf = async (client: Client, name: string) => ((await getDeployment(client, name)).status ?? {}) as DStatus;
export const condition = (s: DStatus, type: string) => s.conditions?.find((c) => c.type === type);

export async function replicaSetsOf(client: Client, name: string): Promise<KObject[]> {
  const rev = (rs: KObject) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  // By revision: creation timestamps have second precision.
  return (await list(client, res.replicaSets, 'default', `app=${name}`)).sort((a, b) => rev(a) - rev(b));
}

export const specReplicas = (rs: KObject) => (rs.spec as { replicas?: number }).replicas ?? 0;
export const podsOf = (client: Client, name: string) => activePods(client, 'default', `app=${name}`);
export const isReady = (p: KObject) => ((p.status as { conditions?: Cond[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export async function setImage(client: Client, name: string, image: string): Promise<void> {
  await client.patch(res.deployments, name, { spec: { template: { spec: { containers: [{ name: 'c', image }] } } } }, 'strategic', { namespace: 'default' });
}

/** The rollout finished: observed, all updated, none old, all available (what `kubectl rollout status` checks). */
export async function rolledOut(client: Client, name: string): Promise<true | undefined> {
  const d = await getDeployment(client, name);
  const s = (d.status ?? {}) as DStatus;
  const want = (d.spec as { replicas?: number }).replicas ?? 1;
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && s.updatedReplicas === want && s.replicas === want && s.availableReplicas === want ? true : undefined;
}
