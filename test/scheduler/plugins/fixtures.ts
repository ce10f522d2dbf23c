// Fluent fixtures for scheduler plugin tests (in the style of upstream's st.MakePod()/MakeNode())
// and a tiny framework that runs plugins in profile order over a snapshot, as the real one does.

import type { Node, Pod, PodAffinityTerm, Taint, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import {
  Code,
  CycleState,
  isSuccess,
  status,
  success,
  type FilterPlugin,
  type Handle,
  type NodeInfo,
  type NodeScore,
  type NodeToStatus,
  type Plugin,
  type PodInfo,
  type PreFilterPlugin,
  type PreScorePlugin,
  type Resources,
  type ScorePlugin,
  type Snapshot,
  type Status,
} from '../../../src/scheduler/framework/types.js';
import { emptyResources, podInfoFrom } from '../../../src/scheduler/plugins/podinfo-terms.js';

export class PodBuilder {
  private readonly p: Pod;
  constructor(name: string) {
    this.p = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: {} }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: {} };
  }
  namespace(ns: string): this {
    this.p.metadata!.namespace = ns;
    return this;
  }
  labels(l: Record<string, string>): this {
    this.p.metadata!.labels = { ...this.p.metadata!.labels, ...l };
    return this;
  }
  priority(n: number): this {
    this.p.spec!.priority = n;
    return this;
  }
  preemptionPolicy(p: 'Never' | 'PreemptLowerPriority'): this {
    this.p.spec!.preemptionPolicy = p;
    return this;
  }
  req(r: Record<string, string>): this {
    this.p.spec!.containers[0]!.resources = { requests: r };
    return this;
  }
  node(n: string): this {
    this.p.spec!.nodeName = n;
    return this;
  }
  nodeSelector(s: Record<string, string>): this {
    this.p.spec!.nodeSelector = s;
    return this;
  }
  startTime(t: string): this {
    this.p.status!.startTime = t;
    return this;
  }
  nominated(n: string): this {
    this.p.status!.nominatedNodeName = n;
    return this;
  }
  terminating(): this {
    this.p.metadata = { ...this.p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' };
    return this;
  }
  spread(c: Partial<TopologySpreadConstraint> & { topologyKey: string; matchLabels?: Record<string, string> }): this {
    const { matchLabels, ...rest } = c;
    const tsc: TopologySpreadConstraint = { maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', labelSelector: matchLabels ? { matchLabels } : undefined, ...rest };
    this.p.spec!.topologySpreadConstraints = [...(this.p.spec!.topologySpreadConstraints ?? []), tsc];
    return this;
  }
  /** kind: which list to add the term to. */
  podAffinity(kind: 'affinity' | 'anti', term: { matchLabels?: Record<string, string>; topologyKey: string; namespaces?: string[]; namespaceSelector?: LabelSelector }, weight?: number): this {
    const t: PodAffinityTerm = { labelSelector: term.matchLabels ? { matchLabels: term.matchLabels } : undefined, topologyKey: term.topologyKey, namespaces: term.namespaces, namespaceSelector: term.namespaceSelector };
    const aff = (this.p.spec!.affinity ??= {});
    const block = kind === 'affinity' ? (aff.podAffinity ??= {}) : (aff.podAntiAffinity ??= {});
    if (weight === undefined) block.requiredDuringSchedulingIgnoredDuringExecution = [...(block.requiredDuringSchedulingIgnoredDuringExecution ?? []), t];
    else block.preferredDuringSchedulingIgnoredDuringExecution = [...(block.preferredDuringSchedulingIgnoredDuringExecution ?? []), { weight, podAffinityTerm: t }];
    return this;
  }
  obj(): Pod {
    return structuredClone(this.p);
  }
}

export const makePod = (name: string) => new PodBuilder(name);

export class NodeBuilder {
  private readonly n: Node;
  constructor(name: string) {
    this.n = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } };
  }
  labels(l: Record<string, string>): this {
    this.n.metadata!.labels = { ...this.n.metadata!.labels, ...l };
    return this;
  }
  zone(z: string): this {
    return this.labels({ 'topology.kubernetes.io/zone': z });
  }
  withoutLabel(k: string): this {
    delete this.n.metadata!.labels![k];
    return this;
  }
  allocatable(a: Record<string, string>): this {
    this.n.status!.allocatable = { ...this.n.status!.allocatable, ...a };
    return this;
  }
  taint(t: Taint): this {
    this.n.spec!.taints = [...(this.n.spec!.taints ?? []), t];
    return this;
  }
  obj(): Node {
    return structuredClone(this.n);
  }
}

