// PodTopologySpread: spreads matching pods across topology domains (upstream semantics).
//
// Filter (whenUnsatisfiable: DoNotSchedule): a node fits when
//   pods matching the selector in the node's domain + (1 if the pod itself matches) - global minimum <= maxSkew
// where the global minimum is 0 while fewer than minDomains domains exist. Domains are the
// topology values of nodes that carry every constraint's key and pass the inclusion policies.
// Score (ScheduleAnyway): fewer matching pods in a node's domains score higher; nodes missing a
// key are ignored (score 0) except under the system defaults, so zone-less nodes still spread by
// hostname.
//
// Pre-filter state is replaced, never mutated, by addPod/removePod: CycleState.clone() is
// shallow, and preemption evaluates each node on its own clone.

import type { Node, Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import {
  Code,
  maxNodeScore,
  status,
  success,
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
import { requiredNodeAffinity } from '../../api/nodeaffinity.js';
import { matchesLabels } from '../../api/selectors/labels.js';
import {
  constraintsFor,
  countMatching,
  countMatchingOnNode,
  defaultSelector,
  hostnameKey,
  includesNode,
  nodeHasAllKeys,
  systemDefaultConstraints,
  type SpreadConstraint,
  type WhenUnsatisfiable,
} from './podtopologyspread-constraints.js';

export const podTopologySpreadName = 'PodTopologySpread';
export const errReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const errReasonNodeLabelNotMatch = errReasonConstraintsNotMatch + ' (missing required label)';

const preFilterKey = 'PreFilter' + podTopologySpreadName;
const preScoreKey = 'PreScore' + podTopologySpreadName;

export interface PodTopologySpreadArgs {
  defaultConstraints?: TopologySpreadConstraint[];
  /** `System` (default) uses upstream's built-in defaults; `List` uses defaultConstraints. */
  defaultingType?: 'System' | 'List';
}

interface PreFilterState {
  constraints: SpreadConstraint[];
  /** Per constraint: topology value → matching pods, for every eligible domain (0 included). */
  counts: Map<string, number>[];
  /** Per constraint: the smallest count (Infinity when there are no domains). */
  mins: number[];
}

interface PreScoreState {
  constraints: SpreadConstraint[];
  ignored: Set<string>;
  /** Per constraint (hostname constraints stay empty: counted per node in score). */
  counts: Map<string, number>[];
  weights: number[];
  /** Per constraint: its selector as JSON (the key of per-node count memos). */
  selectorKeys: string[];
}

function minOf(m: Map<string, number>): number {
  let min = Infinity;
  for (const v of m.values()) if (v < min) min = v;
  return min;
}

function validateArgs(args: PodTopologySpreadArgs): void {
  const type = args.defaultingType ?? 'System';
  if (type !== 'System' && type !== 'List') throw new Error(`defaultingType: Unsupported value: "${String(type)}": supported values: "System", "List"`);
  const list = args.defaultConstraints ?? [];
  if (type === 'System' && list.length) throw new Error('defaultConstraints: Invalid value: when .defaultingType is "System", .defaultConstraints must be empty');
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const at = `defaultConstraints[${i}]`;
    if (!(c.maxSkew > 0)) throw new Error(`${at}.maxSkew: Invalid value: ${c.maxSkew}: not in valid range [1, 2147483647]`);
    if (!c.topologyKey) throw new Error(`${at}.topologyKey: Required value: can not be empty`);
    if (c.whenUnsatisfiable !== 'DoNotSchedule' && c.whenUnsatisfiable !== 'ScheduleAnyway') throw new Error(`${at}.whenUnsatisfiable: Unsupported value: "${c.whenUnsatisfiable}"`);
    if (c.labelSelector) throw new Error(`${at}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod`);
    const key = `${c.topologyKey}/${c.whenUnsatisfiable}`;
    if (seen.has(key)) throw new Error(`${at}: Duplicate value: {"${c.topologyKey}", "${c.whenUnsatisfiable}"}`);
    seen.add(key);
  });
}

