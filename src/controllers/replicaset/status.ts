// A ReplicaSet's status from the pods it owns (upstream's calculateStatus): replicas counts
// active owned pods, fullyLabeledReplicas those carrying every template label, readyReplicas the
// ready ones, availableReplicas those ready for longer than minReadySeconds. A failed create or
// delete sets the ReplicaFailure condition (reason FailedCreate / FailedDelete); a clean pass
// removes it.

import type { ReplicaSetCondition, ReplicaSetSpec, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { labelSelectorFromSet, matchesLabels } from '../../api/selectors/labels.js';
import { deepEqual, type KObject } from '../../apiserver/object.js';
import { isPodAvailable, isPodReady } from '../../api/pods.js';
import type { PodObj } from '../podcontrol/pods.js';

export type ReplicaSetObj = KObject & { spec: ReplicaSetSpec; status?: ReplicaSetStatus };

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function calculateReplicaSetStatus(rs: ReplicaSetObj, pods: readonly PodObj[], manageError: unknown, now: number): ReplicaSetStatus {
  const template = labelSelectorFromSet(rs.spec.template?.metadata?.labels ?? {});
  const minReady = rs.spec.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of pods) {
    if (matchesLabels(template, pod.metadata.labels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  let conditions: ReplicaSetCondition[] = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError !== undefined && !failure) {
    const diff = pods.length - (rs.spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    const message = manageError instanceof Error ? manageError.message : String(manageError);
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason, message });
  } else if (manageError === undefined && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  const status: ReplicaSetStatus = {
    replicas: pods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.status?.observedGeneration ?? 0,
  };
  if (conditions.length) status.conditions = conditions;
  return status;
}

/** Whether writing `next` would change anything (counts, conditions, or a generation not yet observed). */
export function replicaSetStatusChanged(rs: ReplicaSetObj, next: ReplicaSetStatus): boolean {
  const cur = rs.status;
  return (
    (cur?.replicas ?? 0) !== next.replicas ||
    (cur?.fullyLabeledReplicas ?? 0) !== (next.fullyLabeledReplicas ?? 0) ||
    (cur?.readyReplicas ?? 0) !== (next.readyReplicas ?? 0) ||
    (cur?.availableReplicas ?? 0) !== (next.availableReplicas ?? 0) ||
    (rs.metadata.generation ?? 0) !== (cur?.observedGeneration ?? 0) ||
    !deepEqual(cur?.conditions ?? [], next.conditions ?? [])
  );
}