export const makeNode = (name: string) => new NodeBuilder(name);

function allocatableOf(node: Node): Resources {
  const r = emptyResources();
  const a = node.status?.allocatable ?? {};
  const info = podInfoFrom({ spec: { containers: [{ name: 'x', resources: { requests: { cpu: a.cpu ?? '0', memory: a.memory ?? '0' } } }] } });
  r.milliCPU = info.requests.milliCPU;
  r.memory = info.requests.memory;
  r.pods = Number(a.pods ?? 110);
  return r;
}

/** A NodeInfo as the scheduler cache builds it: sums over the pods' precomputed requests. */
export function nodeInfo(node: Node, pods: Pod[] = []): NodeInfo {
  const infos = pods.map((p) => podInfoFrom({ ...p, spec: { ...p.spec!, nodeName: node.metadata!.name } }));
  const requested = emptyResources();
  const nonZero = { milliCPU: 0, memory: 0 };
  for (const pi of infos) {
    requested.milliCPU += pi.requests.milliCPU;
    requested.memory += pi.requests.memory;
    nonZero.milliCPU += pi.nonZeroRequests.milliCPU;
    nonZero.memory += pi.nonZeroRequests.memory;
  }
  return {
    node,
    name: node.metadata!.name!,
    pods: infos,
    podsWithAffinity: infos.filter((p) => p.pod.spec?.affinity?.podAffinity || p.pod.spec?.affinity?.podAntiAffinity),
    podsWithRequiredAntiAffinity: infos.filter((p) => p.requiredAntiAffinityTerms.length > 0),
    allocatable: allocatableOf(node),
    requested,
    nonZeroRequested: nonZero,
    usedPorts: new Set(),
    images: new Map(),
    generation: 1,
  };
}

export function snapshotOf(nodes: NodeInfo[]): Snapshot {
  return {
    nodes: () => nodes,
    get: (name) => nodes.find((n) => n.name === name),
    havePodsWithAffinity: () => nodes.filter((n) => n.podsWithAffinity.length > 0),
    havePodsWithRequiredAntiAffinity: () => nodes.filter((n) => n.podsWithRequiredAntiAffinity.length > 0),
  };
}

/** NodeResourcesFit's core check (cpu, memory, pod count) with upstream's reasons. */
export const fitFilter: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(_state, pi, ni) {
    const reasons: string[] = [];
    if (ni.pods.length + 1 > ni.allocatable.pods) reasons.push('Too many pods');
    if (ni.requested.milliCPU + pi.requests.milliCPU > ni.allocatable.milliCPU) reasons.push('Insufficient cpu');
    if (ni.requested.memory + pi.requests.memory > ni.allocatable.memory) reasons.push('Insufficient memory');
    return reasons.length ? status(Code.Unschedulable, ...reasons) : success;
  },
};

export interface FakeWorld {
  nodes: NodeInfo[];
  namespaces?: Record<string, Record<string, string>>;
  nominated?: Record<string, Pod[]>;
  pdbs?: PodDisruptionBudget[];
  services?: import('kubernetes-types/core/v1.js').Service[];
  owner?: LabelSelector;
}

