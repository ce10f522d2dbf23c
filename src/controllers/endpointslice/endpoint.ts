// How a Service's endpoints are derived from pods, shared by the EndpointSlice and Endpoints
// controllers: which pods count (upstream's ShouldPodBeInEndpoints), their readiness, the ports a
// service port resolves to on a pod (FindPort), the hostname rule (ShouldSetHostname) and the
// EndpointSlice form of one pod (podToEndpoint). Pure functions of the objects they are given.

import type { Node, Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import { isPodReady, isPodTerminal } from '../../api/pods.js';
import type { KObject } from '../../apiserver/object.js';
import { keyOf, type Indexer } from '../../client/indexer.js';

/** Views a cached object as its kubernetes-types shape (the cache holds decoded API objects). */
export function typed<T>(obj: KObject): T {
  return obj as unknown as T;
}

export type AddressType = 'IPv4' | 'IPv6';

export const labelServiceName = 'kubernetes.io/service-name';
export const labelManagedBy = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const labelHeadless = 'service.kubernetes.io/headless';
export const labelZone = 'topology.kubernetes.io/zone';
export const annotationTriggerTime = 'endpoints.kubernetes.io/last-change-trigger-time';

/** A selector-less (or empty-selector) Service gets no endpoints from the controllers. */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/** The keys of the Services (in a store with the `namespace` index) whose selector selects `pod`. */
export function servicesSelecting(services: Pick<Indexer, 'byIndex'>, pod: KObject): string[] {
  return services
    .byIndex('namespace', pod.metadata.namespace ?? '')
    .filter((s) => {
      const sel = serviceSelector(typed<Service>(s));
      return sel !== undefined && selects(sel, pod.metadata.labels);
    })
    .map(keyOf);
}

/** Whether the pod belongs in a Service's endpoints at all (ready or not). */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).some((p) => p.ip)) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  return true;
}

export function isServiceIpSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return ip !== undefined && ip !== '' && ip !== 'None';
}

/** A pod's hostname is published when its subdomain names the Service (same namespace). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/** The pod's IPs of one family, in the pod's order. */
export function podAddresses(pod: Pod, addressType: AddressType): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.filter((ip) => isIPv6(ip) === (addressType === 'IPv6'));
}

/** The address types a Service's slices carry: its ipFamilies, else the family of its clusterIP, else both. */
export function serviceAddressTypes(svc: Service): AddressType[] {
  const out = new Set<AddressType>();
  for (const f of svc.spec?.ipFamilies ?? []) {
    if (f === 'IPv4') out.add('IPv4');
    if (f === 'IPv6') out.add('IPv6');
  }
  if (out.size > 0) return [...out];
  if (isServiceIpSet(svc)) return [isIPv6(svc.spec?.clusterIP ?? '') ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/**
 * The container port a service port targets on this pod: a number as is, a name looked up among
 * the containers' (and restartable init containers') named ports of the same protocol.
 */
export function findPort(pod: Pod, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  const protocol = svcPort.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...(pod.spec?.containers ?? []), ...sidecars]) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/** The ports this pod serves for the Service; service ports it cannot resolve are left out. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** Identifies a set of ports regardless of order: slices are grouped by it. */
export function portMapKey(ports: readonly EndpointPort[]): string {
  const norm = ports.map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? ''] as const);
  norm.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return JSON.stringify(norm);
}

/**
 * One pod as an EndpointSlice endpoint. `serving` is the pod's readiness, `terminating` its
 * deletion; `ready` is serving and not terminating, or always true with publishNotReadyAddresses.
 */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podAddresses(pod, addressType),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
  };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec?.hostname ?? '';
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[labelZone];
  if (zone) ep.zone = zone;
  return ep;
}

/** An endpoint's identity across syncs: the pod it stands for and its addresses. */
export function endpointKey(ep: Endpoint): string {
  const ref = ep.targetRef;
  return `${ref?.namespace ?? ''}/${ref?.name ?? ''}|${[...ep.addresses].sort().join(',')}`;
}

/** Go's RFC3339Nano in UTC: fractional seconds only when non-zero, trailing zeros dropped. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

/** Seconds-precision RFC3339, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
