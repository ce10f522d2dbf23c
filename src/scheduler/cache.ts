// The scheduler's cache: a NodeInfo per node built from the node and pod informers, plus the pods
// the scheduler has assumed onto nodes before the API confirms the binding (upstream's
// backend/cache).
//
// Pod life cycle in the cache:
//   assumePod ──► (binding POSTed) finishBinding ──► informer shows it bound: addPod confirms
//       │                                │
//       └─ forgetPod (reserve/permit/bind failed)   └─ never confirmed: expires ttl after finishBinding
// An assumed pod counts on its node at once, so the next cycle sees its resources taken. A pod
// whose binding has not finished never expires. Upstream now never expires assumed pods (TTL 0,
// kubernetes#106361: a slow informer could free resources twice); skiff keeps a long TTL (15 min
// by default, `0` disables) so that a lost watch event cannot hold resources forever.
//
// Bound pods count on their node; terminal pods (Succeeded/Failed) are removed, as the scheduler
// sees them as deleted. Pods may arrive before their node: such a NodeInfo waits, invisible to
// snapshots, until the node appears.
//
// snapshot(): refreshes one ClusterSnapshot in place. NodeInfos are kept in a list ordered by most
// recent change; the refresh walks it only while generations are newer than the snapshot's, so a
// cycle costs O(changed nodes), not O(nodes) — the node list is rebuilt only when nodes come or go.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isPodTerminal } from '../api/pods.js';
import type { Clock } from '../client/workqueue.js';
import { realClock } from '../client/workqueue.js';
import type { NodeInfo, PodInfo } from './framework/types.js';
import { addPod, cloneNodeInfo, newNodeInfo, removePod, setNode } from './framework/nodeinfo.js';
import { podInfoFrom, podKey } from './plugins/podinfo-terms.js';
import { ClusterSnapshot } from './snapshot.js';

interface NodeItem {
  info: NodeInfo;
  /** False while only pods name the node (not yet added, or already deleted). */
  hasNode: boolean;
  prev: NodeItem | undefined;
  next: NodeItem | undefined;
}

interface PodState {
  info: PodInfo;
  node: string;
  assumed: boolean;
  bindingFinished: boolean;
  /** When an assumed pod expires (set by finishBinding). */
  deadline: number | undefined;
}

export interface CacheOptions {
  clock?: Clock;
  /** How long after finishBinding an unconfirmed assumed pod is dropped; default 15 min; 0 = never. */
  assumedPodTtlMs?: number;
  /** How often expired assumed pods are looked for; default 1 s. */
  cleanupPeriodMs?: number;
  /** Told when an assumed pod expires (its resources are freed). */
  onExpired?(pod: Pod): void;
}

