// The scheduler: profiles (one Framework each), the queue, the cache, and the loop that places
// one pod per cycle.
//
// One cycle: pop → refresh the snapshot → filter/score/select (schedule-one.ts) → assume the pod
// on the node in the cache → Reserve → Permit → start the binding cycle and go on with the next
// pod at once. The binding cycle (PreBind → Bind: POST pods/binding → PostBind, `Scheduled`
// event) runs concurrently; a failure there unreserves, forgets the assumed pod and requeues it.
// A pod that fits nowhere runs the PostFilter plugins (preemption), then gets a `FailedScheduling`
// Warning event and PodScheduled=False (reason Unschedulable) with upstream's message, and waits
// in the queue for an event that may help it.
//
// The loop yields to the event loop after every pod so that informer events and binding answers
// flow; it never waits for a binding unless `maxBindingsInFlight` are outstanding.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformers } from '../client/factory.js';
import type { Clock } from '../client/workqueue.js';
import { realClock } from '../client/workqueue.js';
import { isApiError, sleep } from '../client/transport.js';
import type { EventRecorder } from '../controllers/events.js';
import type { KObject } from '../apiserver/object.js';
import { SchedulerCache } from './cache.js';
import { ConfigError, defaultConfig, defaultSchedulerName, type SchedulerConfig } from './config.js';
import { FitError } from './framework/fiterror.js';
import { Framework } from './framework/runtime.js';
import { Code, CycleState, type ClusterEvent, type NodeToStatus, type PodInfo, type QueuedPodInfo, type Status } from './framework/types.js';
import { inTreeRegistry, type Registry } from './plugins/registry.js';
import { podInfoFrom } from './plugins/podinfo-terms.js';
import { SchedulingQueue } from './queue.js';
import { Algorithm, NoNodesAvailableError } from './schedule-one.js';
import type { ClusterSnapshot } from './snapshot.js';
import { bindPod, deleteVictim, markUnschedulable, nominatePod } from './podapi.js';
import { watchCluster, type ClusterInformers } from './handlers.js';

export interface SchedulerOptions {
  client: Client;
  /** The process's shared informers; the caller starts them (before or after this call). */
  informers: SharedInformers;
  /**
   * Records Scheduled / FailedScheduling / Preempted events. A factory gets one recorder per
   * profile, named after its schedulerName, as upstream (events `From default-scheduler`).
   */
  recorder: EventRecorder | ((component: string) => EventRecorder);
  signal: AbortSignal;
  config?: SchedulerConfig;
  registry?: Registry;
  clock?: Clock;
  onError?(err: unknown): void;
  /** Tie-breaking randomness (tests). */
  rand?: () => number;
  /** See SchedulerCache; default 15 min. */
  assumedPodTtlMs?: number;
  /** Concurrent binding cycles before the loop waits for one; default 1000. */
  maxBindingsInFlight?: number;
}

export interface SchedulerStats {
  scheduled: number;
  unschedulable: number;
  errors: number;
  bindingsInFlight: number;
}

export interface RunningScheduler {
  /** Resolves once the informers have synced and the loop runs. */
  ready: Promise<void>;
  /** Resolves once the loop has stopped and every binding cycle has ended. */
  done: Promise<void>;
  queue: SchedulingQueue;
  cache: SchedulerCache;
  frameworks: ReadonlyMap<string, Framework>;
  stats(): SchedulerStats;
}

const maxEventMessage = 1024;

/** Upstream truncateMessage: events carry at most 1024 characters. */
function truncate(msg: string): string {
  return msg.length <= maxEventMessage ? msg : `${msg.slice(0, maxEventMessage - 4)} ...`;
}

function asKObject(pod: Pod): KObject {
  return { ...pod, apiVersion: pod.apiVersion ?? 'v1', kind: pod.kind ?? 'Pod', metadata: { ...(pod.metadata ?? {}) } } as KObject;
}

class Scheduler {
  readonly frameworks = new Map<string, Framework>();
  private readonly recorders = new Map<string, EventRecorder>();
  readonly queue: SchedulingQueue;
  readonly cache: SchedulerCache;
  readonly algorithm: Algorithm;
  readonly cluster: ClusterInformers;
  private readonly bindings = new Set<Promise<void>>();
  private readonly counts = { scheduled: 0, unschedulable: 0, errors: 0 };
  private readonly onError: (err: unknown) => void;
  private readonly clock: Clock;

