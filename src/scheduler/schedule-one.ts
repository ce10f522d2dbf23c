// The scheduling algorithm of one cycle (upstream schedulePod): find the nodes that pass the
// filters — a sample of them on large clusters — score those, pick the best.
//
// - percentageOfNodesToScore: stop filtering once this many feasible nodes are found: all nodes
//   below 100; else the profile's (or global) percentage, and when that is 0 the adaptive
//   default 50% − nodes/125 (at least 5%); never fewer than 100 nodes. Each cycle starts where
//   the previous one stopped (round robin over the snapshot's zone-interleaved list).
// - A pod with status.nominatedNodeName tries that node first and takes it if it fits.
// - One feasible node is taken without scoring; ties in score are broken uniformly at random.

import type { CycleState, NodeInfo, PodInfo, Status } from './framework/types.js';
import { Code } from './framework/types.js';
import type { Framework } from './framework/runtime.js';
import { FitError, type Diagnosis } from './framework/fiterror.js';
import type { ClusterSnapshot } from './snapshot.js';

export const minFeasibleNodesToFind = 100;
export const minFeasibleNodesPercentageToFind = 5;

/** An internal failure of the cycle (an Error status): the pod is retried after backoff. */
export class SchedulingError extends Error {
  override readonly name = 'SchedulingError';
}

/** No node exists at all (upstream ErrNoNodesAvailable): unschedulable, nothing to diagnose. */
export class NoNodesAvailableError extends Error {
  override readonly name = 'NoNodesAvailableError';
  constructor() {
    super('no nodes available to schedule pods');
  }
}

export interface ScheduleResult {
  node: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

export function numFeasibleNodesToFind(percentage: number, numAllNodes: number): number {
  if (numAllNodes < minFeasibleNodesToFind) return numAllNodes;
  let p = percentage;
  if (p === 0) p = Math.max(minFeasibleNodesPercentageToFind, 50 - Math.floor(numAllNodes / 125));
  const n = Math.floor((numAllNodes * p) / 100);
  return n < minFeasibleNodesToFind ? minFeasibleNodesToFind : n;
}

function fail(s: Status): never {
  throw new SchedulingError(s.reasons.join(', ') || `${s.code} from ${s.plugin ?? 'a plugin'}`);
}

export class Algorithm {
  /** Where the next cycle starts filtering. */
  nextStartNodeIndex = 0;

  constructor(
    /** The global percentageOfNodesToScore (0 = adaptive). */
    private readonly percentageOfNodesToScore = 0,
    private readonly rand: () => number = Math.random,
  ) {}

  /** Throws SchedulingError / NoNodesAvailableError; returns a FitError when nothing fits. */
  schedulePod(fwk: Framework, state: CycleState, pod: PodInfo, snap: ClusterSnapshot): ScheduleResult | FitError {
    const all = snap.nodes();
    if (all.length === 0) throw new NoNodesAvailableError();
    const { feasible, diagnosis } = this.findNodesThatFitPod(fwk, state, pod, snap);
    if (feasible.length === 0) return new FitError(all.length, diagnosis);
    const evaluated = feasible.length + diagnosis.nodeToStatus.size;
    if (feasible.length === 1) return { node: (feasible[0] as NodeInfo).name, evaluatedNodes: evaluated, feasibleNodes: 1 };
    const totals = this.prioritizeNodes(fwk, state, pod, feasible);
    return { node: (feasible[this.selectHost(totals)] as NodeInfo).name, evaluatedNodes: evaluated, feasibleNodes: feasible.length };
  }

  findNodesThatFitPod(fwk: Framework, state: CycleState, pod: PodInfo, snap: ClusterSnapshot): { feasible: NodeInfo[]; diagnosis: Diagnosis } {
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set(), preFilterMsg: '', postFilterMsg: '' };
    const all = snap.nodes();
    const pre = fwk.runPreFilterPlugins(state, pod, all);
    if (pre.status.code !== Code.Success) {
      if (pre.status.code === Code.Error) fail(pre.status);
      // Every node gets the PreFilter's verdict; the message names it once.
      diagnosis.absentNodesStatus = pre.status;
      diagnosis.preFilterMsg = pre.status.reasons.join(', ');
      for (const p of pre.unschedulablePlugins) diagnosis.unschedulablePlugins.add(p);
      return { feasible: [], diagnosis };
    }
    const nominated = pod.pod.status?.nominatedNodeName;
    if (nominated) {
      const ni = snap.get(nominated);
      if (ni && (pre.result?.nodeNames?.has(nominated) ?? true)) {
        const s = fwk.runFilterPluginsWithNominatedPods(state, pod, ni);
        if (s.code === Code.Success) return { feasible: [ni], diagnosis };
        if (s.code === Code.Error) fail(s);
      }
    }
    let nodes = all;
    if (pre.result?.nodeNames) {
      nodes = [];
      for (const name of pre.result.nodeNames) {
        const ni = snap.get(name);
        if (ni) nodes.push(ni);
      }
      diagnosis.absentNodesStatus = { code: Code.UnschedulableAndUnresolvable, reasons: [`node(s) didn't satisfy plugin(s) [${[...pre.narrowedBy].sort().join(' ')}]`] };
    }
    return { feasible: this.findNodesThatPassFilters(fwk, state, pod, diagnosis, nodes), diagnosis };
  }

  private findNodesThatPassFilters(fwk: Framework, state: CycleState, pod: PodInfo, diagnosis: Diagnosis, nodes: NodeInfo[]): NodeInfo[] {
    const n = nodes.length;
    if (n === 0) return [];
    const want = numFeasibleNodesToFind(fwk.percentageOfNodesToScore ?? this.percentageOfNodesToScore, n);
    const start = this.nextStartNodeIndex % n;
    const feasible: NodeInfo[] = [];
    if (!fwk.hasFilterPlugins()) {
      for (let i = 0; i < want; i++) feasible.push(nodes[(start + i) % n] as NodeInfo);
      this.nextStartNodeIndex = (start + want) % n;
      return feasible;
    }
    let processed = 0;
    for (let i = 0; i < n && feasible.length < want; i++) {
      const node = nodes[(start + i) % n] as NodeInfo;
      processed++;
      const s = fwk.runFilterPluginsWithNominatedPods(state, pod, node);
      if (s.code === Code.Success) {
        feasible.push(node);
        continue;
      }
      if (s.code === Code.Error) fail(s);
      diagnosis.nodeToStatus.set(node.name, s);
      if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
    }
    this.nextStartNodeIndex = (start + processed) % n;
    return feasible;
  }

  /** Weighted totals per feasible node; with no score plugins every node scores 1. */
  prioritizeNodes(fwk: Framework, state: CycleState, pod: PodInfo, nodes: NodeInfo[]): number[] {
    if (!fwk.hasScorePlugins()) return nodes.map(() => 1);
    const pre = fwk.runPreScorePlugins(state, pod, nodes);
    if (pre.code !== Code.Success) fail(pre);
    const { totals, status } = fwk.runScorePlugins(state, pod, nodes);
    if (status.code !== Code.Success) fail(status);
    return totals;
  }

  /** The index of a best score, uniformly at random among ties (reservoir sampling). */
  selectHost(totals: number[]): number {
    let best = -Infinity;
    let chosen = 0;
    let ties = 0;
    for (let i = 0; i < totals.length; i++) {
      const t = totals[i] as number;
      if (t > best) {
        best = t;
        chosen = i;
        ties = 1;
      } else if (t === best) {
        ties++;
        if (Math.floor(this.rand() * ties) === 0) chosen = i;
      }
    }
    return chosen;
  }
}
