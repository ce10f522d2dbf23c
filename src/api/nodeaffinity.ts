// Node selectors as upstream's component-helpers nodeaffinity: nodeSelectorTerms (ORed; a term's
// matchExpressions and matchFields ANDed), spec.nodeSelector, and preferred terms with weights.
// A term that is empty or fails to parse matches nothing, as upstream (parse errors are ignored
// for backwards compatibility). The one implementation of "does this pod's required node
// affinity admit that node", shared by the scheduler (NodeAffinity, PodTopologySpread) and the
// DaemonSet controller's placement.

import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';

type Labels = Record<string, string>;
type Match = (labels: Labels, name: string) => boolean;

function parseInt64(s: string): bigint | undefined {
  return /^[+-]?\d+$/.test(s) ? BigInt(s) : undefined;
}

/** The label's value; own keys only, so a key like `constructor` is not found on the prototype. */
function labelOf(l: Labels, key: string): string | undefined {
  return Object.hasOwn(l, key) ? l[key] : undefined;
}

function labelRequirement(r: NodeSelectorRequirement): Match | undefined {
  const values = r.values ?? [];
  const key = r.key;
  switch (r.operator) {
    case 'In':
      if (values.length === 0) return undefined;
      return (l) => {
        const v = labelOf(l, key);
        return v !== undefined && values.includes(v);
      };
    case 'NotIn':
      if (values.length === 0) return undefined;
      return (l) => {
        const v = labelOf(l, key);
        return v === undefined || !values.includes(v);
      };
    case 'Exists':
      if (values.length !== 0) return undefined;
      return (l) => labelOf(l, key) !== undefined;
    case 'DoesNotExist':
      if (values.length !== 0) return undefined;
      return (l) => labelOf(l, key) === undefined;
    case 'Gt':
    case 'Lt': {
      const bound = values.length === 1 ? parseInt64(values[0] as string) : undefined;
      if (bound === undefined) return undefined;
      const gt = r.operator === 'Gt';
      return (l) => {
        const have = labelOf(l, key);
        const v = have === undefined ? undefined : parseInt64(have);
        if (v === undefined) return false;
        return gt ? v > bound : v < bound;
      };
    }
    default:
      return undefined;
  }
}

/** matchFields: only `metadata.name` has a value; In / NotIn with exactly one value. */
function fieldRequirement(r: NodeSelectorRequirement): Match | undefined {
  const values = r.values ?? [];
  if (values.length !== 1) return undefined;
  const want = values[0] as string;
  const get = (name: string) => (r.key === 'metadata.name' ? name : '');
  if (r.operator === 'In') return (_l, name) => get(name) === want;
  if (r.operator === 'NotIn') return (_l, name) => get(name) !== want;
  return undefined;
}

function isEmptyTerm(t: NodeSelectorTerm | undefined): boolean {
  return !t || ((t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0);
}

/** A compiled term; undefined when it is empty or invalid (it matches nothing). */
export function compileTerm(t: NodeSelectorTerm): Match | undefined {
  if (isEmptyTerm(t)) return undefined;
  const reqs: Match[] = [];
  for (const r of t.matchExpressions ?? []) {
    const m = labelRequirement(r);
    if (!m) return undefined;
    reqs.push(m);
  }
  for (const r of t.matchFields ?? []) {
    const m = fieldRequirement(r);
    if (!m) return undefined;
    reqs.push(m);
  }
  return (labels, name) => {
    for (const m of reqs) if (!m(labels, name)) return false;
    return true;
  };
}

export type NodeMatcher = (node: Node) => boolean;

/** A NodeSelector: any of its terms; no terms matches nothing. */
export function compileNodeSelector(ns: NodeSelector): NodeMatcher {
  const terms = (ns.nodeSelectorTerms ?? []).map(compileTerm).filter((m): m is Match => m !== undefined);
  return (node) => {
    const labels = (node.metadata?.labels ?? {}) as Labels;
    const name = node.metadata?.name ?? '';
    for (const t of terms) if (t(labels, name)) return true;
    return false;
  };
}

/**
 * The pod's spec.nodeSelector AND its required node affinity (nodeaffinity.GetRequiredNodeAffinity);
 * no required affinity admits every node the nodeSelector admits. Compile once, match many nodes.
 */
export function requiredNodeAffinity(pod: { spec?: PodSpec }): NodeMatcher {
  const sel = Object.entries(pod.spec?.nodeSelector ?? {});
  const req = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = req ? compileNodeSelector(req) : undefined;
  return (node) => {
    const labels = node.metadata?.labels ?? {};
    for (const [k, v] of sel) if (labelOf(labels, k) !== v) return false;
    return terms ? terms(node) : true;
  };
}

/** GetRequiredNodeAffinity(pod).Match(node) for a pod spec (a DaemonSet's template). */
export function matchesRequiredNodeAffinity(spec: PodSpec | undefined, node: Node): boolean {
  return requiredNodeAffinity(spec ? { spec } : {})(node);
}

/** Preferred terms: the sum of the weights of the terms the node matches (zero weights and empty terms skipped). */
export function compilePreferred(terms: PreferredSchedulingTerm[] | undefined): ((node: Node) => number) | undefined {
  const compiled: { weight: number; match: Match }[] = [];
  for (const t of terms ?? []) {
    if (!t.weight) continue;
    const m = compileTerm(t.preference);
    if (m) compiled.push({ weight: t.weight, match: m });
  }
  if (compiled.length === 0) return undefined;
  return (node) => {
    const labels = (node.metadata?.labels ?? {}) as Labels;
    const name = node.metadata?.name ?? '';
    let sum = 0;
    for (const t of compiled) if (t.match(labels, name)) sum += t.weight;
    return sum;
  };
}
