// The core/v1 Endpoints form of a Service's pods, as upstream's endpoints controller builds it:
// one address per pod (ready → addresses, otherwise notReadyAddresses; every address is "ready"
// with publishNotReadyAddresses), repacked so pods offering the same ports share a subset, and
// truncated to 1000 addresses (ready ones kept first, each subset keeping its share).
// Pure functions; output order is deterministic so an unchanged result compares equal.

import type { EndpointAddress, EndpointPort, EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isPodReady } from '../../api/pods.js';
import { findPort, isServiceIpSet, shouldPodBeInEndpoints, shouldSetHostname } from '../endpointslice/endpoint.js';

export const maxCapacity = 1000;
export const annotationOverCapacity = 'endpoints.kubernetes.io/over-capacity';

function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/** The pod's IP of the Service's (first) family, as upstream's podToEndpointAddressForService. */
export function podAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  const family = svc.spec?.ipFamilies?.[0];
  if (family) v6 = family === 'IPv6';
  else if (isServiceIpSet(svc)) v6 = isIPv6(svc.spec?.clusterIP ?? '');
  else v6 = isIPv6(pod.status?.podIP ?? '');
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  const ip = ips.find((i) => isIPv6(i) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' } };
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec?.hostname ?? '';
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  return addr;
}

/** The subsets for the Service's selected pods (already filtered by selector), repacked. */
export function buildSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const raw: EndpointSubset[] = [];
  const add = (pod: Pod, addr: EndpointAddress, ports: EndpointPort[]) => {
    if (publishNotReady || isPodReady(pod)) raw.push({ addresses: [addr], ports });
    else raw.push({ notReadyAddresses: [addr], ports });
  };
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const addr = podAddress(svc, pod);
    if (!addr) continue;
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (svc.spec?.clusterIP === 'None') add(pod, addr, []);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      add(pod, addr, [{ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) }]);
    }
  }
  return repackSubsets(raw);
}

const addrKey = (a: EndpointAddress) => `${a.ip}|${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort) => JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']);
const byAddress = (a: EndpointAddress, b: EndpointAddress) => (addrKey(a) < addrKey(b) ? -1 : addrKey(a) > addrKey(b) ? 1 : 0);

/**
 * Groups addresses by the exact set of ports they offer (an address ready for a port stays ready
 * even if also listed not-ready), as upstream's RepackSubsets; then sorts everything.
 */
export function repackSubsets(subsets: readonly EndpointSubset[]): EndpointSubset[] {
  const noPorts = '-';
  const addrs = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port: EndpointPort | undefined; ready: Map<string, boolean> }>();
  for (const s of subsets) {
    const ports = (s.ports ?? []).length > 0 ? (s.ports ?? []) : [undefined];
    for (const port of ports) {
      const pk = port ? portKey(port) : noPorts;
      let entry = byPort.get(pk);
      if (!entry) byPort.set(pk, (entry = { port, ready: new Map() }));
      for (const a of s.addresses ?? []) {
        addrs.set(addrKey(a), a);
        entry.ready.set(addrKey(a), true);
      }
      for (const a of s.notReadyAddresses ?? []) {
        if (!addrs.has(addrKey(a))) addrs.set(addrKey(a), a);
        if (!entry.ready.get(addrKey(a))) entry.ready.set(addrKey(a), false);
      }
    }
  }
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const key = JSON.stringify([...ready].sort());
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ready, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const subset: EndpointSubset = {};
    const ready = [...g.ready].filter(([, r]) => r).map(([k]) => addrs.get(k) as EndpointAddress).sort(byAddress);
    const notReady = [...g.ready].filter(([, r]) => !r).map(([k]) => addrs.get(k) as EndpointAddress).sort(byAddress);
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (g.ports.length) subset.ports = g.ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    out.push(subset);
  }
  return out.sort((a, b) => (subsetKey(a) < subsetKey(b) ? -1 : 1));
}

function subsetKey(s: EndpointSubset): string {
  return JSON.stringify([(s.ports ?? []).map(portKey), (s.addresses ?? []).map(addrKey), (s.notReadyAddresses ?? []).map(addrKey)]);
}

/** A form of subsets that compares equal however the API server serialized them. */
export function canonicalSubsets(subsets: readonly EndpointSubset[] | undefined): string {
  const a = (x: EndpointAddress) => [x.ip, x.hostname ?? '', x.nodeName ?? '', x.targetRef ? [x.targetRef.kind ?? '', x.targetRef.namespace ?? '', x.targetRef.name ?? '', x.targetRef.uid ?? ''] : null];
  return JSON.stringify((subsets ?? []).map((s) => [(s.addresses ?? []).map(a), (s.notReadyAddresses ?? []).map(a), (s.ports ?? []).map(portKey)]));
}

export function countAddresses(subsets: readonly EndpointSubset[] | undefined): number {
  return (subsets ?? []).reduce((n, s) => n + (s.addresses ?? []).length + (s.notReadyAddresses ?? []).length, 0);
}

/**
 * Cuts the subsets to `max` addresses in place; true if it had to. Ready addresses are kept
 * before not-ready ones, each subset keeping its proportional share (rounded up, the last
 * subsets taking what remains).
 */
export function truncateSubsets(subsets: EndpointSubset[], max = maxCapacity): boolean {
  let totalReady = 0;
  let totalNotReady = 0;
  for (const s of subsets) {
    totalReady += (s.addresses ?? []).length;
    totalNotReady += (s.notReadyAddresses ?? []).length;
  }
  if (totalReady + totalNotReady <= max) return false;
  const truncateReady = totalReady > max;
  const room = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let canAdd = room;
  for (const s of subsets) {
    const n = truncateReady ? (s.addresses ?? []).length : (s.notReadyAddresses ?? []).length;
    const share = Math.min(Math.ceil((n / total) * room), canAdd);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, share);
      delete s.notReadyAddresses;
      canAdd -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, share);
      canAdd -= s.notReadyAddresses.length;
    }
  }
  return true;
}
