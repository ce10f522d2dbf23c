// The scheduling queue (upstream's PriorityQueue): where unscheduled pods wait.
//
// - activeQ: a heap ordered by the QueueSort plugin; `pop` takes its head.
// - backoffQ: pods that failed, waiting out their backoff: podInitialBackoff doubled per attempt
//   up to podMaxBackoff (1 s → 10 s by default), counted from the last failure. A timer moves
//   each to activeQ when its backoff ends.
// - unschedulable: pods rejected by plugins. A cluster event moves a pod back (to backoffQ if its
//   backoff has not ended, else activeQ) only when a plugin that rejected it registered that event
//   (EnqueueExtensions; a plugin without it is taken to register every event); every pod moves
//   after podMaxInUnschedulablePodsDuration (5 min) at the latest, checked every 30 s.
// - gated: pods a PreEnqueue plugin refused (scheduling gates); an update that satisfies it moves
//   the pod to activeQ.
// - in flight: popped and not yet `done`. Events arriving meanwhile are remembered (the last
//   sequence number of each event type), so a pod that fails after an event that could have
//   helped it goes to backoffQ instead of waiting.
// Unschedulable pods are indexed by the events they wait for, so an event costs O(pods it
// moves), not O(unschedulable pods): bound pods produce a PodAdd each, at scheduling speed.
// A pod that failed with no rejecting plugin (an error) always goes to backoffQ.
//
// Time comes from an injected Clock (tests drive it by hand).

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../client/workqueue.js';
import { realClock } from '../client/workqueue.js';
import { Code, type ClusterEvent, type PodInfo, type QueuedPodInfo, type Status } from './framework/types.js';
import { KeyedHeap } from './heap.js';
import { Nominator } from './nominator.js';
import { podInfoFrom, podKey } from './plugins/podinfo-terms.js';

/** Events besides cluster changes that move unschedulable pods. */
export type QueueEvent = ClusterEvent | 'UnschedulableTimeout' | 'ForceActivate';

export interface QueueOptions {
  /** The QueueSort plugin's order. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
  clock?: Clock;
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  podMaxInUnschedulablePodsDurationMs?: number;
  /** How often unschedulable pods are checked against the maximum duration; default 30 s. */
  unschedulableFlushPeriodMs?: number;
  /** Events a plugin registered; 'all' when it does not say. */
  pluginEvents?(plugin: string): ReadonlySet<ClusterEvent> | 'all';
  /** PreEnqueue plugins of the pod's profile; non-Success keeps the pod gated. */
  preEnqueue?(pod: PodInfo): Status | undefined;
}

const keyOf = (q: QueuedPodInfo) => q.podInfo.key;

/** Upstream isPodUpdated: a change other than status, resourceVersion, generation, managedFields, finalizers. */
export function isPodUpdated(a: Pod, b: Pod): boolean {
  const strip = (p: Pod) => {
    const { resourceVersion: _rv, generation: _g, managedFields: _m, finalizers: _f, ...meta } = p.metadata ?? {};
    return JSON.stringify([meta, p.spec]);
  };
  return strip(a) !== strip(b);
}

export class SchedulingQueue {
  readonly nominator = new Nominator();
  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Unschedulable pods by the event they wait for; `all` holds those any event moves. */
  private readonly waitingFor = new Map<ClusterEvent, Set<string>>();
  private readonly waitingForAll = new Set<string>();
  private readonly gated = new Map<string, QueuedPodInfo>();
  /** Popped pods → the event sequence number at pop. Insertion order = pop order. */
  private readonly inFlight = new Map<string, number>();
  private readonly updatedInFlight = new Set<string>();
  /** Event type → the sequence number of its latest occurrence. */
  private readonly lastEvent = new Map<QueueEvent, number>();
  private seq = 0;
  private readonly waiters: (() => void)[] = [];
  private closed = false;
  private readonly clock: Clock;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxUnschedulableMs: number;
  private backoffTimer: { at: number; handle: unknown } | undefined;
  private flushTimer: unknown;

