// Fluent fixture builders for scheduler tests (as upstream's st.MakePod() / st.MakeNode()), a
// fake clock, and helpers that run one plugin the way the framework does.

import type { Container, Node, NodeSelectorRequirement, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { Code, CycleState, type FilterPlugin, type Handle, type NodeInfo, type NodeScore, type Plugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Status } from '../../src/scheduler/framework/types.js';
import { podInfoFrom } from '../../src/scheduler/plugins/podinfo-terms.js';
import { snapshotOf, type ClusterSnapshot } from '../../src/scheduler/snapshot.js';

type ResourceList = Record<string, string>;

export class NodeBuilder {
  private readonly n: Node;
  constructor(name: string) {
    this.n = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: { capacity: {}, allocatable: { pods: '110' } } };
  }
  /** Sets capacity and allocatable (pods default 110). */
  capacity(r: ResourceList): this {
    this.n.status!.capacity = { pods: '110', ...r };
    this.n.status!.allocatable = { pods: '110', ...r };
    return this;
  }
  labels(l: Record<string, string>): this {
    this.n.metadata!.labels = { ...this.n.metadata!.labels, ...l };
    return this;
  }
  taint(key: string, value: string, effect: string): this {
    const t: Taint = { key, effect, ...(value ? { value } : {}) };
    this.n.spec!.taints = [...(this.n.spec!.taints ?? []), t];
    return this;
  }
  unschedulable(): this {
    this.n.spec!.unschedulable = true;
    return this;
  }
  image(names: string[], sizeBytes: number): this {
    this.n.status!.images = [...(this.n.status!.images ?? []), { names, sizeBytes }];
    return this;
  }
  obj(): Node {
    return structuredClone(this.n);
  }
}

export function makeNode(name: string): NodeBuilder {
  return new NodeBuilder(name);
}

let uid = 0;

export class PodBuilder {
  private readonly p: Pod;
  constructor(name: string, namespace: string) {
    this.p = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: `uid-${name}-${++uid}`, labels: {} }, spec: { containers: [] }, status: {} };
  }
  /** Adds a container with these requests. */
  req(requests: ResourceList = {}, image = 'busybox'): this {
    const c: Container = { name: `c${this.p.spec!.containers.length}`, image, resources: { requests } };
    this.p.spec!.containers.push(c);
    return this;
  }
  initReq(requests: ResourceList, restartable = false): this {
    const c: Container = { name: `i${this.p.spec!.initContainers?.length ?? 0}`, image: 'busybox', resources: { requests }, ...(restartable ? { restartPolicy: 'Always' } : {}) };
    this.p.spec!.initContainers = [...(this.p.spec!.initContainers ?? []), c];
    return this;
  }
  overhead(r: ResourceList): this {
    this.p.spec!.overhead = r;
    return this;
  }
  hostPort(port: number, protocol = 'TCP', hostIP = ''): this {
    if (this.p.spec!.containers.length === 0) this.req();
    const c = this.p.spec!.containers[0]!;
    c.ports = [...(c.ports ?? []), { containerPort: port, hostPort: port, protocol, ...(hostIP ? { hostIP } : {}) }];
    return this;
  }
  labels(l: Record<string, string>): this {
    this.p.metadata!.labels = { ...this.p.metadata!.labels, ...l };
    return this;
  }
  node(name: string): this {
    this.p.spec!.nodeName = name;
    return this;
  }
  nodeSelector(s: Record<string, string>): this {
    this.p.spec!.nodeSelector = s;
    return this;
  }
  toleration(t: Toleration): this {
    this.p.spec!.tolerations = [...(this.p.spec!.tolerations ?? []), t];
    return this;
  }
  priority(n: number): this {
    this.p.spec!.priority = n;
    return this;
  }
  schedulerName(n: string): this {
    this.p.spec!.schedulerName = n;
    return this;
  }
  /** Adds a required nodeSelectorTerm. */
  requiredTerm(matchExpressions: NodeSelectorRequirement[] = [], matchFields: NodeSelectorRequirement[] = []): this {
    const aff = (this.p.spec!.affinity ??= {});
    const na = (aff.nodeAffinity ??= {});
    const req = (na.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] });
    req.nodeSelectorTerms.push({ ...(matchExpressions.length ? { matchExpressions } : {}), ...(matchFields.length ? { matchFields } : {}) });
    return this;
  }
  preferredTerm(weight: number, matchExpressions: NodeSelectorRequirement[]): this {
    const aff = (this.p.spec!.affinity ??= {});
    const na = (aff.nodeAffinity ??= {});
    na.preferredDuringSchedulingIgnoredDuringExecution = [...(na.preferredDuringSchedulingIgnoredDuringExecution ?? []), { weight, preference: { matchExpressions } }];
    return this;
  }
  gate(name: string): this {
    this.p.spec!.schedulingGates = [...(this.p.spec!.schedulingGates ?? []), { name }];
    return this;
  }
  phase(p: string): this {
    this.p.status!.phase = p;
    return this;
  }
  obj(): Pod {
    if (this.p.spec!.containers.length === 0) this.req();
    return structuredClone(this.p);
  }
}