  constructor(private readonly opts: SchedulerOptions) {
    const cfg = opts.config ?? defaultConfig(opts.registry ?? inTreeRegistry);
    this.onError = opts.onError ?? ((err) => process.stderr.write(`scheduler: ${(err as Error)?.message ?? String(err)}\n`));
    this.clock = opts.clock ?? realClock;
    this.cluster = watchCluster(opts.informers);
    const client = opts.client;
    for (const profile of cfg.profiles) {
      const recorder = typeof opts.recorder === 'function' ? opts.recorder(profile.schedulerName) : opts.recorder;
      this.recorders.set(profile.schedulerName, recorder);
      const fwk = new Framework(profile, opts.registry ?? inTreeRegistry, {
        namespaceLabels: (ns) => this.cluster.namespaceLabels(ns),
        priorityClassValue: (name) => this.cluster.priorityClassValue(name),
        nominatedPodsFor: (node) => this.queue.nominator.forNode(node),
        deletePod: (pod, reason) => deleteVictim(client, pod, reason, `${profile.schedulerName}: preempting to accommodate a higher priority pod`),
        event: (obj, type, reason, message) => recorder.event({ apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? 'Pod', metadata: { ...(obj.metadata ?? {}) } }, type, reason, message),
        nominate: async (pod, node) => {
          this.queue.nominator.add(podInfoFrom(pod), node);
          await nominatePod(client, pod, node);
        },
        bindPod: (pod, node) => bindPod(client, pod, node),
        servicesOf: (pod) => this.cluster.servicesOf(pod),
        ownerSelector: (pod) => this.cluster.ownerSelector(pod),
        podDisruptionBudgets: () => this.cluster.podDisruptionBudgets(),
      });
      this.frameworks.set(profile.schedulerName, fwk);
    }
    const first = sameQueueSort([...this.frameworks.values()]);
    const events = new Map<string, Set<ClusterEvent> | 'all'>();
    for (const fwk of this.frameworks.values()) {
      for (const [name, evs] of fwk.pluginEvents) {
        const have = events.get(name);
        if (evs === 'all' || have === 'all') events.set(name, 'all');
        else events.set(name, new Set([...(have ?? []), ...evs]));
      }
    }
    this.queue = new SchedulingQueue({
      less: (a, b) => first.queueSort.less(a, b),
      clock: this.clock,
      podInitialBackoffMs: cfg.podInitialBackoffSeconds * 1000,
      podMaxBackoffMs: cfg.podMaxBackoffSeconds * 1000,
      pluginEvents: (p) => events.get(p) ?? 'all',
      preEnqueue: (pi) => this.frameworkFor(pi.pod)?.runPreEnqueuePlugins(pi),
    });
    this.cache = new SchedulerCache({ clock: this.clock, ...(opts.assumedPodTtlMs !== undefined ? { assumedPodTtlMs: opts.assumedPodTtlMs } : {}) });
    this.algorithm = new Algorithm(cfg.percentageOfNodesToScore, opts.rand);
  }

  private recorderOf(pod: Pod): EventRecorder {
    return this.recorders.get(pod.spec?.schedulerName || defaultSchedulerName) ?? ([...this.recorders.values()][0] as EventRecorder);
  }

  frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get(pod.spec?.schedulerName || defaultSchedulerName);
  }

  start(): RunningScheduler {
    const { signal } = this.opts;
    this.queue.start(signal);
    this.cache.start(signal);
    this.cluster.addHandlers({ cache: this.cache, queue: this.queue, responsible: (pod) => this.frameworkFor(pod) !== undefined, onError: this.onError });
    const ready = this.cluster.waitForSync(signal);
    // Stopping before the informers synced rejects `ready`; callers need not watch it.
    ready.catch(() => undefined);
    const done = (async () => {
      try {
        await ready;
      } catch {
        return;
      }
      await this.loop();
      await Promise.allSettled([...this.bindings]);
    })();
    return {
      ready,
      done,
      queue: this.queue,
      cache: this.cache,
      frameworks: this.frameworks,
      stats: () => ({ ...this.counts, bindingsInFlight: this.bindings.size }),
    };
  }

  private async loop(): Promise<void> {
    const max = this.opts.maxBindingsInFlight ?? 1000;
    while (!this.opts.signal.aborted) {
      const qp = await this.queue.pop();
      if (!qp) return;
      try {
        await this.scheduleOne(qp);
      } catch (err) {
        // A plugin threw instead of returning a status: retry the pod like any other error.
        this.onError(err);
        this.cache.forgetPod(qp.podInfo.key);
        this.failure(qp, 'SchedulerError', (err as Error)?.message ?? String(err), new Set());
      }
      if (this.bindings.size >= max) await Promise.race(this.bindings);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private async scheduleOne(qp: QueuedPodInfo): Promise<void> {
    const pi = qp.podInfo;
    const fwk = this.frameworkFor(pi.pod);
    if (!fwk || pi.pod.metadata?.deletionTimestamp || this.cache.isAssumed(pi.key)) {
      this.queue.done(pi.key);
      return;
    }
    const snap = this.cache.snapshot();
    fwk.setSnapshot(snap);
    const state = new CycleState();
    let result;
    try {
      result = this.algorithm.schedulePod(fwk, state, pi, snap);
    } catch (err) {
      if (err instanceof NoNodesAvailableError) this.failure(qp, 'Unschedulable', err.message, new Set(), '');
      else this.failure(qp, 'SchedulerError', (err as Error).message, new Set());
      return;
    }
    if (result instanceof FitError) {
      let nominated: string | undefined;
      if (fwk.hasPostFilterPlugins()) {
        const pf = await fwk.runPostFilterPlugins(state, pi, this.withAbsentStatuses(result, snap));
        result.diagnosis.postFilterMsg = pf.status.reasons.join(', ');
        if (pf.status.code === Code.Error) this.onError(new Error(`PostFilter for ${pi.key}: ${result.diagnosis.postFilterMsg}`));
        nominated = pf.result?.nominatedNodeName;
      }
      this.failure(qp, 'Unschedulable', result.message, result.diagnosis.unschedulablePlugins, nominated);
      return;
    }
    const node = result.node;
    const assumed: PodInfo = { ...pi, pod: { ...pi.pod, spec: { ...pi.pod.spec, containers: pi.pod.spec?.containers ?? [], nodeName: node } } };
    try {
      this.cache.assumePod(assumed, node);
    } catch (err) {
      this.failure(qp, 'SchedulerError', (err as Error).message, new Set());
      return;
    }
    this.queue.nominator.delete(pi.key);
    const reserve = fwk.runReservePluginsReserve(state, assumed, node);
    if (reserve.code !== Code.Success) return this.undo(fwk, state, qp, assumed, node, reserve);
    const permit = fwk.runPermitPlugins(state, assumed, node);
    if (permit.status.code !== Code.Success && permit.status.code !== Code.Wait) return this.undo(fwk, state, qp, assumed, node, permit.status);
    const binding = this.bindingCycle(fwk, state, qp, assumed, node, permit.status, permit.waitMs ?? 0).catch((err: unknown) => this.onError(err));
    this.bindings.add(binding);
    void binding.finally(() => this.bindings.delete(binding));
  }

  private async bindingCycle(fwk: Framework, state: CycleState, qp: QueuedPodInfo, assumed: PodInfo, node: string, permit: Status, waitMs: number): Promise<void> {
    if (permit.code === Code.Wait) {
      // Nothing in skiff can allow a waiting pod early: it is rejected when its wait ends.
      await sleep(waitMs, this.opts.signal).catch(() => undefined);
      return this.undo(fwk, state, qp, assumed, node, { code: Code.Unschedulable, reasons: [`rejected due to timeout after waiting ${waitMs / 1000}s at plugin ${permit.plugin ?? ''}`], ...(permit.plugin ? { plugin: permit.plugin } : {}) });
    }
    let s: Status;
    try {
      s = await fwk.runPreBindPlugins(state, assumed, node);
      if (s.code === Code.Success) s = await fwk.runBindPlugins(state, assumed, node);
    } catch (err) {
      s = { code: Code.Error, reasons: [(err as Error)?.message ?? String(err)] };
    }
    if (s.code !== Code.Success) {
      // The room it held is free again: pods waiting for room may fit now.
      this.undo(fwk, state, qp, assumed, node, s);
      this.queue.moveAllToActiveOrBackoffQueue('PodDelete');
      return;
    }
    this.cache.finishBinding(assumed.key);
    this.counts.scheduled++;
    const ns = assumed.pod.metadata?.namespace ?? '';
    this.recorderOf(assumed.pod).event(asKObject(assumed.pod), 'Normal', 'Scheduled', `Successfully assigned ${ns}/${assumed.pod.metadata?.name ?? ''} to ${node}`);
    fwk.runPostBindPlugins(state, assumed, node);
    this.queue.done(assumed.key);
  }

  /** A failed Reserve / Permit / Bind: unreserve, forget the assumed pod, requeue. */
  private undo(fwk: Framework, state: CycleState, qp: QueuedPodInfo, assumed: PodInfo, node: string, s: Status): void {
    fwk.runReservePluginsUnreserve(state, assumed, node);
    this.cache.forgetPod(assumed.key);
    const rejected = s.code === Code.Unschedulable || s.code === Code.UnschedulableAndUnresolvable;
    this.failure(qp, rejected ? 'Unschedulable' : 'SchedulerError', s.reasons.join(', ') || s.code, rejected && s.plugin ? new Set([s.plugin]) : new Set());
  }

  /** PostFilter sees every node: nodes a PreFilter ruled out carry that verdict. */
  private withAbsentStatuses(err: FitError, snap: ClusterSnapshot): NodeToStatus {
    const d = err.diagnosis;
    if (!d.absentNodesStatus || d.nodeToStatus.size >= err.numAllNodes) return d.nodeToStatus;
    const m: NodeToStatus = new Map(d.nodeToStatus);
    for (const n of snap.nodes()) if (!m.has(n.name)) m.set(n.name, d.absentNodesStatus);
    return m;
  }

  /**
   * Upstream handleSchedulingFailure: requeue the pod (unless it is gone or bound meanwhile),
   * record the nomination, a FailedScheduling event and the PodScheduled=False condition.
   * `nominated`: undefined leaves the nomination alone, '' clears it.
   */
  private failure(qp: QueuedPodInfo, reason: 'Unschedulable' | 'SchedulerError', message: string, plugins: Set<string>, nominated?: string): void {
    if (reason === 'Unschedulable') this.counts.unschedulable++;
    else this.counts.errors++;
    const key = qp.podInfo.key;
    const current = this.cluster.pod(key);
    if (!current || current.metadata?.uid !== qp.podInfo.pod.metadata?.uid || current.spec?.nodeName) {
      this.queue.done(key);
      return;
    }
    if (current.metadata?.resourceVersion !== qp.podInfo.pod.metadata?.resourceVersion) qp.podInfo = podInfoFrom(current);
    qp.unschedulablePlugins = plugins;
    this.queue.addUnschedulableIfNotPresent(qp);
    if (nominated) this.queue.nominator.add(qp.podInfo, nominated);
    else if (nominated === '') this.queue.nominator.delete(key);
    this.recorderOf(current).event(asKObject(current), 'Warning', 'FailedScheduling', truncate(message));
    markUnschedulable(this.opts.client, current, reason, message, nominated).catch((err: unknown) => {
      if (!isApiError(err, 404)) this.onError(err);
    });
  }
}

/**
 * Starts the scheduler. Throws ConfigError at once for a configuration its plugins reject.
 * Scheduling begins once the informers (pods, nodes, namespaces, priority classes, services,
 * replica sets, stateful sets, PDBs) have synced; the caller starts `informers`.
 */
export function startScheduler(opts: SchedulerOptions): RunningScheduler {
  return new Scheduler(opts).start();
}

/**
 * Builds every profile's framework once, without a cluster, so that bad plugin args or
 * extension-point placements fail (ConfigError naming the field) before connecting anywhere.
 */
export function validateConfig(config: SchedulerConfig, registry: Registry = inTreeRegistry): void {
  sameQueueSort(config.profiles.map((p) => new Framework(p, registry)));
}

/** One queue serves every profile, so they must sort alike; returns the first framework. */
function sameQueueSort(fwks: Framework[]): Framework {
  const first = fwks[0] as Framework;
  fwks.forEach((f, i) => {
    if (f.queueSort.name !== first.queueSort.name) {
      throw new ConfigError(`profiles[${i}].plugins.queueSort: Invalid value: "${f.queueSort.name}": queueSort must be the same for all profiles`);
    }
  });
  return first;
}
