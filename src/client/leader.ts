// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate
// takes the lease when it is free or its holder has not renewed it within leaseDuration, renews
// it every retryPeriod, and gives leadership up when it could not renew within renewDeadline.
// Expiry is judged by when this candidate last saw the lease change (its own clock), never by
// comparing the holder's timestamps with ours, so clock skew between machines does not matter.
// Every write is a compare-and-swap on resourceVersion: two candidates never both win.

import { builtinResources } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import type { Client } from './client.js';
import { isApiError, sleep } from './transport.js';

const leases = builtinResources.find((r) => r.group === 'coordination.k8s.io' && r.kind === 'Lease')!;

export interface LeaderElectionConfig {
  client: Client;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Clear the holder on stop, so the next candidate need not wait for expiry. */
  releaseOnCancel?: boolean;
  /** Runs while this candidate leads; its signal aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  /** A failed attempt to read or write the lease (it is retried every retryPeriod). */
  onError?(err: unknown): void;
  now?: () => number;
}

type LeaseSpec = {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
};

/** metav1.MicroTime: RFC 3339 with microseconds. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Campaigns until `signal` aborts; leads whenever it holds the lease. */
export async function runLeaderElection(cfg: LeaderElectionConfig, signal: AbortSignal): Promise<void> {
  const leaseMs = cfg.leaseDurationMs ?? 15_000;
  const renewMs = cfg.renewDeadlineMs ?? 10_000;
  const retryMs = cfg.retryPeriodMs ?? 2_000;
  const now = cfg.now ?? Date.now;
  let observed: { rv: string; holder: string; at: number } | undefined;
  let lastLeader = '';

  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const t = now();
    let current: KObject | undefined;
    try {
      current = await cfg.client.get(leases, cfg.name, cfg.namespace, signal);
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
    }
    const mine: LeaseSpec = { holderIdentity: cfg.identity, leaseDurationSeconds: Math.ceil(leaseMs / 1000), renewTime: microTime(t) };
    if (!current) {
      await cfg.client.create(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: cfg.name, namespace: cfg.namespace }, spec: { ...mine, acquireTime: microTime(t), leaseTransitions: 0 } }, cfg.namespace, signal);
      observed = { rv: '', holder: cfg.identity, at: t };
      return true;
    }
    const spec = (current.spec ?? {}) as LeaseSpec;
    const holder = spec.holderIdentity ?? '';
    if (!observed || observed.rv !== current.metadata.resourceVersion) observed = { rv: current.metadata.resourceVersion ?? '', holder, at: t };
    if (holder !== lastLeader && holder) {
      lastLeader = holder;
      cfg.onNewLeader?.(holder);
    }
    const held = holder !== '' && holder !== cfg.identity && observed.at + (spec.leaseDurationSeconds ?? 0) * 1000 > t;
    if (held) return false;
    const next: LeaseSpec =
      holder === cfg.identity
        ? { ...spec, ...mine }
        : { ...mine, acquireTime: microTime(t), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      const updated = await cfg.client.update(leases, { ...current, spec: next });
      observed = { rv: updated.metadata.resourceVersion ?? '', holder: cfg.identity, at: t };
      return true;
    } catch (e) {
      if (isApiError(e, 409)) return false;
      throw e;
    }
  };

  const attempt = async (): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew();
    } catch (e) {
      if (!signal.aborted) cfg.onError?.(e);
      return false;
    }
  };

  while (!signal.aborted) {
    // Campaign.
    while (!signal.aborted && !(await attempt())) await sleep(retryMs, signal).catch(() => undefined);
    if (signal.aborted) break;
    if (lastLeader !== cfg.identity) {
      lastLeader = cfg.identity;
      cfg.onNewLeader?.(cfg.identity);
    }
    // Lead, renewing until a renewal fails for longer than renewDeadline.
    const leading = new AbortController();
    const stop = () => leading.abort();
    signal.addEventListener('abort', stop, { once: true });
    cfg.onStartedLeading(leading.signal);
    let lastRenew = now();
    while (!signal.aborted) {
      await sleep(retryMs, signal).catch(() => undefined);
      if (signal.aborted) break;
      if (await attempt()) lastRenew = now();
      else if (now() - lastRenew > renewMs) break;
    }
    signal.removeEventListener('abort', stop);
    leading.abort();
    cfg.onStoppedLeading?.();
    if (signal.aborted && cfg.releaseOnCancel) await release(cfg).catch(() => undefined);
  }
}

async function release(cfg: LeaderElectionConfig): Promise<void> {
  const current = await cfg.client.get(leases, cfg.name, cfg.namespace);
  const spec = (current.spec ?? {}) as LeaseSpec;
  if (spec.holderIdentity !== cfg.identity) return;
  await cfg.client.update(leases, { ...current, spec: { ...spec, holderIdentity: '', leaseDurationSeconds: 1 } });
}