export function makePod(name: string, namespace = 'default'): PodBuilder {
  return new PodBuilder(name, namespace);
}

/** A Handle over a snapshot (what plugin unit tests need). */
export function handleOf(snap: ClusterSnapshot): Handle {
  return {
    snapshot: () => snap,
    namespaceLabels: () => undefined,
    priorityClassValue: () => undefined,
    nominatedPodsFor: () => [],
    runFilterPlugins: () => ({ code: Code.Success, reasons: [] }),
    runPreFilterAddPod: () => ({ code: Code.Success, reasons: [] }),
    runPreFilterRemovePod: () => ({ code: Code.Success, reasons: [] }),
    deletePod: async () => undefined,
    event: () => undefined,
    nominate: async () => undefined,
  };
}

/** Runs PreFilter (if the plugin has one) then Filter on every node: node name → status. */
export function filterAll(plugin: Plugin, pod: Pod, nodes: Node[], pods: Pod[] = []): Map<string, Status> {
  const snap = snapshotOf(nodes, pods);
  const state = new CycleState();
  const pi = podInfoFrom(pod);
  const out = new Map<string, Status>();
  const pf = plugin as Partial<PreFilterPlugin>;
  if (pf.preFilter) {
    const r = pf.preFilter(state, pi, snap.nodes());
    if (r.status.code === Code.Skip) {
      for (const n of snap.nodes()) out.set(n.name, { code: Code.Success, reasons: [] });
      return out;
    }
    if (r.status.code !== Code.Success) {
      for (const n of snap.nodes()) out.set(n.name, r.status);
      return out;
    }
    for (const n of snap.nodes()) {
      if (r.result?.nodeNames && !r.result.nodeNames.has(n.name)) out.set(n.name, { code: Code.UnschedulableAndUnresolvable, reasons: ['excluded by PreFilter'] });
    }
  }
  for (const n of snap.nodes()) if (!out.has(n.name)) out.set(n.name, (plugin as FilterPlugin).filter(state, pi, n));
  return out;
}

/** Names of the nodes that pass. */
export function passing(plugin: Plugin, pod: Pod, nodes: Node[], pods: Pod[] = []): string[] {
  return [...filterAll(plugin, pod, nodes, pods)].filter(([, s]) => s.code === Code.Success).map(([n]) => n);
}

/** PreScore (Skip → undefined), Score on every node, NormalizeScore: node name → score. */
export function scoreAll(plugin: Plugin, pod: Pod, nodes: Node[], pods: Pod[] = [], snap = snapshotOf(nodes, pods)): Map<string, number> | undefined {
  const state = new CycleState();
  const pi = podInfoFrom(pod);
  const ps = plugin as Partial<PreScorePlugin>;
  const infos: NodeInfo[] = snap.nodes();
  if (ps.preScore) {
    const s = ps.preScore(state, pi, infos);
    if (s.code === Code.Skip) return undefined;
  }
  const sp = plugin as ScorePlugin;
  const scores: NodeScore[] = infos.map((n) => ({ name: n.name, score: sp.score(state, pi, n).score }));
  sp.normalizeScore?.(state, pi, scores);
  return new Map(scores.map((s) => [s.name, s.score]));
}
