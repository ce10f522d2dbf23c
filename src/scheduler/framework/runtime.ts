// The framework of one profile: its plugins (built once from the registry and the profile's
// plugin config), placed on the extension points, and the code that runs each point with
// upstream's rules. It is also the Handle its plugins get.
//
// Which plugin runs at which point, and in what order, is decided by placement.ts.
//
// Running (upstream frameworkImpl):
// - PreFilter: every plugin; Skip skips its Filter; a rejection stops at once; node-name results
//   are intersected, and an empty intersection rejects the pod.
// - Filter: stops at the first failing plugin; a non-rejection failure is an Error.
// - PostFilter: in order until one succeeds or says UnschedulableAndUnresolvable.
// - PreScore Skip skips that plugin's Score; scores are normalised per plugin (NormalizeScore),
//   must then lie in [0, 100], and are summed times the plugin's weight.
// - Reserve in order; Unreserve in reverse order. Permit: a rejection stops; Wait holds the pod
//   (nothing can allow it early in skiff, so it is rejected when the longest wait ends).
// - Bind: the first bind plugin that does not Skip binds.

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ExtensionPoint, Profile } from '../config.js';
import { ConfigError } from '../config.js';
import { placePlugins, type Placed } from './placement.js';
import type { Registry } from '../plugins/registry.js';
import { podPriority } from '../plugins/podinfo-terms.js';
import { ClusterSnapshot } from '../snapshot.js';
import { addPod, cloneNodeInfo } from './nodeinfo.js';
import {
  Code,
  maxNodeScore,
  status,
  success,
  type BindPlugin,
  type ClusterEvent,
  type CycleState,
  type FilterPlugin,
  type Handle,
  type NodeInfo,
  type NodeScore,
  type NodeToStatus,
  type Plugin,
  type PermitPlugin,
  type Pod,
  type PodInfo,
  type PostBindPlugin,
  type PostFilterPlugin,
  type PostFilterResult,
  type PreBindPlugin,
  type PreEnqueuePlugin,
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type QueueSortPlugin,
  type ReservePlugin,
  type ScorePlugin,
  type Snapshot,
  type Status,
} from './types.js';

/** What the scheduler provides behind the Handle (each optional: tests give what they need). */
export interface FrameworkDeps {
  namespaceLabels?(namespace: string): Record<string, string> | undefined;
  priorityClassValue?(name: string): number | undefined;
  nominatedPodsFor?(nodeName: string): PodInfo[];
  deletePod?(pod: Pod, reason: string): Promise<void>;
  event?: Handle['event'];
  nominate?(pod: Pod, nodeName: string): Promise<void>;
  bindPod?(pod: Pod, nodeName: string): Promise<void>;
  servicesOf?(pod: Pod): Service[];
  ownerSelector?(pod: Pod): LabelSelector | undefined;
  podDisruptionBudgets?(): PodDisruptionBudget[];
}

const isRejected = (s: Status) => s.code === Code.Unschedulable || s.code === Code.UnschedulableAndUnresolvable;
const message = (s: Status) => s.reasons.join(', ');
const asError = (what: string, s: Status, plugin: string): Status => ({ code: Code.Error, reasons: [`${what}: ${message(s)}`], plugin });

export interface PreFilterOutcome {
  result?: PreFilterResult;
  status: Status;
  /** Plugins that rejected the pod (or whose node lists left nothing). */
  unschedulablePlugins: Set<string>;
  /** Plugins whose PreFilterResult narrowed the nodes. */
  narrowedBy: string[];
}

export class Framework implements Handle {
  readonly profileName: string;
  readonly percentageOfNodesToScore: number | undefined;
  readonly plugins = new Map<string, Plugin>();
  readonly queueSort: QueueSortPlugin;
  readonly preEnqueuePlugins: PreEnqueuePlugin[] = [];
  readonly preFilterPlugins: PreFilterPlugin[] = [];
  readonly filterPlugins: FilterPlugin[] = [];
  readonly postFilterPlugins: PostFilterPlugin[] = [];
  readonly preScorePlugins: PreScorePlugin[] = [];
  readonly scorePlugins: { plugin: ScorePlugin; weight: number }[] = [];
  readonly reservePlugins: ReservePlugin[] = [];
  readonly permitPlugins: PermitPlugin[] = [];
  readonly preBindPlugins: PreBindPlugin[] = [];
  readonly bindPlugins: BindPlugin[] = [];
  readonly postBindPlugins: PostBindPlugin[] = [];
  /** Plugin → the events it registered ('all' when it does not say). */
  readonly pluginEvents = new Map<string, ReadonlySet<ClusterEvent> | 'all'>();
  private current: Snapshot = new ClusterSnapshot();

