// The simulated nodes' kubelet half that is not about pods: registration (or adoption of nodes that
// already exist), Lease heartbeats and node status reports.
//
// Contract:
// - `register()` creates every node with its full status (an existing node of that name is
//   adopted: the sim's labels are added and its status posted) and its Lease, then resolves.
// - `startHeartbeats()` renews each Lease every `renewIntervalMs`, node i at offset
//   i/N of the interval, from one Timeline (no timer per node), with at most `nodeConcurrency`
//   writes in flight. A renewal is a PUT with the Lease's last known resourceVersion; a conflict
//   or a missing Lease is repaired with one GET or create. A node whose previous renewal is still
//   in flight skips its turn rather than piling up.
// - At each renewal the node status is posted (a strategic-merge patch of the conditions) only
//   if the conditions in the API differ from a healthy kubelet's, or `statusReportMs` has passed
//   since the last post: upstream's nodeStatusReportFrequency.
// - `pause(name)` stops that node's heartbeats (Lease and status), as a dead kubelet would;
//   `resume(name)` renews at once and posts status.

import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { builtinResources, type ResourceInfo } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import { Informer } from '../client/informer.js';
import { isApiError } from '../client/transport.js';
import { fakePodCidr, nodeInternalIP } from './ipam.js';
import type { Limiter } from './limiter.js';
import { buildLease, buildNode, conditionsDiffer, leaseNamespace, nodeConditions, nodeLabels, nodeName, nodeStatus, renewOffset } from './node.js';
import { simLabel, type ResolvedSimOptions } from './options.js';
import type { Timeline } from './timeline.js';

const resource = (group: string, kind: string): ResourceInfo => builtinResources.find((r) => r.group === group && r.kind === kind) as ResourceInfo;
export const nodesResource = resource('', 'Node');
export const leasesResource = resource('coordination.k8s.io', 'Lease');

export interface SimNode {
  readonly name: string;
  readonly index: number;
  readonly ip: string;
  readonly fakePodCidr: string;
  uid: string;
  leaseRv: string | undefined;
  leaseBusy: boolean;
  statusBusy: boolean;
  lastStatusPost: number;
  paused: boolean;
}

export interface FleetStats {
  leaseRenewals: number;
  leaseErrors: number;
  leaseSkips: number;
  statusPosts: number;
}

export class NodeFleet {
  readonly nodes = new Map<string, SimNode>();
  readonly informer: Informer;
  readonly stats: FleetStats = { leaseRenewals: 0, leaseErrors: 0, leaseSkips: 0, statusPosts: 0 };
  private running = false;

  constructor(
    private readonly o: ResolvedSimOptions,
    private readonly timeline: Timeline,
    private readonly limiter: Limiter,
    private readonly signal: AbortSignal,
  ) {
    for (let i = 0; i < o.nodes; i++) {
      const name = nodeName(o.namePrefix, i);
      this.nodes.set(name, {
        name,
        index: i,
        ip: nodeInternalIP(i, o.nodeIpRange),
        fakePodCidr: fakePodCidr(i, o.nodes, o.podIpPool),
        uid: '',
        leaseRv: undefined,
        leaseBusy: false,
        statusBusy: false,
        lastStatusPost: -Infinity,
        paused: false,
      });
    }
    this.informer = new Informer({ client: o.client, resource: nodesResource, labelSelector: `${simLabel}=true`, onError: o.onError });
  }

  /** The pod range of a node: its spec.podCIDR (IPv4) once set, else its fake /24. */
  podCidr(name: string): string | undefined {
    const n = this.nodes.get(name);
    if (!n) return undefined;
    const spec = this.informer.store.get(name)?.spec as { podCIDR?: string } | undefined;
    return spec?.podCIDR && !spec.podCIDR.includes(':') ? spec.podCIDR : n.fakePodCidr;
  }

