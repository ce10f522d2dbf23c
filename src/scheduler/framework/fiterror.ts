// Why a pod fits no node: the per-node statuses of one cycle and upstream's FailedScheduling
// message, "0/X nodes are available: <PreFilterMsg>. <FilterMsg>. <PostFilterMsg>", where the
// filter part counts each reason over the nodes ("2 Insufficient cpu") and sorts those strings.

import type { NodeToStatus, Status } from './types.js';

export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  /** The status of nodes not in nodeToStatus (e.g. excluded by a PreFilter node list). */
  absentNodesStatus?: Status;
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter plugin rejected the pod. */
  preFilterMsg: string;
  /** Set from the PostFilter plugins' status. */
  postFilterMsg: string;
}

export class FitError extends Error {
  override readonly name = 'FitError';
  constructor(
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {
    super('');
    // The message follows the diagnosis (PostFilter adds to it after construction).
    Object.defineProperty(this, 'message', { get: () => fitErrorMessage(this.numAllNodes, this.diagnosis), configurable: true });
  }
}

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const absent = numAllNodes - d.nodeToStatus.size;
    if (absent > 0 && d.absentNodesStatus) for (const r of d.absentNodesStatus.reasons) counts.set(r, (counts.get(r) ?? 0) + absent);
    // Go's sort.Strings: byte order of the whole "<count> <reason>" strings.
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  }
  // Upstream appends every part as " %v." — the PostFilter message ends in its own period, so real messages end in "..".
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}.`;
  return msg;
}
