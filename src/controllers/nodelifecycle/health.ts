// Node health from heartbeats, as upstream's tryUpdateNodeHealth. A node is heard from when its
// Ready condition's lastHeartbeatTime changes or its Lease in kube-node-lease is renewed; the
// moment is taken from our own clock when we observe the change (never from the kubelet's
// timestamps, so clock skew between machines does not matter). A node not heard from within the
// grace period (the startup grace period while it has never posted a Ready condition) gets its
// Ready, MemoryPressure, DiskPressure and PIDPressure conditions set to Unknown.
//
// Contract: `evaluate` returns the conditions to write (if any); the caller writes them and then
// calls `committed` so the record matches what the API now holds. Not for concurrent use on one
// node (the controller's workqueue serializes a node's key).

import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';

export interface HealthOptions {
  now(): number;
  /** `--node-monitor-grace-period` (upstream 40 s). */
  gracePeriodMs: number;
  /** `--node-startup-grace-period` (upstream 60 s): for a node that never posted Ready. */
  startupGracePeriodMs: number;
}

interface HealthRecord {
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition we last saw (heartbeat and transition as the API holds them). */
  saved: { heartbeat: string; transition: string } | undefined;
  leaseRenew: number | undefined;
}

export interface HealthVerdict {
  /** The Ready condition as the node had it (a synthesized Unknown if it never posted one). */
  observed: NodeCondition;
  /** The Ready condition after this evaluation. */
  current: NodeCondition | undefined;
  /** The node's full new conditions list when they must be written. */
  update?: NodeCondition[];
  /** Milliseconds until the node would turn stale if not heard from (0 once stale). */
  remainingMs: number;
}

const unknownTypes = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

function ts(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export class NodeHealth {
  private readonly records = new Map<string, HealthRecord>();

  constructor(private readonly opts: HealthOptions) {}

  evaluate(node: Node, lease: Lease | undefined): HealthVerdict {
    const name = node.metadata?.name ?? '';
    const now = this.opts.now();
    const created = node.metadata?.creationTimestamp ?? '';
    const conditions = node.status?.conditions ?? [];
    const current = conditions.find((c) => c.type === 'Ready');
    let rec = this.records.get(name);
    let grace: number;
    let observed: NodeCondition;
    if (!current) {
      observed = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: created, lastTransitionTime: created };
      grace = this.opts.startupGracePeriodMs;
      if (rec) rec.saved = undefined;
      else rec = { probeTimestamp: ts(created), readyTransitionTimestamp: ts(created), saved: undefined, leaseRenew: undefined };
    } else {
      observed = { ...current };
      grace = this.opts.gracePeriodMs;
      const seen = { heartbeat: current.lastHeartbeatTime ?? '', transition: current.lastTransitionTime ?? '' };
      if (!rec || !rec.saved) {
        rec = { probeTimestamp: now, readyTransitionTimestamp: now, saved: seen, leaseRenew: rec?.leaseRenew };
      } else if (rec.saved.heartbeat !== seen.heartbeat) {
        const transition = rec.saved.transition !== seen.transition ? now : rec.readyTransitionTimestamp;
        rec = { probeTimestamp: now, readyTransitionTimestamp: transition, saved: seen, leaseRenew: rec.leaseRenew };
      }
    }
    const renew = ts(lease?.spec?.renewTime);
    if (lease && renew > 0 && (rec.leaseRenew === undefined || rec.leaseRenew < renew)) {
      rec.leaseRenew = renew;
      rec.probeTimestamp = now;
    }
    this.records.set(name, rec);

    const remainingMs = Math.max(0, rec.probeTimestamp + grace - now);
    if (now <= rec.probeTimestamp + grace) return { observed, current, remainingMs };

    const nowIso = rfc3339(now);
    const next = conditions.map((c) => ({ ...c }));
    for (const type of unknownTypes) {
      const c = next.find((x) => x.type === type);
      if (!c) {
        next.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: created, lastTransitionTime: nowIso });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = nowIso;
      }
    }
    const nextReady = next.find((c) => c.type === 'Ready');
    if (JSON.stringify(nextReady) === JSON.stringify(current)) return { observed, current, remainingMs: 0 };
    return { observed, current: nextReady, update: next, remainingMs: 0 };
  }

  /** After the `update` of `evaluate` was written: remember the Ready condition it wrote. */
  committed(name: string, conditions: readonly NodeCondition[]): void {
    const rec = this.records.get(name);
    const ready = conditions.find((c) => c.type === 'Ready');
    if (!rec || !ready) return;
    rec.saved = { heartbeat: ready.lastHeartbeatTime ?? '', transition: ready.lastTransitionTime ?? '' };
    rec.readyTransitionTimestamp = this.opts.now();
  }

  forget(name: string): void {
    this.records.delete(name);
  }
}
