// The EndpointSlice packing plan for one Service and address type, as upstream's reconciler: what
// to create, update and delete so the slices hold exactly the desired endpoints, with little
// churn.
//
// For each group of endpoints sharing one set of ports:
//   1. every existing slice keeps the endpoints still desired (taking their new form); a slice
//      left empty is deleted, a changed one updated;
//   2. endpoints still to place first fill the slices already being updated, fullest first;
//   3. the rest go, when fewer than a slice's worth, into the unchanged slice they fill best,
//      else into new slices.
// Slices of port sets no longer desired are deleted. A Service with no endpoints keeps one empty
// placeholder slice. Finally, a slice to create reuses (updates) a slice that would be deleted.
// Pure: the inputs are never modified.

import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { newControllerRef } from '../../api/ownerrefs.js';
import { controllerName, endpointKey, isServiceIpSet, labelHeadless, labelManagedBy, labelServiceName, portMapKey, type AddressType } from './endpoint.js';

export interface DesiredGroup {
  ports: EndpointPort[];
  /** By endpointKey, in the order they should be placed. */
  endpoints: Map<string, Endpoint>;
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

const reserved = new Set([labelServiceName, labelManagedBy, labelHeadless]);

/** The labels the Service's slices carry: its own (reserved keys skipped) plus the controller's. */
export function sliceLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) if (!reserved.has(k)) out[k] = v;
  if (!isServiceIpSet(svc)) out[labelHeadless] = '';
  out[labelServiceName] = svc.metadata?.name ?? '';
  out[labelManagedBy] = controllerName;
  return out;
}

export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata?.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

