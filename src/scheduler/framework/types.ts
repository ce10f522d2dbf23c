// The scheduling framework's contract: extension points, statuses, per-cycle state and the node
// view plugins read. Semantics follow upstream's scheduler framework (KEP 624): a plugin
// implements only the extension points it needs; the framework runs them in profile order.
//
// One scheduling cycle for a pod:
//   preFilter (all) → filter (per node, all must pass) → [postFilter if no node fits]
//   → preScore → score (per node, per plugin) → normalizeScore → weighted sum → pick the best
//   → reserve → permit → (binding cycle, async) preBind → bind → postBind
// A failed reserve/permit/bind runs every reserve plugin's `unreserve` and forgets the assumed pod.

import type { Pod, Node, Service } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';

export type { Pod, Node };

/** Upstream's framework status codes. */
export enum Code {
  Success = 'Success',
  /** An internal error: the pod is retried with backoff. */
  Error = 'Error',
  /** The node does not fit now; preemption may help. */
  Unschedulable = 'Unschedulable',
  /** The node does not fit and preemption cannot change that (e.g. node affinity, taints). */
  UnschedulableAndUnresolvable = 'UnschedulableAndUnresolvable',
  /** Permit: hold the pod (not used by the built-in plugins). */
  Wait = 'Wait',
  /** PreFilter/PreScore: the plugin has nothing to do for this pod; its Filter/Score is skipped. */
  Skip = 'Skip',
}

export interface Status {
  code: Code;
  /** Reasons as upstream words them, e.g. `Insufficient cpu`, `node(s) didn't match Pod's node affinity/selector`. */
  reasons: string[];
  /** The plugin that returned a failure (set by the framework). */
  plugin?: string;
}

export const success: Status = { code: Code.Success, reasons: [] };

export function status(code: Code, ...reasons: string[]): Status {
  return { code, reasons };
}

export function isSuccess(s: Status | undefined): boolean {
  return !s || s.code === Code.Success;
}

/** Resources in the scheduler's units: milliCPU, bytes, counts. Extended resources by name. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Pods count (only meaningful for allocatable). */
  pods: number;
  scalar: Map<string, number>;
}

/** A pod as the scheduler holds it: the object plus what plugins need precomputed. */
export interface PodInfo {
  pod: Pod;
  /** `namespace/name` */
  key: string;
  /** Effective requests (max of init containers vs sum of containers, plus overhead). */
  requests: Resources;
  /** Requests with upstream's non-zero defaults for scoring (100m CPU, 200 MiB memory when unset). */
  nonZeroRequests: { milliCPU: number; memory: number };
  /** Required (anti-)affinity terms of the pod, parsed once; empty when none. */
  requiredAffinityTerms: AffinityTerm[];
  requiredAntiAffinityTerms: AffinityTerm[];
  preferredAffinityTerms: WeightedAffinityTerm[];
  preferredAntiAffinityTerms: WeightedAffinityTerm[];
}

export interface AffinityTerm {
  namespaces: Set<string>;
  /** Matches pod labels; `null` namespaceSelector means only `namespaces`. */
  selector: (labels: Record<string, string>) => boolean;
  namespaceSelector: ((labels: Record<string, string>) => boolean) | null;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

/** The scheduler's view of one node: the node, the pods on it (incl. assumed ones) and sums. */
export interface NodeInfo {
  node: Node;
  name: string;
  pods: PodInfo[];
  /** Pods with required or preferred affinity terms (InterPodAffinity reads only these). */
  podsWithAffinity: PodInfo[];
  podsWithRequiredAntiAffinity: PodInfo[];
  allocatable: Resources;
  requested: Resources;
  nonZeroRequested: { milliCPU: number; memory: number };
  /** hostPort usage: `ip/protocol/port` (ip `0.0.0.0` when unset). */
  usedPorts: Set<string>;
  /** Image name → size in bytes, from node.status.images. */
  images: Map<string, number>;
  /** Bumped on every change (snapshots copy only changed nodes). */
  generation: number;
}

/** Per-cycle scratch space shared by one plugin's extension points (keys are plugin names). */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Set by the framework: skip this plugin's filter/score (it returned Skip in pre*). */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v);
    for (const k of this.skipFilter) c.skipFilter.add(k);
    for (const k of this.skipScore) c.skipScore.add(k);
    return c;
  }
}

/** The cluster as one scheduling cycle sees it: a consistent snapshot of every node. */
export interface Snapshot {
  nodes(): NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Nodes holding at least one pod with (anti-)affinity terms; InterPodAffinity uses these. */
  havePodsWithAffinity(): NodeInfo[];
  havePodsWithRequiredAntiAffinity(): NodeInfo[];
  /** How many nodes hold an image (by any of its names); ImageLocality spreads scores by it. */
  imageNumNodes?(image: string): number;
}