  servicesOf?: (pod: Pod) => Service[];
  ownerSelector?: (pod: Pod) => LabelSelector | undefined;
  podDisruptionBudgets?: () => PodDisruptionBudget[];
  bindPod?: (pod: Pod, nodeName: string) => Promise<void>;

  constructor(profile: Profile, registry: Registry, private readonly deps: FrameworkDeps = {}) {
    this.profileName = profile.schedulerName;
    this.percentageOfNodesToScore = profile.percentageOfNodesToScore;
    if (deps.servicesOf) this.servicesOf = deps.servicesOf;
    if (deps.ownerSelector) this.ownerSelector = deps.ownerSelector;
    if (deps.podDisruptionBudgets) this.podDisruptionBudgets = deps.podDisruptionBudgets;
    if (deps.bindPod) this.bindPod = deps.bindPod;
    const { plugins, placed, pluginEvents } = placePlugins(profile, registry, this);
    for (const [k, v] of plugins) this.plugins.set(k, v);
    for (const [k, v] of pluginEvents) this.pluginEvents.set(k, v);
    const path = `profiles[${profile.index}]`;
    const plain = <T>(e: ExtensionPoint) => placed[e].map((x) => x.plugin as T);
    if (placed.queueSort.length !== 1) throw new ConfigError(`${path}.plugins.queueSort: Invalid value: ${placed.queueSort.length}: exactly one queue sort plugin must be enabled`);
    this.queueSort = (placed.queueSort[0] as Placed).plugin as QueueSortPlugin;
    if (placed.bind.length === 0) throw new ConfigError(`${path}.plugins.bind: Required value: at least one bind plugin is needed`);
    this.preEnqueuePlugins.push(...plain<PreEnqueuePlugin>('preEnqueue'));
    this.preFilterPlugins.push(...plain<PreFilterPlugin>('preFilter'));
    this.filterPlugins.push(...plain<FilterPlugin>('filter'));
    this.postFilterPlugins.push(...plain<PostFilterPlugin>('postFilter'));
    this.preScorePlugins.push(...plain<PreScorePlugin>('preScore'));
    this.scorePlugins.push(...placed.score.map((x) => ({ plugin: x.plugin as ScorePlugin, weight: x.weight })));
    this.reservePlugins.push(...plain<ReservePlugin>('reserve'));
    this.permitPlugins.push(...plain<PermitPlugin>('permit'));
    this.preBindPlugins.push(...plain<PreBindPlugin>('preBind'));
    this.bindPlugins.push(...plain<BindPlugin>('bind'));
    this.postBindPlugins.push(...plain<PostBindPlugin>('postBind'));
  }

  // ---------------------------------------------------------------- Handle

  /** The scheduler sets the cycle's snapshot before running a cycle. */
  setSnapshot(s: Snapshot): void {
    this.current = s;
  }
  snapshot(): Snapshot {
    return this.current;
  }
  namespaceLabels(namespace: string): Record<string, string> | undefined {
    return this.deps.namespaceLabels?.(namespace);
  }
  priorityClassValue(name: string): number | undefined {
    return this.deps.priorityClassValue?.(name);
  }
  nominatedPodsFor(nodeName: string): PodInfo[] {
    return this.deps.nominatedPodsFor?.(nodeName) ?? [];
  }
  async deletePod(pod: Pod, reason: string): Promise<void> {
    if (!this.deps.deletePod) throw new Error('this framework cannot delete pods');
    await this.deps.deletePod(pod, reason);
  }
  event(obj: Parameters<Handle['event']>[0], type: 'Normal' | 'Warning', reason: string, msg: string): void {
    this.deps.event?.(obj, type, reason, msg);
  }
  async nominate(pod: Pod, nodeName: string): Promise<void> {
    await this.deps.nominate?.(pod, nodeName);
  }

  // ---------------------------------------------------------------- extension points

  runPreEnqueuePlugins(pod: PodInfo): Status {
    for (const pl of this.preEnqueuePlugins) {
      const s = pl.preEnqueue(pod);
      if (s.code !== Code.Success) return { ...s, plugin: pl.name };
    }
    return success;
  }