export function newSlice(svc: Service, ports: EndpointPort[], addressType: AddressType): EndpointSlice {
  const name = svc.metadata?.name ?? '';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${name}-`,
      namespace: svc.metadata?.namespace ?? '',
      labels: sliceLabels(svc),
      ownerReferences: [newControllerRef({ apiVersion: 'v1', kind: 'Service', metadata: { name, uid: svc.metadata?.uid ?? '' } })],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** Field order fixed, absent fields omitted: equal endpoints compare equal whatever their origin. */
function canonical(ep: Endpoint): string {
  const c = ep.conditions ?? {};
  const r = ep.targetRef;
  return JSON.stringify([
    ep.addresses,
    [c.ready ?? null, c.serving ?? null, c.terminating ?? null],
    ep.hostname ?? null,
    ep.nodeName ?? null,
    ep.zone ?? null,
    r ? [r.kind ?? '', r.namespace ?? '', r.name ?? '', r.uid ?? ''] : null,
    ep.hints ?? null,
  ]);
}

export function endpointsEqual(a: Endpoint, b: Endpoint): boolean {
  return canonical(a) === canonical(b);
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b).length && ak.every((k) => a?.[k] === b[k]);
}

function copy(slice: EndpointSlice): EndpointSlice {
  return structuredClone(slice);
}

/** A copy of `slice` with the given labels (and endpoints). */
function revised(slice: EndpointSlice, labels: Record<string, string>, endpoints?: Endpoint[]): EndpointSlice {
  const c = copy(slice);
  c.metadata = { ...c.metadata, labels };
  if (endpoints) c.endpoints = endpoints;
  return c;
}

function isPlaceholder(slice: EndpointSlice, svc: Service, addressType: AddressType): boolean {
  return (
    slice.addressType === addressType &&
    (slice.ports ?? []).length === 0 &&
    (slice.endpoints ?? []).length === 0 &&
    ownedBy(slice, svc) &&
    labelsEqual(slice.metadata?.labels, sliceLabels(svc))
  );
}

/** The unchanged slice closest to full once `n` more endpoints are added (none if none fits). */
function sliceToFill(slices: EndpointSlice[], n: number, max: number): EndpointSlice | undefined {
  let best: EndpointSlice | undefined;
  let bestDiff = max;
  for (const s of slices) {
    const diff = max - (n + (s.endpoints ?? []).length);
    if (diff >= 0 && diff < bestDiff) {
      best = s;
      bestDiff = diff;
      if (diff === 0) break;
    }
  }
  return best;
}

function planGroup(svc: Service, addressType: AddressType, existing: EndpointSlice[], group: DesiredGroup, max: number): SlicePlan {
  const desired = new Map(group.endpoints);
  const labels = sliceLabels(svc);
  const toUpdate = new Map<string, EndpointSlice>();
  const unchanged = new Map<string, EndpointSlice>();
  const toDelete: EndpointSlice[] = [];
  for (const slice of existing) {
    const name = slice.metadata?.name ?? '';
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const key = endpointKey(ep);
      const want = desired.get(key);
      if (!want) continue;
      kept.push(want);
      if (!endpointsEqual(want, ep)) changed = true;
      desired.delete(key);
    }
    const labelsChanged = !labelsEqual(slice.metadata?.labels, labels);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.push(slice);
      else toUpdate.set(name, revised(slice, labels, kept));
    } else if (labelsChanged) {
      toUpdate.set(name, revised(slice, labels));
    } else {
      unchanged.set(name, slice);
    }
  }
  const take = (slice: EndpointSlice) => {
    const eps = (slice.endpoints ??= []);
    for (const [key, ep] of desired) {
      if (eps.length >= max) break;
      eps.push(ep);
      desired.delete(key);
    }
  };
  // 2. Fill the slices being updated anyway, fullest first.
  if (desired.size > 0) {
    const bySize = [...toUpdate.values()].sort((a, b) => (b.endpoints ?? []).length - (a.endpoints ?? []).length);
    for (const s of bySize) take(s);
  }
  // 3. The rest: into one unchanged slice if it fits, else into new slices.
  const create: EndpointSlice[] = [];
  while (desired.size > 0) {
    const fit = desired.size < max ? sliceToFill([...unchanged.values()], desired.size, max) : undefined;
    const target = fit ? copy(fit) : newSlice(svc, group.ports, addressType);
    take(target);
    const name = target.metadata?.name;
    if (name) {
      unchanged.delete(name);
      toUpdate.set(name, target);
    } else {
      create.push(target);
    }
  }
  return { create, update: [...toUpdate.values()], delete: toDelete };
}

/**
 * The plan for one address type. `existing` are the slices of that address type the controller
 * manages for the Service (those owned by another object of the same name are deleted).
 */
export function planSlices(svc: Service, addressType: AddressType, existing: EndpointSlice[], desired: Map<string, DesiredGroup>, max: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      plan.delete.push(s);
      continue;
    }
    const key = portMapKey(s.ports ?? []);
    byPorts.set(key, [...(byPorts.get(key) ?? []), s]);
  }
  for (const [key, group] of desired) {
    const p = planGroup(svc, addressType, byPorts.get(key) ?? [], group, max);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  for (const [key, slices] of byPorts) if (!desired.has(key)) plan.delete.push(...slices);

  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const only = plan.delete.length === 1 ? plan.delete[0] : undefined;
    if (only && isPlaceholder(only, svc, addressType)) plan.delete = [];
    else plan.create.push(newSlice(svc, [], addressType));
  }

  // A slice about to be deleted is reused for one about to be created.
  const keep: EndpointSlice[] = [];
  for (const old of plan.delete) {
    const fresh = plan.create.length > 0 && old.addressType === addressType && ownedBy(old, svc) ? plan.create.pop() : undefined;
    if (!fresh) {
      keep.push(old);
      continue;
    }
    plan.update.push({ ...fresh, metadata: { ...copy(old).metadata, labels: fresh.metadata?.labels ?? {}, ownerReferences: fresh.metadata?.ownerReferences ?? [] } });
  }
  plan.delete = keep;
  return plan;
}