/** What plugins get from the framework. */
export interface Handle {
  snapshot(): Snapshot;
  /** Namespace labels by name (for namespaceSelector in affinity terms). */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  /** PriorityClass value by name, undefined if unknown. */
  priorityClassValue(name: string): number | undefined;
  /** Pods nominated to a node by preemption, not yet bound (filters must count them). */
  nominatedPodsFor(nodeName: string): PodInfo[];
  /** Runs every filter plugin for `pod` on `node` (preemption's what-if checks). */
  runFilterPlugins(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
  /** Runs preFilter extensions' addPod/removePod (preemption's what-if checks). */
  runPreFilterAddPod(state: CycleState, pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Status;
  runPreFilterRemovePod(state: CycleState, pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Status;
  /** Deletes a pod through the API (preemption evicts victims this way). */
  deletePod(pod: Pod, reason: string): Promise<void>;
  /** Records an event on an object (scheduler events: Scheduled, FailedScheduling, Preempted). */
  event(obj: { kind?: string; apiVersion?: string; metadata?: Pod['metadata'] }, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Sets status.nominatedNodeName (preemption). */
  nominate(pod: Pod, nodeName: string): Promise<void>;
  /** POSTs the pod's `pods/binding` to the node (DefaultBinder); rejects with the API's error. */
  bindPod?(pod: Pod, nodeName: string): Promise<void>;
  /**
   * Services in the pod's namespace (callers keep those whose selector matches the pod). Optional:
   * PodTopologySpread's system default constraints use it (upstream helper.DefaultSelector).
   */
  servicesOf?(pod: Pod): Service[];
  /**
   * The selector of the pod's controlling ReplicationController (its map as matchLabels),
   * ReplicaSet or StatefulSet, when that owner exists. Optional, as servicesOf.
   */
  ownerSelector?(pod: Pod): LabelSelector | undefined;
  /** Every PodDisruptionBudget (DefaultPreemption prefers victims whose eviction violates none). Optional: without it no PDB counts as violated. */
  podDisruptionBudgets?(): PodDisruptionBudget[];
}

export interface PreFilterResult {
  /** Only these nodes can fit (e.g. NodeName, NodeAffinity on metadata.name); undefined = all. */
  nodeNames?: Set<string>;
}

export interface PostFilterResult {
  nominatedNodeName?: string;
}

/** Per-node filter failures of one cycle, for the FailedScheduling message and PostFilter. */
export type NodeToStatus = Map<string, Status>;

export interface Plugin {
  readonly name: string;
}

/** Runs before a pod enters the active queue; a non-Success keeps it out (e.g. SchedulingGates). */
export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: PodInfo): Status;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status };
  /** Incremental updates of this plugin's pre-filter state when a pod is added to/removed from a node (preemption). */
  addPod?(state: CycleState, pod: PodInfo, toAdd: PodInfo, node: NodeInfo): Status;
  removePod?(state: CycleState, pod: PodInfo, toRemove: PodInfo, node: NodeInfo): Status;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, filtered: NodeToStatus): Promise<{ result?: PostFilterResult; status: Status }>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Status;
}

export interface ScorePlugin extends Plugin {
  /** 0..maxNodeScore after normalization. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status };
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): Status;
}

export interface NodeScore {
  name: string;
  score: number;
}

export const maxNodeScore = 100;

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: PodInfo, nodeName: string): { status: Status; timeoutMs?: number };
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface BindPlugin extends Plugin {
  /** Skip = let the next bind plugin do it. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

/** Cluster events that can make an unschedulable pod schedulable (queueing hints). */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'PodAdd'
  | 'PodUpdate'
  | 'PodDelete'
  | 'NamespaceUpdate'
  | 'PvcAdd';

export interface EnqueueExtensions {
  /** Events after which a pod this plugin rejected may fit; the queue moves such pods back. */
  eventsToRegister(): ClusterEvent[];
}

/** A pod in the scheduling queue. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it was (re)added to the active queue; ties in PrioritySort break on this. */
  timestamp: number;
  attempts: number;
  initialAttemptTimestamp?: number;
  /** Plugins that rejected it in its last attempt (queueing hints use these). */
  unschedulablePlugins: Set<string>;
}

/** Builds a plugin from its args (KubeSchedulerConfiguration pluginConfig) and the handle. */
export type PluginFactory = (args: Record<string, unknown> | undefined, handle: Handle) => Plugin;
