// The kubelet's pod half for every simulated node: one pod informer (field selector
// `spec.nodeName!=`, slimmed objects, filtered by the fleet's node names) drives each bound pod
// through its life.
//
//   bound ──(start delay + jitter)──▶ Running/Ready ──(exit-after, Never/OnFailure)──▶ Succeeded
//     │  (Pending/ContainerCreating is written first only when the delay is > 0)
//     ├─ failure draw, restartPolicy Never ──▶ Failed (first container exit code 1)
//     └─ failure draw, Always/OnFailure ──▶ Running, first container CrashLoopBackOff, restartCount 1
//   deletionTimestamp at any point ──▶ containers terminated (exit 0) ──▶ DELETE gracePeriodSeconds 0, uid precondition
//   Running but Ready turned False by someone else (node lifecycle controller) ──▶ Ready again
//
// Contract:
// - Status is written as a strategic-merge patch of /status carrying metadata.uid, so a write
//   never lands on a newer pod of the same name; 409s are retried, 404s end the pod's record.
// - At most `podConcurrency` writes are in flight; the only timers are Timeline entries of pods
//   waiting for a start or an exit (at most one per pod).
// - Pods a previous sim started (container IDs `sim://…`) are adopted: their addresses are
//   reserved and exits rescheduled from their start time; they are not rewritten.
// - Pods of a paused node are left alone until `resumeNode` (a dead kubelet writes nothing).

import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { isPodTerminal, podCondition } from '../api/pods.js';
import { builtinResources, type ResourceInfo } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import { indexFuncs, keyOf } from '../client/indexer.js';
import { Informer } from '../client/informer.js';
import { isApiError, sleep } from '../client/transport.js';
import type { NodeFleet } from './fleet.js';
import { formatCidr, PodIpPool } from './ipam.js';
import type { Limiter } from './limiter.js';
import { exitAfterAnnotation, parseGoDuration, type ResolvedSimOptions } from './options.js';
import { crashLooping, crashLoopStatus, pendingStatus, runningStatus, startedAt, startedBySim, terminatedStatus } from './podstatus.js';
import { SlimPodClient } from './slim.js';
import type { Timeline } from './timeline.js';

export const podsResource = builtinResources.find((r) => r.group === '' && r.kind === 'Pod') as ResourceInfo;

type State = 'new' | 'starting' | 'running' | 'stopping' | 'done';

interface PodRecord {
  uid: string;
  node: string;
  state: State;
  /** An address taken from the node's pool (not for hostNetwork pods). */
  ip?: string;
}

export interface PodStats {
  started: number;
  failed: number;
  succeeded: number;
  deleted: number;
  statusWrites: number;
  writeErrors: number;
}

export class PodDriver {
  readonly informer: Informer;
  readonly stats: PodStats = { started: 0, failed: 0, succeeded: 0, deleted: 0, statusWrites: 0, writeErrors: 0 };
  private readonly records = new Map<string, PodRecord>();
  private readonly pools = new Map<string, PodIpPool>();

  constructor(
    private readonly o: ResolvedSimOptions,
    private readonly fleet: NodeFleet,
    private readonly timeline: Timeline,
    private readonly limiter: Limiter,
    private readonly signal: AbortSignal,
  ) {
    this.informer = new Informer({
      client: new SlimPodClient(o.client.transport),
      resource: podsResource,
      fieldSelector: 'spec.nodeName!=',
      indexers: { nodeName: indexFuncs.nodeName },
      onError: o.onError,
    });
    this.informer.addHandlers({
      onAdd: (p) => this.handle(p),
      onUpdate: (_old, p) => this.handle(p),
      onDelete: (p) => this.forget(keyOf(p)),
    });
  }

  /** Pods tracked, by state. */
  counts(): Record<State, number> {
    const c: Record<State, number> = { new: 0, starting: 0, running: 0, stopping: 0, done: 0 };
    for (const r of this.records.values()) c[r.state]++;
    return c;
  }

  /** Picks up the node's pods again after its heartbeat resumed. */
  resumeNode(name: string): void {
    for (const p of this.informer.store.byIndex('nodeName', name)) this.handle(p);
  }

