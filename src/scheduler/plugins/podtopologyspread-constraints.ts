// PodTopologySpread's constraint model: a pod's topologySpreadConstraints (or the cluster's default
// constraints) parsed once per cycle, and the node-inclusion rules that decide which nodes count
// as domains (nodeAffinityPolicy / nodeTaintsPolicy, upstream defaults Honor / Ignore; node
// affinity and taints are matched by src/api/nodeaffinity.ts and src/api/tolerations.ts).

import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { findUntoleratedTaint, isDoNotScheduleTaint } from '../../api/tolerations.js';
import { labelSelectorFromObject, matchesLabels, type LabelRequirement, type LabelSelector } from '../../api/selectors/labels.js';
import type { Handle, NodeInfo, PodInfo } from '../framework/types.js';
import { compileSelector } from './podinfo-terms.js';
import { NodeMemo } from '../framework/node-memo.js';

export type WhenUnsatisfiable = 'DoNotSchedule' | 'ScheduleAnyway';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  nodeAffinityPolicy: 'Honor' | 'Ignore';
  nodeTaintsPolicy: 'Honor' | 'Ignore';
}

export const hostnameKey = 'kubernetes.io/hostname';
export const zoneKey = 'topology.kubernetes.io/zone';

/** Upstream's cluster-level defaults for `defaultingType: System`. */
export const systemDefaultConstraints: TopologySpreadConstraint[] = [
  { topologyKey: hostnameKey, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: zoneKey, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

/**
 * The constraints of one action. A missing labelSelector selects nothing; matchLabelKeys add
 * `key in (pod's value)` for each key the pod carries (upstream merges them the same way, and
 * a nil selector then becomes just those labels). Throws on an invalid selector.
 */
export function constraintsFor(list: TopologySpreadConstraint[], podLabels: Record<string, string>, action: WhenUnsatisfiable): SpreadConstraint[] {
  const out: SpreadConstraint[] = [];
  for (const c of list) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = labelSelectorFromObject(c.labelSelector);
    const extra: LabelRequirement[] = [];
    for (const key of c.matchLabelKeys ?? []) {
      const v = podLabels[key];
      if (v !== undefined) extra.push({ key, operator: 'in', values: [v] });
    }
    if (extra.length) selector = { requirements: selector.matchesNothing ? extra : [...extra, ...selector.requirements], matchesNothing: false };
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
    });
  }
  return out;
}

/**
 * helper.DefaultSelector: the labels of every Service selecting the pod, ANDed with the selector
 * of its controlling ReplicationController / ReplicaSet / StatefulSet. Undefined when empty.
 */
export function defaultSelector(pod: Pod, handle: Handle): LabelSelector | undefined {
  const labels = pod.metadata?.labels ?? {};
  const ns = pod.metadata?.namespace ?? '';
  const set = new Map<string, string>();
  for (const svc of handle.servicesOf?.(pod) ?? []) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0 || (svc.metadata?.namespace ?? ns) !== ns) continue;
    if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
    for (const [k, v] of Object.entries(sel)) set.set(k, v);
  }
  const reqs: LabelRequirement[] = [...set].map(([key, v]) => ({ key, operator: '=' as const, values: [v] }));
  const owner = handle.ownerSelector?.(pod);
  if (owner) {
    const s = compileSelector(owner);
    if (!s.matchesNothing) reqs.push(...s.requirements);
  }
  return reqs.length ? { requirements: reqs, matchesNothing: false } : undefined;
}

/** True when the node carries every constraint's topology key. */
export function nodeHasAllKeys(node: Node, constraints: SpreadConstraint[]): boolean {
  const labels = node.metadata?.labels ?? {};
  return constraints.every((c) => labels[c.topologyKey] !== undefined);
}

/** Pods of `ns`, not terminating, whose labels the selector matches. */
export function countMatching(pods: PodInfo[], selector: LabelSelector, ns: string): number {
  let n = 0;
  for (const p of pods) {
    const meta = p.pod.metadata;
    if (meta?.deletionTimestamp || (meta?.namespace ?? '') !== ns) continue;
    if (matchesLabels(selector, meta?.labels ?? {})) n++;
  }
  return n;
}

/** countMatching on one node, remembered until the node changes. `selectorKey` identifies the selector (e.g. its JSON). */
const counted = new NodeMemo<number>();
export function countMatchingOnNode(ni: NodeInfo, selector: LabelSelector, selectorKey: string, ns: string): number {
  return counted.get(ni, `${ns}\0${selectorKey}`, () => countMatching(ni.pods, selector, ns));
}

/** Whether the node counts as a domain for this constraint under its inclusion policies. */
export function includesNode(c: SpreadConstraint, pod: Pod, node: Node, affinity: (n: Node) => boolean): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !affinity(node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, isDoNotScheduleTaint)) return false;
  return true;
}
