// InterPodAffinity: required pod affinity / anti-affinity as a filter, preferred terms as a score
// (upstream semantics; scoring lives in interpodaffinity-score.ts).
//
// Pre-filter counts, per topology pair (key, value):
//   existingAnti — existing pods whose required anti-affinity terms match the incoming pod;
//   affinity     — existing pods matching ALL of the incoming pod's required affinity terms;
//   anti         — existing pods matching one of the incoming pod's required anti-affinity terms.
// Only nodes holding pods with required anti-affinity are visited for the first count, and the
// whole cluster only when the incoming pod has required terms itself, so the cost stays low when
// few pods use affinity.
//
// The state is replaced, never mutated, by addPod/removePod (CycleState.clone() is shallow).

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import {
  Code,
  status,
  success,
  type AffinityTerm,
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type Handle,
  type NodeInfo,
  type NodeScore,
  type PluginFactory,
  type PodInfo,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
  type Status,
} from '../framework/types.js';
import { termMatches } from './podinfo-terms.js';
import { NodeMemo } from '../framework/node-memo.js';
import { affinityNormalizeScore, affinityPreScore, affinityScore } from './interpodaffinity-score.js';

export const interPodAffinityName = 'InterPodAffinity';
export const errReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const errReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const errReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

const preFilterKey = 'PreFilter' + interPodAffinityName;

export interface InterPodAffinityArgs {
  /** Weight of an existing pod's required affinity term that the incoming pod matches (0–100, default 1). */
  hardPodAffinityWeight?: number;
  /** Skip existing pods' preferred terms when the incoming pod has no preferred terms. */
  ignorePreferredTermsOfExistingPods?: boolean;
}

interface PreFilterState {
  pod: PodInfo;
  nsLabels: Record<string, string> | undefined;
  existingAnti: Map<string, number>;
  affinity: Map<string, number>;
  anti: Map<string, number>;
}

export function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