class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = podTopologySpreadName;
  private readonly defaults: TopologySpreadConstraint[];
  private readonly systemDefaulted: boolean;

  constructor(
    args: PodTopologySpreadArgs,
    private readonly handle: Handle,
  ) {
    validateArgs(args);
    this.systemDefaulted = (args.defaultingType ?? 'System') === 'System';
    this.defaults = this.systemDefaulted ? systemDefaultConstraints : (args.defaultConstraints ?? []);
  }

  /** The pod's own constraints of this action, or (only when it has none at all) the defaults. */
  private constraints(pod: Pod, action: WhenUnsatisfiable): SpreadConstraint[] {
    const own = pod.spec?.topologySpreadConstraints ?? [];
    const labels = pod.metadata?.labels ?? {};
    if (own.length) return constraintsFor(own, labels, action);
    const defaults = constraintsFor(this.defaults, labels, action);
    if (!defaults.length) return [];
    const selector = defaultSelector(pod, this.handle);
    return selector ? defaults.map((c) => ({ ...c, selector })) : [];
  }

  preFilter(state: CycleState, pi: PodInfo, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    const pod = pi.pod;
    let constraints: SpreadConstraint[];
    try {
      constraints = this.constraints(pod, 'DoNotSchedule');
    } catch (err) {
      return { status: status(Code.Error, `get constraints from pod: ${(err as Error).message}`) };
    }
    if (!constraints.length) return { status: status(Code.Skip) };
    const ns = pod.metadata?.namespace ?? '';
    const affinity = requiredNodeAffinity(pod);
    const counts = constraints.map(() => new Map<string, number>());
    const keys = constraints.map((c) => JSON.stringify(c.selector));
    for (const ni of nodes) {
      if (!nodeHasAllKeys(ni.node, constraints)) continue;
      const labels = ni.node.metadata?.labels ?? {};
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        if (!includesNode(c, pod, ni.node, affinity)) continue;
        const v = labels[c.topologyKey]!;
        const m = counts[i]!;
        m.set(v, (m.get(v) ?? 0) + countMatchingOnNode(ni, c.selector, keys[i]!, ns));
      }
    }
    const s: PreFilterState = { constraints, counts, mins: counts.map(minOf) };
    state.write(preFilterKey, s);
    return { status: success };
  }

  addPod(state: CycleState, pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Status {
    return this.update(state, pod.pod, toAdd.pod, node.node, 1);
  }

  removePod(state: CycleState, pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Status {
    return this.update(state, pod.pod, toRemove.pod, node.node, -1);
  }

  private update(state: CycleState, preemptor: Pod, changed: Pod, node: Node, delta: number): Status {
    const s = state.read<PreFilterState>(preFilterKey);
    if (!s) return status(Code.Error, `reading "${preFilterKey}" from cycleState: not found`);
    if ((changed.metadata?.namespace ?? '') !== (preemptor.metadata?.namespace ?? '')) return success;
    if (!nodeHasAllKeys(node, s.constraints)) return success;
    const affinity = requiredNodeAffinity(preemptor);
    const labels = node.metadata?.labels ?? {};
    const next: PreFilterState = { constraints: s.constraints, counts: [...s.counts], mins: [...s.mins] };
    let changedAny = false;
    s.constraints.forEach((c, i) => {
      if (!matchesLabels(c.selector, changed.metadata?.labels ?? {})) return;
      if (!includesNode(c, preemptor, node, affinity)) return;
      const v = labels[c.topologyKey]!;
      const m = new Map(s.counts[i]!);
      m.set(v, (m.get(v) ?? 0) + delta);
      next.counts[i] = m;
      next.mins[i] = minOf(m);
      changedAny = true;
    });
    if (changedAny) state.write(preFilterKey, next);
    return success;
  }

  filter(state: CycleState, pi: PodInfo, ni: NodeInfo): Status {
    const s = state.read<PreFilterState>(preFilterKey);
    if (!s) return status(Code.Error, `reading "${preFilterKey}" from cycleState: not found`);
    const labels = ni.node.metadata?.labels ?? {};
    const podLabels = pi.pod.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = labels[c.topologyKey];
      if (v === undefined) return status(Code.UnschedulableAndUnresolvable, errReasonNodeLabelNotMatch);
      const counts = s.counts[i]!;
      const min = counts.size < c.minDomains ? 0 : s.mins[i]!;
      const self = matchesLabels(c.selector, podLabels) ? 1 : 0;
      if ((counts.get(v) ?? 0) + self - min > c.maxSkew) return status(Code.Unschedulable, errReasonConstraintsNotMatch);
    }
    return success;
  }

  preScore(state: CycleState, pi: PodInfo, filtered: NodeInfo[]): Status {
    const pod = pi.pod;
    const all = this.handle.snapshot().nodes();
    if (!all.length) return status(Code.Skip);
    let constraints: SpreadConstraint[];
    try {
      constraints = this.constraints(pod, 'ScheduleAnyway');
    } catch (err) {
      return status(Code.Error, `calculating preScoreState: ${(err as Error).message}`);
    }
    if (!constraints.length) return status(Code.Skip);
    // Only explicit constraints (or List defaults) require every key: zone-less nodes still spread by hostname.
    const requireAll = (pod.spec?.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    const s: PreScoreState = { constraints, ignored: new Set(), counts: constraints.map(() => new Map()), weights: [], selectorKeys: [] };
    const sizes = constraints.map(() => 0);
    for (const ni of filtered) {
      if (requireAll && !nodeHasAllKeys(ni.node, constraints)) {
        s.ignored.add(ni.name);
        continue;
      }
      const labels = ni.node.metadata?.labels ?? {};
      constraints.forEach((c, i) => {
        if (c.topologyKey === hostnameKey) return;
        const v = labels[c.topologyKey] ?? '';
        if (!s.counts[i]!.has(v)) {
          s.counts[i]!.set(v, 0);
          sizes[i]!++;
        }
      });
    }
    s.weights = constraints.map((c, i) => Math.log((c.topologyKey === hostnameKey ? filtered.length - s.ignored.size : sizes[i]!) + 2));
    const ns = pod.metadata?.namespace ?? '';
    const affinity = requiredNodeAffinity(pod);
    s.selectorKeys = constraints.map((c) => JSON.stringify(c.selector));
    for (const ni of all) {
      if (requireAll && !nodeHasAllKeys(ni.node, constraints)) continue;
      const labels = ni.node.metadata?.labels ?? {};
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const m = s.counts[i]!;
        const v = labels[c.topologyKey] ?? '';
        const cur = m.get(v);
        // Domains with no candidate node need no count (hostname domains are counted in score).
        if (cur === undefined || !includesNode(c, pod, ni.node, affinity)) continue;
        m.set(v, cur + countMatchingOnNode(ni, c.selector, s.selectorKeys[i]!, ns));
      }
    }
    state.write(preScoreKey, s);
    return success;
  }

  score(state: CycleState, pi: PodInfo, ni: NodeInfo): { score: number; status: Status } {
    const s = state.read<PreScoreState>(preScoreKey);
    if (!s) return { score: 0, status: status(Code.Error, `reading "${preScoreKey}" from cycleState: not found`) };
    if (s.ignored.has(ni.name)) return { score: 0, status: success };
    const labels = ni.node.metadata?.labels ?? {};
    const ns = pi.pod.metadata?.namespace ?? '';
    let score = 0;
    s.constraints.forEach((c, i) => {
      const v = labels[c.topologyKey];
      if (v === undefined) return;
      const cnt = c.topologyKey === hostnameKey ? countMatchingOnNode(ni, c.selector, s.selectorKeys[i]!, ns) : (s.counts[i]!.get(v) ?? 0);
      // maxSkew-1 waters down small differences: a larger maxSkew tolerates more skew.
      score += cnt * s.weights[i]! + (c.maxSkew - 1);
    });
    return { score: Math.round(score), status: success };
  }

  normalizeScore(state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    const s = state.read<PreScoreState>(preScoreKey);
    if (!s) return success;
    let min = Infinity;
    let max = 0;
    for (const sc of scores) {
      if (s.ignored.has(sc.name)) continue;
      min = Math.min(min, sc.score);
      max = Math.max(max, sc.score);
    }
    for (const sc of scores) {
      if (s.ignored.has(sc.name)) sc.score = 0;
      else if (max === 0) sc.score = maxNodeScore;
      else sc.score = Math.floor((maxNodeScore * (max + min - sc.score)) / max);
    }
    return success;
  }

  eventsToRegister(): ClusterEvent[] {
    return ['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate', 'NodeDelete'];
  }
}

export const podTopologySpread: PluginFactory = (args, handle) => new PodTopologySpread((args ?? {}) as PodTopologySpreadArgs, handle);