  runPreFilterPlugins(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): PreFilterOutcome {
    let names: Set<string> | undefined;
    const narrowedBy: string[] = [];
    for (const pl of this.preFilterPlugins) {
      const r = pl.preFilter(state, pod, nodes);
      if (r.status.code === Code.Skip) {
        state.skipFilter.add(pl.name);
        continue;
      }
      if (r.status.code !== Code.Success) {
        const s = isRejected(r.status) ? { ...r.status, plugin: pl.name } : asError(`running PreFilter plugin "${pl.name}"`, r.status, pl.name);
        return { status: s, unschedulablePlugins: isRejected(s) ? new Set([pl.name]) : new Set(), narrowedBy };
      }
      const nn = r.result?.nodeNames;
      if (nn) {
        names = names ? new Set([...names].filter((n) => nn.has(n))) : new Set(nn);
        narrowedBy.push(pl.name);
      }
    }
    if (names && names.size === 0) {
      const msg = narrowedBy.length === 1 ? `node(s) didn't satisfy plugin ${narrowedBy[0]}` : `node(s) didn't satisfy plugin(s) [${narrowedBy.join(' ')}] simultaneously`;
      return { result: { nodeNames: names }, status: status(Code.UnschedulableAndUnresolvable, msg), unschedulablePlugins: new Set(narrowedBy), narrowedBy };
    }
    return { ...(names ? { result: { nodeNames: names } } : {}), status: success, unschedulablePlugins: new Set(), narrowedBy };
  }