/** A handle over a fixed world, recording deletes, events and nominations; plugins are set later. */
export function fakeHandle(world: FakeWorld) {
  const plugins: Plugin[] = [];
  const deleted: { name: string; reason: string }[] = [];
  const events: { name: string; reason: string; message: string }[] = [];
  const nominations: { name: string; node: string }[] = [];
  const snap = snapshotOf(world.nodes);
  const filters = () => plugins.filter((p): p is FilterPlugin => 'filter' in p);
  const prefilters = () => plugins.filter((p): p is PreFilterPlugin => 'preFilter' in p);
  const handle: Handle = {
    snapshot: () => snap,
    namespaceLabels: (ns) => world.namespaces?.[ns] ?? (ns ? { 'kubernetes.io/metadata.name': ns } : undefined),
    priorityClassValue: () => undefined,
    nominatedPodsFor: (node) => (world.nominated?.[node] ?? []).map(podInfoFrom),
    runFilterPlugins(state, pod, node) {
      for (const f of filters()) {
        if (state.skipFilter.has(f.name)) continue;
        const s = f.filter(state, pod, node);
        if (!isSuccess(s)) return { ...s, plugin: f.name };
      }
      return success;
    },
    runPreFilterAddPod: (state, pod, add, node) => runExt(prefilters(), state, (p) => p.addPod?.(state, pod, add, node)),
    runPreFilterRemovePod: (state, pod, rm, node) => runExt(prefilters(), state, (p) => p.removePod?.(state, pod, rm, node)),
    async deletePod(pod, reason) {
      deleted.push({ name: pod.metadata!.name!, reason });
    },
    event(obj, _type, reason, message) {
      events.push({ name: obj.metadata?.name ?? '', reason, message });
    },
    async nominate(pod, node) {
      nominations.push({ name: pod.metadata!.name!, node });
    },
    servicesOf: () => world.services ?? [],
    ownerSelector: () => world.owner,
    podDisruptionBudgets: () => world.pdbs ?? [],
  };
  return { handle, plugins, deleted, events, nominations };
}

function runExt(pls: PreFilterPlugin[], state: CycleState, f: (p: PreFilterPlugin) => Status | undefined): Status {
  for (const p of pls) {
    if (state.skipFilter.has(p.name)) continue;
    const s = f(p);
    if (s && !isSuccess(s)) return s;
  }
  return success;
}

/** preFilter + filter over every node, as one scheduling cycle: the state and the failures. */
export function runFilters(plugins: Plugin[], pi: PodInfo, nodes: NodeInfo[]): { state: CycleState; failed: NodeToStatus; feasible: string[] } {
  const state = new CycleState();
  for (const p of plugins) {
    if (!('preFilter' in p)) continue;
    const r = (p as PreFilterPlugin).preFilter(state, pi, nodes);
    if (r.status.code === Code.Skip) state.skipFilter.add(p.name);
    else if (!isSuccess(r.status)) throw new Error(`preFilter ${p.name}: ${r.status.reasons.join(', ')}`);
  }
  const failed: NodeToStatus = new Map();
  const feasible: string[] = [];
  for (const ni of nodes) {
    let st: Status = success;
    for (const p of plugins) {
      if (!('filter' in p) || state.skipFilter.has(p.name)) continue;
      st = (p as FilterPlugin).filter(state, pi, ni);
      if (!isSuccess(st)) break;
    }
    if (isSuccess(st)) feasible.push(ni.name);
    else failed.set(ni.name, st);
  }
  return { state, failed, feasible };
}

/** preScore + score + normalizeScore of one plugin; undefined when it skipped. */
export function runScore(p: PreScorePlugin & ScorePlugin, pi: PodInfo, nodes: NodeInfo[], state = new CycleState()): Record<string, number> | undefined {
  const pre = p.preScore(state, pi, nodes);
  if (pre.code === Code.Skip) return undefined;
  if (!isSuccess(pre)) throw new Error(`preScore: ${pre.reasons.join(', ')}`);
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: p.score(state, pi, n).score }));
  p.normalizeScore?.(state, pi, scores);
  return Object.fromEntries(scores.map((s) => [s.name, s.score]));
}
