// The DaemonSet controller's decisions as pure functions of a snapshot (nodes, the set's pods,
// the current revision hash, the time), following upstream's daemon controller:
// - `planManage`: which nodes need a pod and which pods must go (wrong node, failed or succeeded
//   pods, duplicates, pods for nodes that no longer exist);
// - `planRollingUpdate`: which old pods to replace now under maxUnavailable, or where to surge new
//   pods under maxSurge;
// - `computeStatus`: the status counters.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../../api/intstr.js';
import { isPodAvailable, isPodReady, isPodTerminal } from '../../api/pods.js';
import { byCreation } from '../history/podutil.js';
import { podRevisionLabel } from '../history/revisions.js';
import { nodeShouldRunDaemonPod, targetNodeName } from './eligibility.js';

export const templateGenerationLabel = 'pod-template-generation';
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

export interface Snapshot {
  ds: DaemonSet;
  nodes: readonly Node[];
  /** The pods the set controls. */
  pods: readonly Pod[];
  /** The hash of the current revision. */
  hash: string;
  nowMs: number;
}

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface Plan {
  /** Nodes to create a pod for. */
  create: string[];
  /** Pods to delete. */
  delete: Pod[];
  events: PlanEvent[];
  /** Look again after this long (failed pods waiting out their backoff). */
  retryAfterMs?: number;
}

/** The DaemonSet's template generation (its deprecated annotation), if the API server set it. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata?.annotations?.[templateGenerationAnnotation];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** IsPodUpdated: the pod has the current hash, or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (hash !== '' && labels[podRevisionLabel] === hash) || (generation !== undefined && labels[templateGenerationLabel] === String(generation));
}

/** Scheduled pods first, then oldest first (podByCreationTimestampAndPhase). */
export function byScheduledThenAge(a: Pod, b: Pod): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  return sa !== sb ? sa - sb : byCreation(a, b);
}

/** Pods by the node they are for; pods that are terminal and being deleted are gone already. */
export function podsByNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const pod of pods) {
    if (isPodTerminal(pod) && pod.metadata?.deletionTimestamp) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    let list = out.get(node);
    if (!list) out.set(node, (list = []));
    list.push(pod);
  }
  return out;
}

export function allowsSurge(ds: DaemonSet): boolean {
  return surgeCount(ds, 1) > 0;
}

function surgeCount(ds: DaemonSet, n: number): number {
  const us = ds.spec?.updateStrategy;
  if (us?.type !== 'RollingUpdate' || !us.rollingUpdate) return 0;
  return scaledValue(us.rollingUpdate.maxSurge ?? 0, n, true);
}

function unavailableCount(ds: DaemonSet, n: number): number {
  const us = ds.spec?.updateStrategy;
  if (us?.type !== 'RollingUpdate' || !us.rollingUpdate) return 0;
  return scaledValue(us.rollingUpdate.maxUnavailable ?? 0, n, true);
}

/** Exponential backoff of failed-pod deletions per node: 1 s doubling to 15 min (upstream's failedPodsBackoff). */
export class FailedPodBackoff {
  private readonly entries = new Map<string, { delayMs: number; at: number }>();
  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 15 * 60_000,
  ) {}

  /** Milliseconds still to wait, or 0 if a deletion may proceed now. */
  remaining(key: string, now: number): number {
    const e = this.entries.get(key);
    if (!e || now - e.at >= e.delayMs) return 0;
    return e.delayMs - (now - e.at);
  }

  /** Records a deletion at `now`: the next one waits twice as long as the last (reset when idle long). */
  next(key: string, now: number): void {
    const e = this.entries.get(key);
    if (!e || now - e.at > 2 * this.maxMs) this.entries.set(key, { delayMs: this.initialMs, at: now });
    else this.entries.set(key, { delayMs: Math.min(e.delayMs * 2, this.maxMs), at: now });
  }

  /** Forgets entries idle for longer than twice the maximum delay. */
  gc(now: number): void {
    for (const [k, e] of this.entries) if (now - e.at > 2 * this.maxMs) this.entries.delete(k);
  }
}

