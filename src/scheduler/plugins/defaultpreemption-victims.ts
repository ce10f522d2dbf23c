// DefaultPreemption's per-node dry run and node choice (upstream SelectVictimsOnNode and
// pickOneNodeForPreemption). All work happens on copies: the CycleState is cloned per node and
// NodeInfos are rebuilt by withPod/withoutPod; plugins' addPod/removePod replace their state.

import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { Code, isSuccess, status, success, type CycleState, type Handle, type NodeInfo, type PodInfo, type Status } from '../framework/types.js';
import { matchesLabels } from '../../api/selectors/labels.js';
import { compileSelector, podPriority } from './podinfo-terms.js';
import { withPod, withoutPod } from './defaultpreemption-nodeinfo.js';
import { noVictimsFound } from './defaultpreemption-message.js';

export interface Candidate {
  name: string;
  /** Highest priority first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

/** status.startTime, or `now` for pods not started yet (util.GetPodStartTime). */
export function startTime(pi: PodInfo, now: number): number {
  const t = pi.pod.status?.startTime;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? now : ms;
}

/** util.MoreImportantPod as a sort comparator: higher priority first, then the earlier started. */
export function moreImportantFirst(now: number): (a: PodInfo, b: PodInfo) => number {
  return (a, b) => podPriority(b.pod) - podPriority(a.pod) || startTime(a, now) - startTime(b, now);
}

/**
 * RunFilterPluginsWithNominatedPods: the pod must fit both with the node's nominated pods of
 * equal or higher priority counted as running, and (if any were added) without them.
 */
export function filterWithNominated(h: Handle, state: CycleState, pi: PodInfo, ni: NodeInfo): Status {
  const prio = podPriority(pi.pod);
  let withState = state;
  let withNode = ni;
  let added = false;
  const uid = pi.pod.metadata?.uid;
  for (const np of h.nominatedPodsFor(ni.name)) {
    if (podPriority(np.pod) < prio || (uid !== undefined && np.pod.metadata?.uid === uid) || np.key === pi.key) continue;
    if (!added) withState = state.clone();
    withNode = withPod(withNode, np);
    const s = h.runPreFilterAddPod(withState, pi, np, withNode);
    if (!isSuccess(s)) return status(Code.Error, ...s.reasons);
    added = true;
  }
  const first = h.runFilterPlugins(withState, pi, withNode);
  if (!added || !isSuccess(first)) return first;
  return h.runFilterPlugins(state, pi, ni);
}

/**
 * Splits pods (in order) into those whose eviction would exceed a matching PDB's
 * disruptionsAllowed and the rest (upstream filterPodsWithPDBViolation).
 */
export function splitByPDB(pods: PodInfo[], pdbs: PodDisruptionBudget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const selectors = pdbs.map((p) => compileSelector(p.spec?.selector));
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const pi of pods) {
    const meta = pi.pod.metadata;
    const labels = meta?.labels ?? {};
    let violated = false;
    if (Object.keys(labels).length) {
      pdbs.forEach((pdb, i) => {
        const sel = selectors[i]!;
        if ((pdb.metadata?.namespace ?? '') !== (meta?.namespace ?? '')) return;
        // A nil or empty PDB selector matches nothing.
        if (sel.matchesNothing || sel.requirements.length === 0 || !matchesLabels(sel, labels)) return;
        // Already counted by the API server's eviction handling.
        if (meta?.name && pdb.status?.disruptedPods?.[meta.name] !== undefined) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : nonViolating).push(pi);
  }
  return { violating, nonViolating };
}

export interface VictimsResult {
  victims: PodInfo[];
  numPDBViolations: number;
  status: Status;
}

/**
 * Removes every lower-priority pod; if the pod then fits, adds them back highest priority first
 * (PDB-violating ones before the others) and keeps back each one the pod still fits with.
 * `state` must be this node's own clone.
 */
export function selectVictimsOnNode(h: Handle, state: CycleState, pi: PodInfo, ni: NodeInfo, pdbs: PodDisruptionBudget[], now: number): VictimsResult {
  const prio = podPriority(pi.pod);
  const potential = ni.pods.filter((p) => podPriority(p.pod) < prio);
  if (!potential.length) return { victims: [], numPDBViolations: 0, status: status(Code.UnschedulableAndUnresolvable, noVictimsFound) };
  let node = ni;
  const remove = (p: PodInfo): Status => {
    node = withoutPod(node, p);
    return h.runPreFilterRemovePod(state, pi, p, node);
  };
  for (const p of potential) {
    const s = remove(p);
    if (!isSuccess(s)) return { victims: [], numPDBViolations: 0, status: status(Code.Error, ...s.reasons) };
  }
  const fits = filterWithNominated(h, state, pi, node);
  if (!isSuccess(fits)) return { victims: [], numPDBViolations: 0, status: fits };
  const order = moreImportantFirst(now);
  potential.sort(order);
  const { violating, nonViolating } = splitByPDB(potential, pdbs);
  const victims: PodInfo[] = [];
  let numPDBViolations = 0;
  const reprieve = (p: PodInfo): Status | boolean => {
    node = withPod(node, p);
    const a = h.runPreFilterAddPod(state, pi, p, node);
    if (!isSuccess(a)) return status(Code.Error, ...a.reasons);
    // As upstream, any failure (an Error too) just means the pod does not fit with `p` back.
    if (isSuccess(filterWithNominated(h, state, pi, node))) return true;
    const r = remove(p);
    if (!isSuccess(r)) return status(Code.Error, ...r.reasons);
    victims.push(p);
    return false;
  };
  for (const p of violating) {
    const r = reprieve(p);
    if (typeof r !== 'boolean') return { victims: [], numPDBViolations: 0, status: r };
    if (!r) numPDBViolations++;
  }
  for (const p of nonViolating) {
    const r = reprieve(p);
    if (typeof r !== 'boolean') return { victims: [], numPDBViolations: 0, status: r };
  }
  if (violating.length && nonViolating.length) victims.sort(order);
  return { victims, numPDBViolations, status: success };
}

/** Start time of the earliest-started victim among those of the highest priority. */
function earliestTopPriorityStart(victims: PodInfo[], now: number): number {
  let maxPrio = -Infinity;
  let earliest = Infinity;
  for (const v of victims) {
    const p = podPriority(v.pod);
    const t = startTime(v, now);
    if (p > maxPrio) {
      maxPrio = p;
      earliest = t;
    } else if (p === maxPrio && t < earliest) {
      earliest = t;
    }
  }
  return earliest;
}

/**
 * Upstream's order of criteria, each applied only to the nodes tied on the previous ones:
 * fewest PDB violations; lowest highest-victim priority; smallest sum of priorities; fewest
 * victims; latest start of the highest-priority victims; then the first candidate.
 */
export function pickOneNode(candidates: Candidate[], now: number): Candidate | undefined {
  const offset = 2 ** 31; // keeps negative priorities from favouring nodes with more victims
  const criteria: ((c: Candidate) => number)[] = [
    (c) => -c.numPDBViolations,
    (c) => -podPriority(c.victims[0]!.pod),
    (c) => -c.victims.reduce((s, v) => s + podPriority(v.pod) + offset, 0),
    (c) => -c.victims.length,
    (c) => earliestTopPriorityStart(c.victims, now),
  ];
  let tied = candidates.filter((c) => c.victims.length > 0);
  for (const score of criteria) {
    if (tied.length <= 1) break;
    let best = -Infinity;
    let next: Candidate[] = [];
    for (const c of tied) {
      const s = score(c);
      if (s > best) {
        best = s;
        next = [c];
      } else if (s === best) {
        next.push(c);
      }
    }
    tied = next;
  }
  return tied[0];
}