  constructor(private readonly opts: QueueOptions) {
    this.clock = opts.clock ?? realClock;
    this.initialMs = opts.podInitialBackoffMs ?? 1000;
    this.maxMs = opts.podMaxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.podMaxInUnschedulablePodsDurationMs ?? 5 * 60_000;
    this.activeQ = new KeyedHeap(keyOf, (a, b) => opts.less(a, b));
    this.backoffQ = new KeyedHeap(keyOf, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  }

  /** Starts the periodic unschedulable flush; `close` (or the signal) stops everything. */
  start(signal: AbortSignal): void {
    const period = this.opts.unschedulableFlushPeriodMs ?? 30_000;
    const tick = () => {
      if (this.closed) return;
      this.flushUnschedulablePodsLeftover();
      this.flushTimer = this.clock.setTimeout(tick, period);
    };
    this.flushTimer = this.clock.setTimeout(tick, period);
    signal.addEventListener('abort', () => this.close(), { once: true });
    if (signal.aborted) this.close();
  }

  close(): void {
    this.closed = true;
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    this.backoffTimer = undefined;
    for (const w of this.waiters.splice(0)) w();
  }

  // ---------------------------------------------------------------- pods from the informer

  /** A new unscheduled pod. */
  add(pod: Pod): void {
    const info = podInfoFrom(pod);
    this.removeUnschedulable(info.key);
    this.backoffQ.delete(info.key);
    const qp: QueuedPodInfo = { podInfo: info, timestamp: this.clock.now(), attempts: 0, unschedulablePlugins: new Set() };
    this.nominator.add(info);
    this.toActiveOrGated(qp);
  }

  update(oldPod: Pod, pod: Pod): void {
    const key = podKey(pod);
    const info = podInfoFrom(pod);
    const changed = isPodUpdated(oldPod, pod);
    if (this.inFlight.has(key) && changed) this.updatedInFlight.add(key);
    for (const heap of [this.activeQ, this.backoffQ]) {
      const qp = heap.get(key);
      if (qp) {
        qp.podInfo = info;
        heap.push(qp);
        this.nominator.update(oldPod, info);
        return;
      }
    }
    const us = this.unschedulable.get(key);
    if (us) {
      us.podInfo = info;
      this.nominator.update(oldPod, info);
      if (changed) {
        this.removeUnschedulable(key);
        this.requeue(us);
      }
      return;
    }
    const g = this.gated.get(key);
    if (g) {
      g.podInfo = info;
      this.gated.delete(key);
      this.toActiveOrGated(g);
      return;
    }
    if (this.inFlight.has(key)) {
      this.nominator.update(oldPod, info);
      return;
    }
    this.add(pod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.removeUnschedulable(key);
    this.gated.delete(key);
    this.updatedInFlight.delete(key);
    this.nominator.delete(key);
  }

  // ---------------------------------------------------------------- the scheduling loop's side

  /** The next pod to schedule (waits while activeQ is empty); undefined once closed. */
  async pop(): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const qp = this.activeQ.pop();
      if (qp) {
        qp.attempts++;
        qp.initialAttemptTimestamp ??= this.clock.now();
        this.inFlight.delete(qp.podInfo.key);
        this.inFlight.set(qp.podInfo.key, this.seq);
        return qp;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The pod's scheduling attempt (and binding) is over. */
  done(key: string): void {
    this.inFlight.delete(key);
    this.updatedInFlight.delete(key);
  }

  /**
   * A failed attempt: back to backoffQ when it failed without a rejecting plugin, when it was
   * updated, or when a relevant event came while it was in flight; else to unschedulable.
   */
  addUnschedulableIfNotPresent(qp: QueuedPodInfo): void {
    const key = qp.podInfo.key;
    const start = this.inFlight.get(key);
    let move = qp.unschedulablePlugins.size === 0 || this.updatedInFlight.has(key);
    if (!move && start !== undefined) {
      for (const [event, seq] of this.lastEvent) {
        if (seq > start && this.interested(qp, event)) {
          move = true;
          break;
        }
      }
    }
    this.done(key);
    if (this.has(key)) return;
    qp.timestamp = this.clock.now();
    if (move) this.requeue(qp);
    else this.addUnschedulable(qp);
  }

  /** A cluster event: moves the unschedulable pods it may help. */
  moveAllToActiveOrBackoffQueue(event: QueueEvent): void {
    this.lastEvent.set(event, ++this.seq);
    if (this.unschedulable.size === 0) return;
    const keys = event === 'UnschedulableTimeout' || event === 'ForceActivate' ? [...this.unschedulable.keys()] : [...(this.waitingFor.get(event) ?? []), ...this.waitingForAll];
    for (const key of keys) {
      const qp = this.unschedulable.get(key);
      if (!qp) continue;
      this.removeUnschedulable(key);
      this.requeue(qp);
    }
  }

  flushBackoffQCompleted(): void {
    const now = this.clock.now();
    for (let qp = this.backoffQ.peek(); qp && this.backoffExpiry(qp) <= now; qp = this.backoffQ.peek()) {
      this.backoffQ.pop();
      this.pushActive(qp);
    }
    this.armBackoffTimer();
  }

  flushUnschedulablePodsLeftover(): void {
    const now = this.clock.now();
    for (const [key, qp] of [...this.unschedulable]) {
      if (now - qp.timestamp <= this.maxUnschedulableMs) continue;
      this.removeUnschedulable(key);
      this.requeue(qp);
    }
  }

  // ---------------------------------------------------------------- views

  has(key: string): boolean {
    return this.activeQ.has(key) || this.backoffQ.has(key) || this.unschedulable.has(key) || this.gated.has(key);
  }

  /** Where a pod waits: 'active' | 'backoff' | 'unschedulable' | 'gated' | undefined. */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'gated' | undefined {
    if (this.activeQ.has(key)) return 'active';
    if (this.backoffQ.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.gated.has(key)) return 'gated';
    return undefined;
  }

  pendingPods(): { active: number; backoff: number; unschedulable: number; gated: number; inFlight: number } {
    return { active: this.activeQ.size, backoff: this.backoffQ.size, unschedulable: this.unschedulable.size, gated: this.gated.size, inFlight: this.inFlight.size };
  }

  /** Backoff of a pod after `attempts` failures: initial doubled per attempt, at most max. */
  backoffDuration(attempts: number): number {
    let d = this.initialMs;
    for (let i = 1; i < attempts; i++) {
      if (d >= this.maxMs - d) return this.maxMs;
      d += d;
    }
    return Math.min(d, this.maxMs);
  }

  // ---------------------------------------------------------------- internals

  private backoffExpiry(qp: QueuedPodInfo): number {
    return qp.timestamp + this.backoffDuration(qp.attempts);
  }

  private interested(qp: QueuedPodInfo, event: QueueEvent): boolean {
    if (event === 'UnschedulableTimeout' || event === 'ForceActivate' || qp.unschedulablePlugins.size === 0) return true;
    for (const p of qp.unschedulablePlugins) {
      const evs = this.opts.pluginEvents?.(p) ?? 'all';
      if (evs === 'all' || evs.has(event)) return true;
    }
    return false;
  }

  /** The events that may help the pod: the union of what its rejecting plugins registered. */
  private interestOf(qp: QueuedPodInfo): ReadonlySet<ClusterEvent> | 'all' {
    if (qp.unschedulablePlugins.size === 0) return 'all';
    const out = new Set<ClusterEvent>();
    for (const p of qp.unschedulablePlugins) {
      const evs = this.opts.pluginEvents?.(p) ?? 'all';
      if (evs === 'all') return 'all';
      for (const e of evs) out.add(e);
    }
    return out;
  }

  private addUnschedulable(qp: QueuedPodInfo): void {
    const key = qp.podInfo.key;
    this.unschedulable.set(key, qp);
    const interest = this.interestOf(qp);
    if (interest === 'all') {
      this.waitingForAll.add(key);
      return;
    }
    for (const e of interest) {
      let set = this.waitingFor.get(e);
      if (!set) this.waitingFor.set(e, (set = new Set()));
      set.add(key);
    }
  }

  private removeUnschedulable(key: string): void {
    if (!this.unschedulable.delete(key)) return;
    this.waitingForAll.delete(key);
    for (const set of this.waitingFor.values()) set.delete(key);
  }

  private requeue(qp: QueuedPodInfo): void {
    if (this.backoffExpiry(qp) > this.clock.now()) {
      this.backoffQ.push(qp);
      this.armBackoffTimer();
    } else {
      this.pushActive(qp);
    }
  }

  private toActiveOrGated(qp: QueuedPodInfo): void {
    const s = this.opts.preEnqueue?.(qp.podInfo);
    if (s && s.code !== Code.Success) {
      this.gated.set(qp.podInfo.key, qp);
      return;
    }
    this.pushActive(qp);
  }

  private pushActive(qp: QueuedPodInfo): void {
    if (this.closed) return;
    this.activeQ.push(qp);
    const w = this.waiters.shift();
    if (w) w();
  }

  private armBackoffTimer(): void {
    const head = this.backoffQ.peek();
    if (!head || this.closed) {
      if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
      this.backoffTimer = undefined;
      return;
    }
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && this.backoffTimer.at <= at) return;
    if (this.backoffTimer) this.clock.clearTimeout(this.backoffTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.backoffTimer = undefined;
      this.flushBackoffQCompleted();
    }, Math.max(0, at - this.clock.now()));
    this.backoffTimer = { at, handle };
  }
}
