// InterPodAffinity scoring (upstream semantics). For every existing pod, weights land on its
// node's topology pair (key, value) and every node sharing that pair inherits them:
//   + incoming pod's preferred affinity terms the existing pod matches,
//   - incoming pod's preferred anti-affinity terms it matches,
//   + hardPodAffinityWeight for each of the existing pod's REQUIRED affinity terms the incoming pod matches,
//   + / - the existing pod's preferred affinity / anti-affinity terms the incoming pod matches.
// Without preferred terms on the incoming pod only pods with affinity need visiting.
// Normalization maps [min, max] linearly onto [0, 100].

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { Code, maxNodeScore, status, success, type AffinityTerm, type CycleState, type Handle, type NodeInfo, type NodeScore, type PodInfo, type Status, type WeightedAffinityTerm } from '../framework/types.js';
import { termMatches } from './podinfo-terms.js';
import { NodeMemo } from '../framework/node-memo.js';

const preScoreKey = 'PreScoreInterPodAffinity';

/** topology key → topology value → summed weight. */
type ScoreMap = Map<string, Map<string, number>>;

interface PreScoreState {
  scores: ScoreMap;
}

export interface ScoreOptions {
  handle: Handle;
  hardWeight: number;
  ignoreExistingPreferred: boolean;
}

function addTerm(m: ScoreMap, term: AffinityTerm, weight: number, pod: Pod, nsLabels: () => Record<string, string> | undefined, node: Node): void {
  if (!termMatches(term, pod, term.namespaceSelector ? nsLabels() : undefined)) return;
  const v = node.metadata?.labels?.[term.topologyKey];
  if (v === undefined) return;
  let byValue = m.get(term.topologyKey);
  if (!byValue) m.set(term.topologyKey, (byValue = new Map()));
  byValue.set(v, (byValue.get(v) ?? 0) + weight);
}

function addTerms(m: ScoreMap, terms: WeightedAffinityTerm[], sign: 1 | -1, pod: Pod, nsLabels: () => Record<string, string> | undefined, node: Node): void {
  for (const t of terms) addTerm(m, t, sign * t.weight, pod, nsLabels, node);
}

/** The weights one node's pods add, summed per topology key (see the header for the terms). */
function nodeContributions(ni: NodeInfo, pi: PodInfo, hasPreferred: boolean, incomingNs: Record<string, string> | undefined, nsOf: (p: Pod) => () => Record<string, string> | undefined, o: ScoreOptions): Map<string, number> {
  const m: ScoreMap = new Map();
  const node = ni.node;
  const incoming = pi.pod;
  for (const ep of hasPreferred ? ni.pods : ni.podsWithAffinity) {
    addTerms(m, pi.preferredAffinityTerms, 1, ep.pod, nsOf(ep.pod), node);
    addTerms(m, pi.preferredAntiAffinityTerms, -1, ep.pod, nsOf(ep.pod), node);
    if (o.hardWeight > 0) for (const t of ep.requiredAffinityTerms) addTerm(m, t, o.hardWeight, incoming, () => incomingNs, node);
    addTerms(m, ep.preferredAffinityTerms, 1, incoming, () => incomingNs, node);
    addTerms(m, ep.preferredAntiAffinityTerms, -1, incoming, () => incomingNs, node);
  }
  const out = new Map<string, number>();
  for (const [topologyKey, byValue] of m) for (const w of byValue.values()) out.set(topologyKey, (out.get(topologyKey) ?? 0) + w);
  return out;
}

/**
 * Identifies what a node's contributions depend on besides the node: the incoming pod's
 * namespace (and its labels), labels and preferred terms, and the options. Undefined when an
 * incoming preferred term has a namespaceSelector (other namespaces' labels may change without
 * any node changing).
 */
function scoreKey(pi: PodInfo, incomingNs: Record<string, string> | undefined, o: ScoreOptions): string | undefined {
  if ([...pi.preferredAffinityTerms, ...pi.preferredAntiAffinityTerms].some((t) => t.namespaceSelector)) return undefined;
  const a = pi.pod.spec?.affinity;
  return JSON.stringify([
    pi.pod.metadata?.namespace ?? '',
    incomingNs ?? {},
    pi.pod.metadata?.labels ?? {},
    a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
    a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [],
    o.hardWeight,
  ]);
}

/** Contributions remembered per node until the node changes. */
const contributionMemo = new NodeMemo<Map<string, number>>();

export function affinityPreScore(state: CycleState, pi: PodInfo, nodes: NodeInfo[], o: ScoreOptions): Status {
  if (!nodes.length) return status(Code.Skip);
  const hasPreferred = pi.preferredAffinityTerms.length > 0 || pi.preferredAntiAffinityTerms.length > 0;
  if (o.ignoreExistingPreferred && !hasPreferred) return status(Code.Skip);
  const snap = o.handle.snapshot();
  const visit = hasPreferred ? snap.nodes() : snap.havePodsWithAffinity();
  const incoming = pi.pod;
  const incomingNs = o.handle.namespaceLabels(incoming.metadata?.namespace ?? '');
  const nsCache = new Map<string, Record<string, string> | undefined>();
  const nsOf = (p: Pod) => () => {
    const ns = p.metadata?.namespace ?? '';
    if (!nsCache.has(ns)) nsCache.set(ns, o.handle.namespaceLabels(ns));
    return nsCache.get(ns);
  };
  const scores: ScoreMap = new Map();
  const key = scoreKey(pi, incomingNs, o);
  for (const ni of visit) {
    const node = ni.node;
    if (Object.keys(node.metadata?.labels ?? {}).length === 0) continue;
    // One node's contributions, by topology key (the value is the node's own label).
    const contrib = key === undefined ? nodeContributions(ni, pi, hasPreferred, incomingNs, nsOf, o) : contributionMemo.get(ni, key, () => nodeContributions(ni, pi, hasPreferred, incomingNs, nsOf, o));
    for (const [topologyKey, weight] of contrib) {
      const v = node.metadata?.labels?.[topologyKey];
      if (v === undefined) continue;
      let byValue = scores.get(topologyKey);
      if (!byValue) scores.set(topologyKey, (byValue = new Map()));
      byValue.set(v, (byValue.get(v) ?? 0) + weight);
    }
  }
  if (!scores.size) return status(Code.Skip);
  const s: PreScoreState = { scores };
  state.write(preScoreKey, s);
  return success;
}

export function affinityScore(state: CycleState, ni: NodeInfo): { score: number; status: Status } {
  const s = state.read<PreScoreState>(preScoreKey);
  if (!s) return { score: 0, status: status(Code.Error, `reading "${preScoreKey}" from cycleState: not found`) };
  const labels = ni.node.metadata?.labels ?? {};
  let score = 0;
  for (const [key, byValue] of s.scores) {
    const v = labels[key];
    if (v !== undefined) score += byValue.get(v) ?? 0;
  }
  return { score, status: success };
}

export function affinityNormalizeScore(state: CycleState, scores: NodeScore[]): Status {
  const s = state.read<PreScoreState>(preScoreKey);
  if (!s || !s.scores.size || !scores.length) return success;
  let min = Infinity;
  let max = -Infinity;
  for (const sc of scores) {
    min = Math.min(min, sc.score);
    max = Math.max(max, sc.score);
  }
  const diff = max - min;
  for (const sc of scores) sc.score = diff > 0 ? Math.trunc(maxNodeScore * ((sc.score - min) / diff)) : 0;
  return success;
}