/** manage + podsShouldBeOnNode: creations and deletions that bring every node in line. */
export function planManage(s: Snapshot, backoff: FailedPodBackoff): Plan {
  const { ds, hash } = s;
  const template = ds.spec?.template.spec ?? { containers: [] };
  const byNode = podsByNode(s.pods);
  const plan: Plan = { create: [], delete: [], events: [] };
  const surge = allowsSurge(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const node of s.nodes) {
    const nodeName = node.metadata?.name ?? '';
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, template);
    const daemonPods = byNode.get(nodeName);
    if (shouldRun && !daemonPods) {
      plan.create.push(nodeName);
      continue;
    }
    if (!daemonPods) continue;
    if (!shouldContinueRunning) {
      for (const pod of daemonPods) if (!pod.metadata?.deletionTimestamp) plan.delete.push(pod);
      continue;
    }
    const running: Pod[] = [];
    for (const pod of daemonPods) {
      if (pod.metadata?.deletionTimestamp) continue;
      const ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      if (pod.status?.phase === 'Failed') {
        // Kubelets may reject daemon pods over and over: deleting them is rate limited per node.
        const key = `${ds.metadata?.uid}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;
        const wait = backoff.remaining(key, s.nowMs);
        if (wait > 0) {
          plan.retryAfterMs = Math.min(plan.retryAfterMs ?? Infinity, wait);
          continue;
        }
        backoff.next(key, s.nowMs);
        plan.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ${ref} on node ${nodeName}, will try to kill it` });
        plan.delete.push(pod);
      } else if (pod.status?.phase === 'Succeeded') {
        plan.events.push({ type: 'Normal', reason: 'SucceededDaemonPod', message: `Found succeeded daemon pod ${ref} on node ${nodeName}, will try to delete it` });
        plan.delete.push(pod);
      } else {
        running.push(pod);
      }
    }
    running.sort(byScheduledThenAge);
    if (!surge) {
      // One pod per node: all but the oldest go.
      plan.delete.push(...running.slice(1));
      continue;
    }
    if (running.length <= 1) {
      if (running.length === 0 && shouldRun) plan.create.push(nodeName);
      continue;
    }
    // Surging: keep the oldest new pod and the oldest old pod; the old one goes once it is not
    // ready or the new one is available.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const pod of running) {
      const isNew = pod.metadata?.labels?.[podRevisionLabel] === hash;
      if (isNew && !oldestNew) oldestNew = pod;
      else if (!isNew && !oldestOld) oldestOld = pod;
      else plan.delete.push(pod);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, s.nowMs))) plan.delete.push(oldestOld);
  }
  // Pods for nodes that are gone: unscheduled ones can never be bound (upstream deletes those);
  // bound ones have no kubelet left to stop them, so they are deleted too (skiff has no PodGC).
  const known = new Set(s.nodes.map((n) => n.metadata?.name ?? ''));
  for (const [nodeName, pods] of byNode) {
    if (known.has(nodeName)) continue;
    for (const pod of pods) if (!pod.metadata?.deletionTimestamp) plan.delete.push(pod);
  }
  return plan;
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else not ok (manage prunes first). */
function splitPods(pods: readonly Pod[], hash: string, generation: number | undefined): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { ok: true, ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
}

/** rollingUpdate: old pods to delete (maxSurge 0) or nodes to surge a new pod onto (maxSurge > 0). */
export function planRollingUpdate(s: Snapshot): Plan {
  const { ds, hash, nowMs } = s;
  const template = ds.spec?.template.spec ?? { containers: [] };
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const byNode = podsByNode(s.pods);
  const nodesByName = new Map(s.nodes.map((n) => [n.metadata?.name ?? '', n]));
  let desired = 0;
  for (const node of s.nodes) {
    if (!nodeShouldRunDaemonPod(node, template).shouldRun) continue;
    desired++;
    if (!byNode.has(node.metadata?.name ?? '')) byNode.set(node.metadata?.name ?? '', []);
  }
  let maxUnavailable = unavailableCount(ds, desired);
  const maxSurge = surgeCount(ds, desired);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  const available = (p: Pod) => isPodAvailable(p, minReady, nowMs);
  const shouldRunOn = (nodeName: string) => {
    const node = nodesByName.get(nodeName);
    return node ? nodeShouldRunDaemonPod(node, template).shouldRun : false;
  };
  const plan: Plan = { create: [], delete: [], events: [] };

  if (maxSurge === 0) {
    let unavailable = 0;
    const replace: Pod[] = [];
    const candidates: Pod[] = [];
    for (const pods of byNode.values()) {
      const { newPod, oldPod, ok } = splitPods(pods, hash, generation);
      if (!ok) {
        unavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!available(newPod)) unavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) replace.push(oldPod);
        else if (unavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    plan.delete.push(...replace, ...candidates.slice(0, room));
    return plan;
  }

  let numSurge = 0;
  let numAvailable = 0;
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  const shouldNotRun: Pod[] = [];
  for (const [nodeName, pods] of byNode) {
    const { newPod, oldPod, ok } = splitPods(pods, hash, generation);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRunOn(nodeName)) plan.delete.push(oldPod);
        else allowedNew.push(nodeName);
      } else if (!shouldRunOn(nodeName)) {
        shouldNotRun.push(oldPod);
      } else if (numSurge < maxSurge) {
        candidateNew.push(nodeName);
      }
      continue;
    }
    if (!available(newPod)) numSurge++;
    else plan.delete.push(oldPod);
  }
  // Pods on nodes the set no longer wants go only while enough pods elsewhere are available.
  const deletable = Math.min(numAvailable - desired, shouldNotRun.length);
  if (deletable > 0) plan.delete.push(...shouldNotRun.slice(0, deletable));
  const room = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
  plan.create.push(...allowedNew, ...candidateNew.slice(0, room));
  return plan;
}

export interface DaemonCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

/** updateDaemonSetStatus's counters; per node the oldest (scheduled first) pod is the one judged. */
export function computeStatus(s: Snapshot): DaemonCounts {
  const template = s.ds.spec?.template.spec ?? { containers: [] };
  const generation = templateGeneration(s.ds);
  const minReady = s.ds.spec?.minReadySeconds ?? 0;
  const byNode = podsByNode(s.pods);
  const c: DaemonCounts = { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0, updatedNumberScheduled: 0, numberAvailable: 0, numberUnavailable: 0 };
  for (const node of s.nodes) {
    const pods = [...(byNode.get(node.metadata?.name ?? '') ?? [])].sort(byScheduledThenAge);
    if (!nodeShouldRunDaemonPod(node, template).shouldRun) {
      if (pods.length > 0) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    const pod = pods[0];
    if (!pod) continue;
    c.currentNumberScheduled++;
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, s.nowMs)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, s.hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}