  runPreFilterAddPod(state: CycleState, pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Status {
    for (const pl of this.preFilterPlugins) {
      if (!pl.addPod || state.skipFilter.has(pl.name)) continue;
      const s = pl.addPod(state, pod, toAdd, node);
      if (s.code !== Code.Success) return asError(`running AddPod on PreFilter plugin "${pl.name}"`, s, pl.name);
    }
    return success;
  }

  runPreFilterRemovePod(state: CycleState, pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Status {
    for (const pl of this.preFilterPlugins) {
      if (!pl.removePod || state.skipFilter.has(pl.name)) continue;
      const s = pl.removePod(state, pod, toRemove, node);
      if (s.code !== Code.Success) return asError(`running RemovePod on PreFilter plugin "${pl.name}"`, s, pl.name);
    }
    return success;
  }

  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const skip = state.skipFilter.size > 0 ? state.skipFilter : undefined;
    for (const pl of this.filterPlugins) {
      if (skip?.has(pl.name)) continue;
      const s = pl.filter(state, pod, node);
      if (s.code === Code.Success) continue;
      return isRejected(s) ? { ...s, plugin: pl.name } : asError(`running "${pl.name}" filter plugin`, s, pl.name);
    }
    return success;
  }

  /**
   * Filters with the node's nominated pods of equal or higher priority counted (they must not
   * lose the room preemption made for them), then — if that passed and there were some —
   * without them, since they may yet land elsewhere (upstream RunFilterPluginsWithNominatedPods).
   */
  runFilterPluginsWithNominatedPods(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const nominated = this.deps.nominatedPodsFor?.(node.name) ?? [];
    if (nominated.length > 0) {
      const prio = podPriority(pod.pod);
      const others = nominated.filter((p) => p.key !== pod.key && podPriority(p.pod) >= prio);
      if (others.length > 0) {
        const st = state.clone();
        const ni = cloneNodeInfo(node);
        for (const p of others) {
          addPod(ni, p);
          const s = this.runPreFilterAddPod(st, pod, p, ni);
          if (s.code !== Code.Success) return s;
        }
        const first = this.runFilterPlugins(st, pod, ni);
        if (first.code !== Code.Success) return first;
      }
    }
    return this.runFilterPlugins(state, pod, node);
  }

  async runPostFilterPlugins(state: CycleState, pod: PodInfo, filtered: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }> {
    const reasons: string[] = [];
    let rejector: string | undefined;
    let result: PostFilterResult | undefined;
    for (const pl of this.postFilterPlugins) {
      const r = await pl.postFilter(state, pod, filtered);
      const s = r.status;
      if (s.code === Code.Success) return { ...(r.result ? { result: r.result } : {}), status: { ...s, plugin: pl.name } };
      if (s.code === Code.UnschedulableAndUnresolvable) return { ...(r.result ? { result: r.result } : {}), status: { ...s, plugin: pl.name } };
      if (!isRejected(s)) return { status: asError(`running PostFilter plugin "${pl.name}"`, s, pl.name) };
      if (r.result) result = r.result;
      reasons.push(...s.reasons);
      rejector ??= pl.name;
    }
    return { ...(result ? { result } : {}), status: { code: Code.Unschedulable, reasons, ...(rejector ? { plugin: rejector } : {}) } };
  }

  runPreScorePlugins(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Status {
    for (const pl of this.preScorePlugins) {
      const s = pl.preScore(state, pod, nodes);
      if (s.code === Code.Skip) {
        state.skipScore.add(pl.name);
        continue;
      }
      if (s.code !== Code.Success) return asError(`running PreScore plugin "${pl.name}"`, s, pl.name);
    }
    return success;
  }

  /**
   * Weighted total score per node (same order as `nodes`). The NodeScore lists handed to
   * normalizeScore are reused by the next cycle: plugins must not keep them.
   */
  runScorePlugins(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): { totals: number[]; status: Status } {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const [p, { plugin: pl, weight }] of this.scorePlugins.entries()) {
      if (state.skipScore.has(pl.name)) continue;
      const scores = this.scoreBuffer(p, nodes.length);
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i] as NodeInfo;
        const r = pl.score(state, pod, n);
        if (r.status.code !== Code.Success) return { totals, status: asError(`running Score plugin "${pl.name}"`, r.status, pl.name) };
        const ns = scores[i] as NodeScore;
        ns.name = n.name;
        ns.score = r.score;
      }
      if (pl.normalizeScore) {
        const s = pl.normalizeScore(state, pod, scores);
        if (s.code !== Code.Success) return { totals, status: asError(`running Normalize on Score plugin "${pl.name}"`, s, pl.name) };
      }
      for (let i = 0; i < scores.length; i++) {
        const v = (scores[i] as NodeScore).score;
        if (!(v >= 0 && v <= maxNodeScore)) {
          return { totals, status: status(Code.Error, `plugin "${pl.name}" returns an invalid score ${v}, it should in the range of [0, ${maxNodeScore}] after normalizing`) };
        }
        totals[i] = (totals[i] as number) + v * weight;
      }
    }
    return { totals, status: success };
  }

  private readonly scoreBuffers: NodeScore[][] = [];

  private scoreBuffer(plugin: number, n: number): NodeScore[] {
    let b = this.scoreBuffers[plugin];
    if (!b) this.scoreBuffers[plugin] = b = [];
    while (b.length < n) b.push({ name: '', score: 0 });
    b.length = n;
    return b;
  }

  runReservePluginsReserve(state: CycleState, pod: PodInfo, nodeName: string): Status {
    for (const pl of this.reservePlugins) {
      const s = pl.reserve(state, pod, nodeName);
      if (s.code === Code.Success) continue;
      return isRejected(s) ? { ...s, plugin: pl.name } : asError(`running Reserve plugin "${pl.name}"`, s, pl.name);
    }
    return success;
  }

  runReservePluginsUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (let i = this.reservePlugins.length - 1; i >= 0; i--) (this.reservePlugins[i] as ReservePlugin).unreserve(state, pod, nodeName);
  }

  /** Success, a rejection/error, or Wait with the longest timeout and the plugin that asked. */
  runPermitPlugins(state: CycleState, pod: PodInfo, nodeName: string): { status: Status; waitMs?: number } {
    let waitMs: number | undefined;
    let waiter: string | undefined;
    for (const pl of this.permitPlugins) {
      const r = pl.permit(state, pod, nodeName);
      const s = r.status;
      if (s.code === Code.Success) continue;
      if (s.code === Code.Wait) {
        const t = Math.min(r.timeoutMs ?? 0, 15 * 60_000);
        if (waitMs === undefined || t > waitMs) {
          waitMs = t;
          waiter = pl.name;
        }
        continue;
      }
      return { status: isRejected(s) ? { ...s, plugin: pl.name } : asError(`running Permit plugin "${pl.name}"`, s, pl.name) };
    }
    if (waitMs !== undefined) return { status: { code: Code.Wait, reasons: [], ...(waiter ? { plugin: waiter } : {}) }, waitMs };
    return { status: success };
  }

  async runPreBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    for (const pl of this.preBindPlugins) {
      const s = await pl.preBind(state, pod, nodeName);
      if (s.code === Code.Success) continue;
      return isRejected(s) ? { ...s, plugin: pl.name } : asError(`running PreBind plugin "${pl.name}"`, s, pl.name);
    }
    return success;
  }

  async runBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    for (const pl of this.bindPlugins) {
      const s = await pl.bind(state, pod, nodeName);
      if (s.code === Code.Skip) continue;
      if (s.code === Code.Success) return success;
      return isRejected(s) ? { ...s, plugin: pl.name } : asError(`running Bind plugin "${pl.name}"`, s, pl.name);
    }
    return status(Code.Skip, 'every bind plugin skipped the pod');
  }

  runPostBindPlugins(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const pl of this.postBindPlugins) pl.postBind(state, pod, nodeName);
  }

  hasFilterPlugins(): boolean {
    return this.filterPlugins.length > 0;
  }
  hasScorePlugins(): boolean {
    return this.scorePlugins.length > 0;
  }
  hasPostFilterPlugins(): boolean {
    return this.postFilterPlugins.length > 0;
  }
}
