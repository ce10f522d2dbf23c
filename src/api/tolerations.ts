// Taints and tolerations as upstream's core/v1 helpers (Toleration.ToleratesTaint and
// v1helper.FindMatchingUntoleratedTaint): the one answer to "does this toleration tolerate that
// taint", shared by the scheduler (TaintToleration, NodeUnschedulable, PodTopologySpread), the
// DaemonSet controller's placement and the node lifecycle controller's NoExecute evictions.
//
// Pure functions of their arguments; validation has already made sure an empty key goes with
// operator Exists, so these do not check it again (upstream does not either).

import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/**
 * Toleration.ToleratesTaint: an empty effect matches every effect, an empty key every key;
 * operator Exists matches any value, Equal (or an empty or missing operator) needs the same
 * value; any other operator tolerates nothing.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Whether any of the tolerations tolerates the taint (v1helper.TolerationsTolerateTaint). */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  for (const t of tolerations ?? []) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint passing `filter` that no toleration tolerates (v1helper.FindMatchingUntoleratedTaint). */
export function findUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, filter: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (filter(taint) && !tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** Taints that keep new pods off a node: NoSchedule and NoExecute (helper.DoNotScheduleTaintsFilterFunc). */
export function isDoNotScheduleTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}
