// The taints the node lifecycle controller owns, as upstream: NoSchedule taints mirroring node
// conditions and spec.unschedulable, and the NoExecute `not-ready` / `unreachable` taints that
// follow the Ready condition (mutually exclusive, like the condition's False / Unknown).
// Pure: `reconcileTaints` returns the node's new taint list, or undefined when it is unchanged.

import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';

export const taintNotReady = 'node.kubernetes.io/not-ready';
export const taintUnreachable = 'node.kubernetes.io/unreachable';
export const taintUnschedulable = 'node.kubernetes.io/unschedulable';

/** Condition type → condition status → the NoSchedule taint key it implies. */
const conditionTaints: Record<string, Record<string, string>> = {
  Ready: { False: taintNotReady, Unknown: taintUnreachable },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};

const noScheduleKeys = new Set([taintUnschedulable, ...Object.values(conditionTaints).flatMap((m) => Object.values(m))]);
const noExecuteKeys = new Set([taintNotReady, taintUnreachable]);

/** Whether the controller owns this taint (it adds and removes it; others are left alone). */
export function isControllerTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' ? noScheduleKeys.has(t.key) : t.effect === 'NoExecute' && noExecuteKeys.has(t.key);
}

/** The controller's taints a node should carry, given its conditions and spec. */
export function desiredControllerTaints(node: Node): Taint[] {
  const out: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = conditionTaints[c.type]?.[c.status];
    if (key) out.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable === true) out.push({ key: taintUnschedulable, effect: 'NoSchedule' });
  const ready = readyCondition(node);
  if (ready?.status === 'False') out.push({ key: taintNotReady, effect: 'NoExecute' });
  if (ready?.status === 'Unknown') out.push({ key: taintUnreachable, effect: 'NoExecute' });
  return out;
}

export function readyCondition(node: Node): NodeCondition | undefined {
  return (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
}

const id = (t: Taint) => `${t.key}:${t.effect}`;

/**
 * The node's taints with the controller's brought in line: others kept as they are, ours kept
 * (with their timeAdded) while still wanted, new ones appended stamped `timeAdded = now`.
 * Undefined when nothing changes.
 */
export function reconcileTaints(node: Node, nowIso: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const want = new Map(desiredControllerTaints(node).map((t) => [id(t), t]));
  const next: Taint[] = [];
  let changed = false;
  for (const t of current) {
    if (!isControllerTaint(t) || want.has(id(t))) {
      next.push(t);
      want.delete(id(t));
    } else {
      changed = true;
    }
  }
  for (const t of want.values()) {
    next.push({ ...t, timeAdded: nowIso });
    changed = true;
  }
  return changed ? next : undefined;
}
