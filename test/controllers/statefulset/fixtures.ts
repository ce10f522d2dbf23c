// Fixture builders for the StatefulSet tests.

import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { StsSnapshot } from '../../../src/controllers/statefulset/plan.js';
import { newStatefulSetPod } from '../../../src/controllers/statefulset/identity.js';

export const template = (image = 'v1'): PodTemplateSpec => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });

export function statefulSet(opts: { replicas?: number; parallel?: boolean; partition?: number; onDelete?: boolean; start?: number; claims?: boolean; maxUnavailable?: number; retention?: { whenDeleted?: string; whenScaled?: string } } = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 1 },
    spec: {
      replicas: opts.replicas ?? 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: 'web' } },
      template: template(),
      podManagementPolicy: opts.parallel ? 'Parallel' : 'OrderedReady',
      updateStrategy: opts.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: opts.partition ?? 0, ...(opts.maxUnavailable ? { maxUnavailable: opts.maxUnavailable } : {}) } },
      ...(opts.start !== undefined ? { ordinals: { start: opts.start } } : {}),
      ...(opts.claims ? { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } : {}),
      ...(opts.retention ? { persistentVolumeClaimRetentionPolicy: opts.retention } : {}),
    },
  };
}

/** A member pod at `revision` in the given state. */
export function member(set: StatefulSet, ordinal: number, revision: string, state: 'ready' | 'pending' | 'running' | 'failed' | 'terminating' = 'ready'): Pod {
  const pod = newStatefulSetPod(set, template(), ordinal, revision);
  const phase = state === 'pending' ? 'Pending' : state === 'failed' ? 'Failed' : 'Running';
  const ready = state === 'ready' || state === 'terminating';
  return {
    ...pod,
    metadata: { ...pod.metadata, uid: `uid-${ordinal}-${revision}`, ...(state === 'terminating' ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
}

export function snapshot(set: StatefulSet, pods: Pod[], opts: { current?: string; update?: string; claims?: PersistentVolumeClaim[] } = {}): StsSnapshot {
  return {
    set,
    current: { name: opts.current ?? 'web-r1', template: template('v1') },
    update: { name: opts.update ?? opts.current ?? 'web-r1', template: template('v2') },
    collisionCount: 0,
    pods,
    claim: (name) => opts.claims?.find((c) => c.metadata?.name === name),
    nowMs: Date.parse('2024-01-01T01:00:00Z'),
  };
}