/** True when a node change can change a scheduling decision (labels, taints, capacity, images). */
export function nodeSchedulingPropertiesChanged(a: Node, b: Node): boolean {
  const view = (n: Node) =>
    JSON.stringify([n.metadata?.labels ?? {}, n.spec?.taints ?? [], n.spec?.unschedulable ?? false, n.status?.allocatable ?? {}, n.status?.images ?? []]);
  return view(a) !== view(b);
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeItem>();
  private head: NodeItem | undefined;
  private readonly pods = new Map<string, PodState>();
  private readonly assumed = new Set<string>();
  /** Nodes with a Node object. */
  private nodeCount = 0;
  /** Image name → number of nodes holding it. */
  private readonly imageNodes = new Map<string, number>();
  private imagesChanged = false;
  private readonly snap = new ClusterSnapshot();
  private readonly clock: Clock;
  private readonly ttlMs: number;

  constructor(private readonly opts: CacheOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.ttlMs = opts.assumedPodTtlMs ?? 15 * 60_000;
  }

  /** Looks for expired assumed pods every cleanupPeriodMs until `signal` aborts. */
  start(signal: AbortSignal): void {
    const period = this.opts.cleanupPeriodMs ?? 1000;
    let handle: unknown;
    const tick = () => {
      if (signal.aborted) return;
      this.cleanupExpiredAssumedPods();
      handle = this.clock.setTimeout(tick, period);
    };
    handle = this.clock.setTimeout(tick, period);
    signal.addEventListener('abort', () => this.clock.clearTimeout(handle), { once: true });
  }

  // ---------------------------------------------------------------- assumed pods

  /** Counts `pod` (spec.nodeName already set to `nodeName`) on the node before the binding. */
  assumePod(pod: PodInfo, nodeName: string): void {
    if (this.pods.has(pod.key)) throw new Error(`pod ${pod.key} is in the cache, so can't be assumed`);
    this.place(pod, nodeName);
    this.pods.set(pod.key, { info: pod, node: nodeName, assumed: true, bindingFinished: false, deadline: undefined });
    this.assumed.add(pod.key);
  }

  /** The binding was sent: from now the assumed pod may expire if never confirmed. */
  finishBinding(key: string): void {
    const st = this.pods.get(key);
    if (!st || !st.assumed) return;
    st.bindingFinished = true;
    st.deadline = this.ttlMs > 0 ? this.clock.now() + this.ttlMs : undefined;
  }

  /** Drops an assumed pod (its scheduling failed); a confirmed pod is left alone. */
  forgetPod(key: string): void {
    const st = this.pods.get(key);
    if (!st || !st.assumed) return;
    this.unplace(key, st.node);
    this.pods.delete(key);
    this.assumed.delete(key);
  }

  isAssumed(key: string): boolean {
    return this.assumed.has(key);
  }

  /** The node a pod counts on (assumed or bound), if any. */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.node;
  }

  cleanupExpiredAssumedPods(now = this.clock.now()): void {
    for (const key of this.assumed) {
      const st = this.pods.get(key);
      if (!st || !st.bindingFinished || st.deadline === undefined || st.deadline > now) continue;
      this.unplace(key, st.node);
      this.pods.delete(key);
      this.assumed.delete(key);
      this.opts.onExpired?.(st.info.pod);
    }
  }

  // ---------------------------------------------------------------- informer events

  /** A bound pod seen by the informer: confirms an assumed one, or adds it. Terminal pods are removed. */
  addPod(pod: Pod): void {
    const key = podKey(pod);
    if (isPodTerminal(pod)) return this.removePod(pod);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const st = this.pods.get(key);
    if (st) {
      this.unplace(key, st.node);
      this.assumed.delete(key);
    }
    const info = podInfoFrom(pod);
    this.place(info, nodeName);
    this.pods.set(key, { info, node: nodeName, assumed: false, bindingFinished: false, deadline: undefined });
  }

  updatePod(_old: Pod, pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = podKey(pod);
    const st = this.pods.get(key);
    if (!st) return;
    this.unplace(key, st.node);
    this.pods.delete(key);
    this.assumed.delete(key);
  }

  addNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    let item = this.nodes.get(name);
    if (!item) {
      item = { info: newNodeInfo(name, node), hasNode: true, prev: undefined, next: undefined };
      this.nodes.set(name, item);
      this.nodeCount++;
      this.countImages(item.info, 1);
      this.toHead(item);
      return;
    }
    if (item.hasNode && !nodeSchedulingPropertiesChanged(item.info.node, node)) {
      // Heartbeats and status noise: keep the object fresh without making every snapshot copy it.
      item.info.node = node;
      return;
    }
    if (item.hasNode) this.countImages(item.info, -1);
    else this.nodeCount++;
    item.hasNode = true;
    setNode(item.info, node);
    this.countImages(item.info, 1);
    this.toHead(item);
  }

  updateNode(_old: Node, node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const item = this.nodes.get(name);
    if (!item || !item.hasNode) return;
    this.countImages(item.info, -1);
    item.hasNode = false;
    this.nodeCount--;
    // Its pods stay until their deletions arrive; snapshots drop the node (see snapshot()).
    if (item.info.pods.length === 0) this.dropItem(item);
  }

  // ---------------------------------------------------------------- views

  /** Refreshes and returns the cycle snapshot (see the file comment; valid until the next call). */
  snapshot(): ClusterSnapshot {
    const s = this.snap;
    let rebuildAll = false;
    let rebuildAffinity = false;
    for (let it = this.head; it && it.info.generation > s.generation; it = it.next) {
      if (!it.hasNode) continue;
      const clone = cloneNodeInfo(it.info);
      const existing = s.byName.get(it.info.name);
      if (!existing) {
        s.byName.set(it.info.name, clone);
        rebuildAll = true;
        continue;
      }
      if (existing.podsWithAffinity.length > 0 !== clone.podsWithAffinity.length > 0 || existing.podsWithRequiredAntiAffinity.length > 0 !== clone.podsWithRequiredAntiAffinity.length > 0) {
        rebuildAffinity = true;
      }
      Object.assign(existing, clone);
    }
    if (this.head) s.generation = Math.max(s.generation, this.head.info.generation);
    if (s.byName.size > this.nodeCount) {
      for (const name of [...s.byName.keys()]) if (!this.nodes.get(name)?.hasNode) s.byName.delete(name);
      rebuildAll = true;
    }
    if (this.imagesChanged) {
      s.imageCounts = new Map(this.imageNodes);
      this.imagesChanged = false;
    }
    if (rebuildAll) s.rebuildList(this.nodes.keys());
    else if (rebuildAffinity) s.rebuildAffinityLists();
    return s;
  }

  /** The live NodeInfo (tests and debugging; do not mutate). */
  nodeInfo(name: string): NodeInfo | undefined {
    const item = this.nodes.get(name);
    return item?.hasNode ? item.info : undefined;
  }

  stats(): { nodes: number; pods: number; assumedPods: number } {
    return { nodes: this.nodeCount, pods: this.pods.size, assumedPods: this.assumed.size };
  }

  // ---------------------------------------------------------------- internals

  private place(pod: PodInfo, nodeName: string): void {
    let item = this.nodes.get(nodeName);
    if (!item) {
      item = { info: newNodeInfo(nodeName), hasNode: false, prev: undefined, next: undefined };
      this.nodes.set(nodeName, item);
    }
    addPod(item.info, pod);
    this.toHead(item);
  }

  private unplace(key: string, nodeName: string): void {
    const item = this.nodes.get(nodeName);
    if (!item) return;
    removePod(item.info, key);
    if (!item.hasNode && item.info.pods.length === 0) this.dropItem(item);
    else this.toHead(item);
  }

  private countImages(info: NodeInfo, delta: 1 | -1): void {
    if (info.images.size === 0) return;
    for (const name of info.images.keys()) {
      const n = (this.imageNodes.get(name) ?? 0) + delta;
      if (n <= 0) this.imageNodes.delete(name);
      else this.imageNodes.set(name, n);
    }
    this.imagesChanged = true;
  }

  private toHead(item: NodeItem): void {
    if (this.head === item) return;
    this.unlink(item);
    item.next = this.head;
    if (this.head) this.head.prev = item;
    this.head = item;
  }

  private unlink(item: NodeItem): void {
    if (item.prev) item.prev.next = item.next;
    if (item.next) item.next.prev = item.prev;
    if (this.head === item) this.head = item.next;
    item.prev = undefined;
    item.next = undefined;
  }

  private dropItem(item: NodeItem): void {
    this.unlink(item);
    this.nodes.delete(item.info.name);
  }
}