  private handle(obj: KObject): void {
    const pod = obj as unknown as Pod;
    const node = this.fleet.nodes.get(pod.spec?.nodeName ?? '');
    if (!node) return;
    const key = keyOf(obj);
    const uid = obj.metadata.uid ?? '';
    let rec = this.records.get(key);
    if (rec && rec.uid !== uid) this.forget(key);
    if (node.paused) return;
    rec = this.records.get(key);
    if (!rec) this.records.set(key, (rec = { uid, node: node.name, state: 'new' }));
    if (isPodTerminal(pod)) {
      this.finish(key, rec);
    } else if (obj.metadata.deletionTimestamp) {
      if (rec.state !== 'stopping') this.stop(key, rec, pod);
    } else if (rec.state === 'new') {
      if (startedBySim(pod)) this.adopt(key, rec, pod);
      else this.admit(key, rec, pod);
    } else if (rec.state === 'running') {
      const t = startedAt(pod);
      if (t !== undefined && !this.timeline.has(`pod:${key}`)) this.scheduleExit(key, pod, t);
      this.restoreReady(rec, pod, t);
    }
  }

  /**
   * A running pod whose Ready condition someone else turned off (the node lifecycle controller,
   * while the node was NotReady) is reported Ready again, as the kubelet's status sync would.
   */
  private restoreReady(rec: PodRecord, pod: Pod, started: number | undefined): void {
    if (pod.status?.phase !== 'Running' || started === undefined || crashLooping(pod)) return;
    const ready = podCondition(pod, 'Ready');
    if (!ready || ready.status === 'True') return;
    const ip = pod.status.podIP;
    this.write(pod, runningStatus(pod, { now: this.o.clock.now(), hostIP: this.hostIP(rec), ...(ip ? { podIP: ip } : {}) }, started));
  }

  private admit(key: string, rec: PodRecord, pod: Pod): void {
    rec.state = 'starting';
    const now = this.o.clock.now();
    const delay = this.o.startDelayMs + (this.o.startJitterMs > 0 ? this.o.random() * this.o.startJitterMs : 0);
    if (delay > 0) this.write(pod, pendingStatus(pod, { now, hostIP: this.hostIP(rec) }));
    this.timeline.schedule(`pod:${key}`, now + delay, () => this.start(key));
  }

  private adopt(key: string, rec: PodRecord, pod: Pod): void {
    rec.state = 'running';
    const ip = pod.status?.podIP;
    if (ip && !pod.spec?.hostNetwork && this.pool(rec.node)?.reserve(ip)) rec.ip = ip;
    const t = startedAt(pod);
    if (t !== undefined) this.scheduleExit(key, pod, t);
    this.restoreReady(rec, pod, t);
  }

  private start(key: string): void {
    const obj = this.informer.store.get(key);
    const rec = this.records.get(key);
    if (!obj || !rec || rec.uid !== obj.metadata.uid || rec.state !== 'starting') return;
    const pod = obj as unknown as Pod;
    if (this.fleet.nodes.get(rec.node)?.paused || obj.metadata.deletionTimestamp) {
      rec.state = 'new';
      this.handle(obj);
      return;
    }
    const ip = pod.spec?.hostNetwork ? this.hostIP(rec) : this.allocate(rec);
    if (!ip) {
      rec.state = 'new';
      this.o.onError(new Error(`pod ${key}: node ${rec.node} has no free pod address in ${this.fleet.podCidr(rec.node)}; it stays Pending`));
      return;
    }
    const now = this.o.clock.now();
    const ctx = { now, hostIP: this.hostIP(rec), podIP: ip };
    let status: PodStatus;
    if (this.o.failureRate > 0 && this.o.random() < this.o.failureRate) {
      const never = pod.spec?.restartPolicy === 'Never';
      status = never ? terminatedStatus(pod, ctx, 'Failed') : crashLoopStatus(pod, ctx);
      rec.state = never ? 'done' : 'running';
      if (never) this.release(rec);
      this.stats.failed++;
    } else {
      status = runningStatus(pod, ctx);
      rec.state = 'running';
      this.stats.started++;
      this.scheduleExit(key, pod, now);
    }
    this.write(pod, status);
  }

  private scheduleExit(key: string, pod: Pod, started: number): void {
    const after = pod.metadata?.annotations?.[exitAfterAnnotation];
    if (after === undefined || (pod.spec?.restartPolicy ?? 'Always') === 'Always') return;
    if (crashLooping(pod)) return; // never completes
    const ms = parseGoDuration(after);
    if (ms === undefined) {
      this.o.onError(new Error(`pod ${key}: annotation ${exitAfterAnnotation}=${JSON.stringify(after)} is not a duration such as 5s or 1m30s`));
      return;
    }
    this.timeline.schedule(`pod:${key}`, started + ms, () => this.complete(key, started));
  }

