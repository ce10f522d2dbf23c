// When a pod must leave a node because of the node's NoExecute taints (upstream's taint
// manager): a taint the pod does not tolerate evicts it at once; a taint tolerated with
// `tolerationSeconds` evicts it that many seconds after the taint was added (its timeAdded), or
// after the pod was created if that is later (a pod placed on an already-tainted node gets its
// full toleration); a taint tolerated without tolerationSeconds never evicts. The eviction time
// is the earliest over all NoExecute taints. Pure.

import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../../api/tolerations.js';

export type EvictionDecision =
  /** No NoExecute taint, or every one tolerated forever. */
  | { kind: 'keep' }
  /** Evict at `at` (ms since the epoch); `at <= now` means now. */
  | { kind: 'evict'; at: number; reason: 'untolerated' | 'expired' };

/**
 * `taintSeen(taint)` gives when a taint without timeAdded was first observed. `podCreated` is the
 * pod's creationTimestamp in ms (0 if unknown).
 */
export function evictionDecision(tolerations: readonly Toleration[], taints: readonly Taint[], podCreated: number, taintSeen: (t: Taint) => number): EvictionDecision {
  let at = Infinity;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const used = tolerations.find((t) => toleratesTaint(t, taint));
    if (!used) return { kind: 'evict', at: -Infinity, reason: 'untolerated' };
    if (used.tolerationSeconds === undefined || used.tolerationSeconds === null) continue;
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : NaN;
    const start = Math.max(Number.isFinite(added) ? added : taintSeen(taint), podCreated);
    at = Math.min(at, start + Math.max(0, used.tolerationSeconds) * 1000);
  }
  return at === Infinity ? { kind: 'keep' } : { kind: 'evict', at, reason: 'expired' };
}
