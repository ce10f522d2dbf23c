// Upstream's FitError wording ("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match
// Pod's node affinity/selector.") and the `preemption: ...` part DefaultPreemption adds to it.

import { Code, status, type NodeToStatus, type Status } from '../framework/types.js';

export const preemptionNotHelpful = 'Preemption is not helpful for scheduling';
export const noVictimsFound = 'No preemption victims found for incoming pod';

export interface FitErrorParts {
  /** Status of nodes missing from `statuses` (each counts once per missing node). */
  absent?: Status;
  /** A PreFilter rejection: replaces the per-node histogram, as upstream. */
  preFilterMsg?: string;
  /** The PostFilter status message (e.g. `preemption: ...`), appended last. */
  postFilterMsg?: string;
}

/**
 * `0/N nodes are available: <count> <reason>, ....` — reasons counted over the nodes, sorted as
 * strings (so "10 x" sorts before "2 y", as upstream's sort.Strings does), each part ending in '.'.
 */
export function fitErrorMessage(numAllNodes: number, statuses: NodeToStatus, parts: FitErrorParts = {}): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (parts.preFilterMsg) {
    msg += ` ${parts.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const s of statuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const missing = numAllNodes - statuses.size;
    if (missing > 0 && parts.absent) for (const r of parts.absent.reasons) counts.set(r, (counts.get(r) ?? 0) + missing);
    const reasons = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    if (reasons.length) msg += ` ${reasons.join(', ')}.`;
  }
  if (parts.postFilterMsg) msg += ` ${parts.postFilterMsg}.`;
  return msg;
}

/**
 * The `preemption: 0/N nodes are available: ...` message for the nodes preemption evaluated
 * (`statuses`); every other node counts as "Preemption is not helpful for scheduling".
 */
export function preemptionMessage(numAllNodes: number, statuses: NodeToStatus): string {
  return `preemption: ${fitErrorMessage(numAllNodes, statuses, { absent: status(Code.UnschedulableAndUnresolvable, preemptionNotHelpful) })}`;
}