  private complete(key: string, started: number): void {
    const obj = this.informer.store.get(key);
    const rec = this.records.get(key);
    if (!obj || !rec || rec.uid !== obj.metadata.uid || rec.state !== 'running' || obj.metadata.deletionTimestamp) return;
    if (this.fleet.nodes.get(rec.node)?.paused) return; // resumeNode reschedules it
    const pod = obj as unknown as Pod;
    rec.state = 'done';
    this.stats.succeeded++;
    const ip = pod.status?.podIP ?? rec.ip;
    this.write(pod, terminatedStatus(pod, { now: this.o.clock.now(), hostIP: this.hostIP(rec), ...(ip ? { podIP: ip } : {}) }, 'Succeeded', started));
    this.release(rec);
  }

  private stop(key: string, rec: PodRecord, pod: Pod): void {
    rec.state = 'stopping';
    this.timeline.cancel(`pod:${key}`);
    const ip = pod.status?.podIP ?? rec.ip;
    const status = terminatedStatus(pod, { now: this.o.clock.now(), hostIP: this.hostIP(rec), ...(ip ? { podIP: ip } : {}) }, 'Succeeded');
    const meta = pod.metadata ?? {};
    void this.limiter
      .run(async () => {
        if (!(await this.patchStatus(pod, status))) return;
        try {
          await this.o.client.delete(podsResource, meta.name ?? '', { namespace: meta.namespace ?? '', gracePeriodSeconds: 0, preconditions: { uid: meta.uid ?? '' }, signal: this.signal });
          this.stats.deleted++;
        } catch (e) {
          if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
        }
      })
      .catch((e: unknown) => this.failed(`stopping pod ${key}`, e));
    this.release(rec);
  }

  private finish(key: string, rec: PodRecord): void {
    rec.state = 'done';
    this.timeline.cancel(`pod:${key}`);
    this.release(rec);
  }

  private forget(key: string): void {
    const rec = this.records.get(key);
    if (!rec) return;
    this.timeline.cancel(`pod:${key}`);
    this.release(rec);
    this.records.delete(key);
  }

  private hostIP(rec: PodRecord): string {
    return this.fleet.nodes.get(rec.node)?.ip ?? '';
  }

  /** The node's address pool for its current pod range (a new range, e.g. set by node IPAM, gets a new pool). */
  private pool(node: string): PodIpPool | undefined {
    const cidr = this.fleet.podCidr(node);
    if (!cidr) return undefined;
    let pool = this.pools.get(node);
    if (!pool || formatCidr(pool.cidr) !== cidr) this.pools.set(node, (pool = new PodIpPool(cidr)));
    return pool;
  }

  private allocate(rec: PodRecord): string | undefined {
    const ip = this.pool(rec.node)?.allocate();
    if (ip) rec.ip = ip;
    return ip;
  }

  private release(rec: PodRecord): void {
    if (rec.ip) this.pools.get(rec.node)?.release(rec.ip);
    delete rec.ip;
  }

  private write(pod: Pod, status: PodStatus): void {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    void this.limiter.run(() => this.patchStatus(pod, status)).catch((e: unknown) => this.failed(`writing the status of pod ${key}`, e));
  }

  /** False when the pod is gone. Conflicts are retried with a short backoff. */
  private async patchStatus(pod: Pod, status: PodStatus): Promise<boolean> {
    const meta = pod.metadata ?? {};
    for (let attempt = 0; ; attempt++) {
      try {
        await this.o.client.patch(podsResource, meta.name ?? '', { metadata: { uid: meta.uid }, status }, 'strategic', {
          namespace: meta.namespace ?? '',
          subresource: 'status',
          signal: this.signal,
        });
        this.stats.statusWrites++;
        return true;
      } catch (e) {
        if (isApiError(e, 404)) return false;
        if (!isApiError(e, 409) || attempt >= 4) throw e;
        await sleep(50 * 2 ** attempt * (0.5 + this.o.random()), this.signal);
      }
    }
  }

  private failed(what: string, e: unknown): void {
    if (this.signal.aborted) return;
    this.stats.writeErrors++;
    this.o.onError(new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
  }
}