/** Adds `delta` to the node's pair for `key`, if the node has that label; drops zero entries. */
function bump(m: Map<string, number>, node: Node, key: string, delta: number): void {
  const v = node.metadata?.labels?.[key];
  if (v === undefined) return;
  const k = pairKey(key, v);
  const n = (m.get(k) ?? 0) + delta;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

/** Namespace labels looked up at most once per namespace (for terms with a namespaceSelector). */
export function namespaceLabelsCache(handle: Handle): (pod: Pod) => Record<string, string> | undefined {
  const cache = new Map<string, Record<string, string> | undefined>();
  return (pod) => {
    const ns = pod.metadata?.namespace ?? '';
    if (!cache.has(ns)) cache.set(ns, handle.namespaceLabels(ns));
    return cache.get(ns);
  };
}

/**
 * Identifies an incoming pod's required terms for the per-node memo below: its namespace, labels
 * (matchLabelKeys draw on them) and required (anti-)affinity as written. Undefined when a term has
 * a namespaceSelector: namespace labels can change without any node changing.
 */
function incomingTermsKey(pi: PodInfo): string | undefined {
  if ([...pi.requiredAffinityTerms, ...pi.requiredAntiAffinityTerms].some((t) => t.namespaceSelector)) return undefined;
  const a = pi.pod.spec?.affinity;
  return JSON.stringify([pi.pod.metadata?.namespace ?? '', pi.pod.metadata?.labels ?? {}, a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [], a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []]);
}

interface IncomingCounts {
  /** Pods on the node matching every required affinity term. */
  all: number;
  /** Per required anti-affinity term: pods on the node it matches. */
  anti: number[];
}

/** How many pods on a node the incoming pod's required terms match, remembered until the node changes. */
const incomingMemo = new NodeMemo<IncomingCounts>();
function incomingCounts(ni: NodeInfo, key: string, pi: PodInfo, nsOf: (p: Pod) => Record<string, string> | undefined): IncomingCounts {
  return incomingMemo.get(ni, key, () => {
    const c: IncomingCounts = { all: 0, anti: pi.requiredAntiAffinityTerms.map(() => 0) };
    for (const ep of ni.pods) {
      if (matchesAll(pi.requiredAffinityTerms, ep.pod, nsOf)) c.all++;
      pi.requiredAntiAffinityTerms.forEach((t, i) => {
        if (termMatches(t, ep.pod, undefined)) c.anti[i]!++;
      });
    }
    return c;
  });
}

/** True iff the pod matches every term (and there is at least one). */
function matchesAll(terms: AffinityTerm[], pod: Pod, nsOf: (p: Pod) => Record<string, string> | undefined): boolean {
  if (!terms.length) return false;
  return terms.every((t) => termMatches(t, pod, t.namespaceSelector ? nsOf(pod) : undefined));
}

class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = interPodAffinityName;
  private readonly hardWeight: number;
  private readonly ignoreExistingPreferred: boolean;

  constructor(
    args: InterPodAffinityArgs,
    private readonly handle: Handle,
  ) {
    const w = args.hardPodAffinityWeight ?? 1;
    if (!Number.isInteger(w) || w < 0 || w > 100) throw new Error(`hardPodAffinityWeight: Invalid value: ${w}: not in valid range [0-100]`);
    this.hardWeight = w;
    this.ignoreExistingPreferred = args.ignorePreferredTermsOfExistingPods ?? false;
  }

  preFilter(state: CycleState, pi: PodInfo, _nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const snap = this.handle.snapshot();
    const nsOf = namespaceLabelsCache(this.handle);
    const nsLabels = nsOf(pi.pod);
    const s: PreFilterState = { pod: pi, nsLabels, existingAnti: new Map(), affinity: new Map(), anti: new Map() };
    for (const ni of snap.havePodsWithRequiredAntiAffinity()) {
      for (const ep of ni.podsWithRequiredAntiAffinity) {
        for (const t of ep.requiredAntiAffinityTerms) if (termMatches(t, pi.pod, nsLabels)) bump(s.existingAnti, ni.node, t.topologyKey, 1);
      }
    }
    if (pi.requiredAffinityTerms.length || pi.requiredAntiAffinityTerms.length) {
      const key = incomingTermsKey(pi);
      for (const ni of snap.nodes()) {
        if (key === undefined) {
          for (const ep of ni.pods) this.countIncoming(s, ep.pod, ni.node, 1, nsOf);
          continue;
        }
        const c = incomingCounts(ni, key, pi, nsOf);
        if (c.all > 0) for (const t of pi.requiredAffinityTerms) bump(s.affinity, ni.node, t.topologyKey, c.all);
        c.anti.forEach((n, i) => {
          if (n > 0) bump(s.anti, ni.node, pi.requiredAntiAffinityTerms[i]!.topologyKey, n);
        });
      }
    }
    if (!s.existingAnti.size && !pi.requiredAffinityTerms.length && !pi.requiredAntiAffinityTerms.length) return { status: status(Code.Skip) };
    state.write(preFilterKey, s);
    return { status: success };
  }

  /** Counts `existing` against the incoming pod's own required terms. */
  private countIncoming(s: PreFilterState, existing: Pod, node: Node, delta: number, nsOf: (p: Pod) => Record<string, string> | undefined): void {
    const aff = s.pod.requiredAffinityTerms;
    if (matchesAll(aff, existing, nsOf)) for (const t of aff) bump(s.affinity, node, t.topologyKey, delta);
    for (const t of s.pod.requiredAntiAffinityTerms) {
      if (termMatches(t, existing, t.namespaceSelector ? nsOf(existing) : undefined)) bump(s.anti, node, t.topologyKey, delta);
    }
  }

  addPod(state: CycleState, _pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Status {
    return this.update(state, toAdd, node.node, 1);
  }

  removePod(state: CycleState, _pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Status {
    return this.update(state, toRemove, node.node, -1);
  }

  private update(state: CycleState, changed: PodInfo, node: Node, delta: number): Status {
    const s = state.read<PreFilterState>(preFilterKey);
    if (!s) return status(Code.Error, `reading "${preFilterKey}" from cycleState: not found`);
    const next: PreFilterState = { ...s, existingAnti: new Map(s.existingAnti), affinity: new Map(s.affinity), anti: new Map(s.anti) };
    for (const t of changed.requiredAntiAffinityTerms) if (termMatches(t, s.pod.pod, s.nsLabels)) bump(next.existingAnti, node, t.topologyKey, delta);
    this.countIncoming(next, changed.pod, node, delta, namespaceLabelsCache(this.handle));
    state.write(preFilterKey, next);
    return success;
  }

  filter(state: CycleState, _pod: PodInfo, ni: NodeInfo): Status {
    const s = state.read<PreFilterState>(preFilterKey);
    if (!s) return status(Code.Error, `reading "${preFilterKey}" from cycleState: not found`);
    const labels = ni.node.metadata?.labels ?? {};
    if (!satisfiesAffinity(s, labels)) return status(Code.UnschedulableAndUnresolvable, errReasonAffinityRulesNotMatch);
    if (s.anti.size) {
      for (const t of s.pod.requiredAntiAffinityTerms) {
        const v = labels[t.topologyKey];
        if (v !== undefined && (s.anti.get(pairKey(t.topologyKey, v)) ?? 0) > 0) return status(Code.Unschedulable, errReasonAntiAffinityRulesNotMatch);
      }
    }
    if (s.existingAnti.size) {
      for (const [k, v] of Object.entries(labels)) {
        if ((s.existingAnti.get(pairKey(k, v)) ?? 0) > 0) return status(Code.Unschedulable, errReasonExistingAntiAffinityRulesNotMatch);
      }
    }
    return success;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Status {
    return affinityPreScore(state, pod, nodes, { handle: this.handle, hardWeight: this.hardWeight, ignoreExistingPreferred: this.ignoreExistingPreferred });
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    return affinityScore(state, node);
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    return affinityNormalizeScore(state, scores);
  }

  eventsToRegister(): ClusterEvent[] {
    return ['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}

/**
 * Every required affinity term's key must be on the node, and each pair must hold a matching
 * pod — unless no pod in the cluster matches yet and the pod matches its own terms (the first pod
 * of a group with affinity to itself may go anywhere that has the keys).
 */
function satisfiesAffinity(s: PreFilterState, labels: Record<string, string>): boolean {
  let podsExist = true;
  for (const t of s.pod.requiredAffinityTerms) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false;
    if ((s.affinity.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  return s.affinity.size === 0 && matchesAll(s.pod.requiredAffinityTerms, s.pod.pod, () => s.nsLabels);
}

export const interPodAffinity: PluginFactory = (args, handle) => new InterPodAffinity((args ?? {}) as InterPodAffinityArgs, handle);
