// Fixture builders for the DaemonSet tests.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';

export function node(name: string, opts: { labels?: Record<string, string>; taints?: Taint[] } = {}): Node {
  return { metadata: { name, labels: opts.labels ?? {} }, spec: { taints: opts.taints ?? [] } };
}

export function daemonSet(opts: { spec?: Partial<PodSpec>; maxUnavailable?: number | string; maxSurge?: number | string; onDelete?: boolean; minReadySeconds?: number } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'ds', namespace: 'default', uid: 'ds-uid', generation: 1 },
    spec: {
      selector: { matchLabels: { app: 'd' } },
      template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...(opts.spec ?? {}) } },
      updateStrategy: opts.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: opts.maxUnavailable ?? 1, maxSurge: opts.maxSurge ?? 0 } },
      ...(opts.minReadySeconds ? { minReadySeconds: opts.minReadySeconds } : {}),
    },
  };
}

let seq = 0;

/** A daemon pod on `nodeName` at revision `hash`; ready unless told otherwise. */
export function pod(nodeName: string, hash: string, opts: { ready?: boolean; phase?: string; bound?: boolean; deleting?: boolean; created?: string } = {}): Pod {
  const name = `ds-${nodeName}-${hash}-${seq++}`;
  const ready = opts.ready ?? true;
  return {
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: { app: 'd', 'controller-revision-hash': hash },
      creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z',
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:01:00Z' } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'i' }],
      ...(opts.bound === false ? {} : { nodeName }),
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } },
    },
    status: { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
}