  async register(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => this.limiter.run(() => this.registerOne(n))));
  }

  startHeartbeats(): void {
    this.running = true;
    const t0 = this.o.clock.now();
    for (const n of this.nodes.values()) if (!n.paused) this.schedule(n, t0 + renewOffset(n.index, this.o.nodes, this.o.renewIntervalMs));
  }

  stopHeartbeats(): void {
    this.running = false;
    for (const n of this.nodes.values()) this.timeline.cancel(`lease:${n.name}`);
  }

  pause(name: string): void {
    const n = this.mustGet(name);
    n.paused = true;
    this.timeline.cancel(`lease:${name}`);
  }

  resume(name: string): void {
    const n = this.mustGet(name);
    if (!n.paused) return;
    n.paused = false;
    n.lastStatusPost = -Infinity;
    if (this.running) this.schedule(n, this.o.clock.now());
  }

  /** Deletes every node (their Leases go with them: the garbage collector follows the ownerReference). */
  async deleteAll(): Promise<void> {
    await Promise.all(
      [...this.nodes.values()].map((n) =>
        this.limiter.run(async () => {
          try {
            await this.o.client.delete(nodesResource, n.name, n.uid ? { preconditions: { uid: n.uid } } : {});
          } catch (e) {
            if (!isApiError(e, 404) && !isApiError(e, 409)) this.o.onError(new Error(`deleting node ${n.name}: ${(e as Error).message}`));
          }
        }),
      ),
    );
  }

  private mustGet(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`${name} is not a node of this simulation`);
    return n;
  }

  private async registerOne(n: SimNode): Promise<void> {
    const { client } = this.o;
    const now = this.o.clock.now();
    try {
      const created = await client.create(nodesResource, buildNode(n.name, n.index, this.o, now), undefined, this.signal);
      n.uid = created.metadata.uid ?? '';
    } catch (e) {
      if (!isApiError(e, 409)) throw new Error(`registering node ${n.name}: ${(e as Error).message}`, { cause: e });
      const existing = await client.get(nodesResource, n.name, undefined, this.signal);
      n.uid = existing.metadata.uid ?? '';
      const want = nodeLabels(n.name, n.index, this.o);
      const have = existing.metadata.labels ?? {};
      if (Object.entries(want).some(([k, v]) => have[k] !== v)) {
        await client.patch(nodesResource, n.name, { metadata: { labels: want } }, 'merge', { signal: this.signal });
      }
      const prev = (existing.status as { conditions?: NodeCondition[] } | undefined)?.conditions;
      await client.patch(nodesResource, n.name, { status: nodeStatus(n.name, n.index, this.o, now, prev) }, 'strategic', { subresource: 'status', signal: this.signal });
    }
    n.lastStatusPost = now;
    await this.renewLease(n);
  }

  private schedule(n: SimNode, at: number): void {
    this.timeline.schedule(`lease:${n.name}`, at, () => this.tick(n, at));
  }

  private tick(n: SimNode, due: number): void {
    if (!this.running || n.paused) return;
    const interval = this.o.renewIntervalMs;
    const now = this.o.clock.now();
    // Keep the node's phase in the interval even when the process stalled past several turns.
    const next = due + interval * Math.max(1, Math.ceil((now - due) / interval));
    this.schedule(n, next);
    if (n.leaseBusy) {
      this.stats.leaseSkips++;
    } else {
      n.leaseBusy = true;
      void this.limiter
        .run(() => this.renewLease(n))
        .catch((e: unknown) => this.failed(`renewing the lease of ${n.name}`, e))
        .finally(() => (n.leaseBusy = false));
    }
    this.maybePostStatus(n, now);
  }

  private async renewLease(n: SimNode): Promise<void> {
    const { client, leaseDurationSeconds } = this.o;
    const lease = () => buildLease(n.name, n.uid, leaseDurationSeconds, this.o.clock.now(), n.leaseRv);
    let written: KObject;
    try {
      written = n.leaseRv ? await client.update(leasesResource, lease(), this.signal) : await client.create(leasesResource, lease(), leaseNamespace, this.signal);
    } catch (e) {
      if (isApiError(e, 409)) {
        // Someone else wrote it (or a previous run created it): learn its version, write once more.
        const cur = await client.get(leasesResource, n.name, leaseNamespace, this.signal);
        n.leaseRv = cur.metadata.resourceVersion;
        written = await client.update(leasesResource, lease(), this.signal);
      } else if (isApiError(e, 404)) {
        n.leaseRv = undefined;
        written = await client.create(leasesResource, lease(), leaseNamespace, this.signal);
      } else {
        throw e;
      }
    }
    n.leaseRv = written.metadata.resourceVersion;
    this.stats.leaseRenewals++;
  }

  private maybePostStatus(n: SimNode, now: number): void {
    if (n.statusBusy) return;
    const current = this.informer.store.get(n.name);
    if (!current) return;
    const prev = (current.status as { conditions?: NodeCondition[] } | undefined)?.conditions;
    if (now - n.lastStatusPost < this.o.statusReportMs && !conditionsDiffer(prev)) return;
    n.statusBusy = true;
    void this.limiter
      .run(async () => {
        await this.o.client.patch(nodesResource, n.name, { status: { conditions: nodeConditions(now, prev) } }, 'strategic', { subresource: 'status', signal: this.signal });
        n.lastStatusPost = now;
        this.stats.statusPosts++;
      })
      .catch((e: unknown) => this.failed(`posting the status of ${n.name}`, e))
      .finally(() => (n.statusBusy = false));
  }

  private failed(what: string, e: unknown): void {
    if (this.signal.aborted) return;
    if (what.startsWith('renewing')) this.stats.leaseErrors++;
    this.o.onError(new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
  }
}
