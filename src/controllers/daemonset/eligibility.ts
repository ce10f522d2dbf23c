// Which nodes a DaemonSet's pod belongs on (upstream's NodeShouldRunDaemonPod and predicates):
// the template's nodeName (if any), its nodeSelector and required node affinity, and the node's
// taints of effect NoSchedule/NoExecute against the template's tolerations plus the ones every
// daemon pod gets. A node whose only untolerated taints are NoSchedule keeps the pods it already
// runs (shouldContinueRunning) but gets no new one.

import type { Affinity, Node, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { matchesRequiredNodeAffinity } from '../../api/nodeaffinity.js';
import { findUntoleratedTaint, isDoNotScheduleTaint } from '../../api/tolerations.js';

/** The tolerations upstream adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(spec: PodSpec): Toleration[] {
  const add: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) add.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  // AddOrUpdateTolerationInPodSpec: a toleration with the same key, operator, value and effect is
  // replaced in place; others are appended.
  const out = [...(spec.tolerations ?? [])];
  for (const t of add) {
    const i = out.findIndex((x) => (x.key ?? '') === t.key && (x.operator || 'Equal') === t.operator && (x.value ?? '') === '' && (x.effect ?? '') === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

export interface Placement {
  /** A new daemon pod should be created on the node. */
  shouldRun: boolean;
  /** A daemon pod already on the node may stay. */
  shouldContinueRunning: boolean;
}

/** NodeShouldRunDaemonPod for a DaemonSet's pod template spec. */
export function nodeShouldRunDaemonPod(node: Node, template: PodSpec): Placement {
  const name = node.metadata?.name ?? '';
  if (template.nodeName && template.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesRequiredNodeAffinity(template, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonPodTolerations(template);
  const taints = node.spec?.taints ?? [];
  if (findUntoleratedTaint(taints, tolerations, isDoNotScheduleTaint)) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/**
 * ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes the single term
 * `metadata.name In [node]` (the controller has already checked the node satisfies the
 * template's own terms), so the scheduler binds the pod to that node and no other.
 */
export function pinToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] };
  return { ...(affinity ?? {}), nodeAffinity: { ...(affinity?.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/**
 * The node a daemon pod is for (GetTargetNodeName): spec.nodeName once bound, else the single
 * `metadata.name In [x]` field requirement of its required node affinity; undefined if neither.
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}
