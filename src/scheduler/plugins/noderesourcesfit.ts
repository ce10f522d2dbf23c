// NodeResourcesFit: the node must have room for the pod's requests (cpu, memory,
// ephemeral-storage, extended resources) and one more pod; scores nodes by a scoring strategy
// (LeastAllocated by default, MostAllocated, RequestedToCapacityRatio).
//
// Failure reasons as upstream: `Too many pods`, `Insufficient cpu`, `Insufficient memory`,
// `Insufficient ephemeral-storage`, `Insufficient <extended resource>` (status Unschedulable:
// preemption may free room).

import {
  Code,
  status,
  success,
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeInfo,
  type PluginFactory,
  type PodInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type Resources,
  type ScorePlugin,
  type Status,
} from '../framework/types.js';
import {
  leastAllocatedScorer,
  mostAllocatedScorer,
  parseResources,
  podRequestList,
  requestedToCapacityRatioScorer,
  scoreNode,
  type ResourceSpec,
  type Scorer,
  type ShapePoint,
} from './helpers/resource-allocation.js';

export const nodeResourcesFitName = 'NodeResourcesFit';
const preFilterKey = 'PreFilterNodeResourcesFit';
const preScoreKey = 'PreScoreNodeResourcesFit';

export type ScoringStrategyType = 'LeastAllocated' | 'MostAllocated' | 'RequestedToCapacityRatio';

export interface NodeResourcesFitArgs {
  ignoredResources: string[];
  ignoredResourceGroups: string[];
  scoringStrategy: { type: ScoringStrategyType; resources: ResourceSpec[]; requestedToCapacityRatio?: { shape: ShapePoint[] } };
}

function isExtended(name: string): boolean {
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');
}

const noReasons: string[] = [];

/** The reasons the pod does not fit the node; an empty list (shared: do not mutate) when it fits. */
export function insufficientResources(req: Resources, node: NodeInfo, ignored: ReadonlySet<string> = new Set(), ignoredGroups: ReadonlySet<string> = new Set()): string[] {
  // The common case allocates nothing: reasons are collected only once one is found.
  let out: string[] | undefined;
  if (node.pods.length + 1 > node.allocatable.pods) out = ['Too many pods'];
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && req.scalar.size === 0) return out ?? noReasons;
  const a = node.allocatable;
  const r = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > a.milliCPU - r.milliCPU) (out ??= []).push('Insufficient cpu');
  if (req.memory > 0 && req.memory > a.memory - r.memory) (out ??= []).push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > a.ephemeralStorage - r.ephemeralStorage) (out ??= []).push('Insufficient ephemeral-storage');
  if (req.scalar.size > 0) {
    for (const [name, q] of req.scalar) {
      if (q === 0) continue;
      if (isExtended(name) && (ignored.has(name) || ignoredGroups.has(name.split('/')[0] as string))) continue;
      if (q > (a.scalar.get(name) ?? 0) - (r.scalar.get(name) ?? 0)) (out ??= []).push(`Insufficient ${name}`);
    }
  }
  return out ?? noReasons;
}

export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = nodeResourcesFitName;
  private readonly ignored: Set<string>;
  private readonly ignoredGroups: Set<string>;
  private readonly scorer: Scorer;

  constructor(private readonly args: NodeResourcesFitArgs) {
    this.ignored = new Set(args.ignoredResources);
    this.ignoredGroups = new Set(args.ignoredResourceGroups);
    const s = args.scoringStrategy;
    this.scorer =
      s.type === 'MostAllocated'
        ? mostAllocatedScorer(s.resources)
        : s.type === 'RequestedToCapacityRatio'
          ? requestedToCapacityRatioScorer(s.resources, s.requestedToCapacityRatio?.shape ?? [])
          : leastAllocatedScorer(s.resources);
  }

  preFilter(state: CycleState, pod: PodInfo): { status: Status } {
    state.write(preFilterKey, pod.requests);
    return { status: success };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const req = state.read<Resources>(preFilterKey) ?? pod.requests;
    const reasons = insufficientResources(req, node, this.ignored, this.ignoredGroups);
    return reasons.length === 0 ? success : status(Code.Unschedulable, ...reasons);
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(preScoreKey, podRequestList(pod, this.args.scoringStrategy.resources, false));
    return success;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const resources = this.args.scoringStrategy.resources;
    const reqs = state.read<number[]>(preScoreKey) ?? podRequestList(pod, resources, false);
    return { score: scoreNode(node, resources, reqs, false, this.scorer), status: success };
  }

  eventsToRegister(): ClusterEvent[] {
    return ['PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}

const strategies: ScoringStrategyType[] = ['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio'];

function stringList(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${path}: Invalid value: ${JSON.stringify(v)}: must be a list of strings`);
  return v as string[];
}

function parseShape(v: unknown, path: string): ShapePoint[] {
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${path}: Required value: at least one point must be specified`);
  let last = -1;
  return v.map((p: unknown, i) => {
    const o = (p ?? {}) as { utilization?: unknown; score?: unknown };
    const u = o.utilization ?? 0;
    const s = o.score ?? 0;
    if (typeof u !== 'number' || !Number.isInteger(u) || u < 0 || u > 100) throw new Error(`${path}[${i}].utilization: Invalid value: ${JSON.stringify(u)}: not in valid range [0, 100]`);
    if (u <= last) throw new Error(`${path}[${i}].utilization: Invalid value: ${u}: utilization values must be sorted in increasing order`);
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 10) throw new Error(`${path}[${i}].score: Invalid value: ${JSON.stringify(s)}: not in valid range [0, 10]`);
    last = u;
    return { utilization: u, score: s };
  });
}

/** NodeResourcesFitArgs with upstream's defaults (LeastAllocated on cpu and memory, weight 1). */
export function parseNodeResourcesFitArgs(args: Record<string, unknown> | undefined): NodeResourcesFitArgs {
  const a = args ?? {};
  const ss = (a.scoringStrategy ?? {}) as Record<string, unknown>;
  const type = ss.type ?? 'LeastAllocated';
  if (!strategies.includes(type as ScoringStrategyType)) {
    throw new Error(`scoringStrategy.type: Unsupported value: ${JSON.stringify(type)}: supported values: ${strategies.map((s) => JSON.stringify(s)).join(', ')}`);
  }
  const out: NodeResourcesFitArgs = {
    ignoredResources: stringList(a.ignoredResources, 'ignoredResources'),
    ignoredResourceGroups: stringList(a.ignoredResourceGroups, 'ignoredResourceGroups'),
    scoringStrategy: { type: type as ScoringStrategyType, resources: parseResources(ss.resources, 'scoringStrategy.resources') },
  };
  for (const g of out.ignoredResourceGroups) {
    if (g.includes('/')) throw new Error(`ignoredResourceGroups: Invalid value: ${JSON.stringify(g)}: resource group name can't contain '/'`);
  }
  if (type === 'RequestedToCapacityRatio') {
    const rtcr = (ss.requestedToCapacityRatio ?? {}) as Record<string, unknown>;
    out.scoringStrategy.requestedToCapacityRatio = { shape: parseShape(rtcr.shape, 'scoringStrategy.requestedToCapacityRatio.shape') };
  }
  return out;
}

export const newNodeResourcesFit: PluginFactory = (args) => new NodeResourcesFit(parseNodeResourcesFitArgs(args));
