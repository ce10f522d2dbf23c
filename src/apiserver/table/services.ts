// Services (TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE + wide SELECTOR), Endpoints and EndpointSlices.

import type { Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { formatLabels } from '../../api/selectors/labels.js';
import { doc } from './descriptions.js';
import { age, ageColumn, arr, col, joinHostPort, listWithMore, nameColumn, nameOf, typed, wide } from './common.js';
import type { Obj, Printer, TableCell } from './types.js';

/** Load-balancer ingress IPs (or hostnames), sorted and unique. Never clipped: the server prints wide. */
function loadBalancerIngress(svc: Service): string {
  const out = new Set<string>();
  for (const i of arr(svc.status?.loadBalancer?.ingress)) {
    if (i.ip) out.add(i.ip);
    else if (i.hostname) out.add(i.hostname);
  }
  return [...out].sort().join(',');
}

export function serviceExternalIP(svc: Service): string {
  const externalIPs = arr(svc.spec?.externalIPs);
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** '80/TCP', or '80:30080/TCP' with a node port. */
export function servicePorts(ports: ServicePort[] | undefined): string {
  return arr(ports)
    .map((p) => {
      const proto = p.protocol ?? 'TCP';
      return p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${proto}` : `${p.port}/${proto}`;
    })
    .join(',');
}

function serviceCells(obj: Obj, now: number): TableCell[] {
  const svc = typed<Service>(obj);
  const clusterIPs = arr(svc.spec?.clusterIPs);
  const clusterIP = (clusterIPs.length > 0 ? clusterIPs[0] : svc.spec?.clusterIP) || '<none>';
  return [
    nameOf(obj),
    svc.spec?.type ?? 'ClusterIP',
    clusterIP,
    serviceExternalIP(svc),
    servicePorts(svc.spec?.ports) || '<none>',
    age(obj, now),
    formatLabels(svc.spec?.selector),
  ];
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn,
    col('Type', 'string', doc['ServiceSpec.type']),
    col('Cluster-IP', 'string', doc['ServiceSpec.clusterIP']),
    col('External-IP', 'string', doc['ServiceSpec.externalIPs']),
    col('Port(s)', 'string', doc['ServiceSpec.ports']),
    ageColumn,
    wide(col('Selector', 'string', doc['ServiceSpec.selector'])),
  ],
  cells: serviceCells,
};

/** formatEndpoints: up to three 'ip:port' (bare ip for port-less subsets), then ' + N more...'. */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = arr(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  let more = false;
  const add = (s: string): boolean => {
    if (list.length === max) {
      more = true;
      return false;
    }
    list.push(s);
    return true;
  };
  for (const ss of subsets) {
    const addrs = arr(ss.addresses);
    const ports = arr(ss.ports);
    if (ports.length === 0) {
      count += addrs.length;
      for (const a of addrs) if (!add(a.ip)) break;
      continue;
    }
    for (const p of ports) {
      count += addrs.length;
      for (const a of addrs) if (!add(joinHostPort(a.ip, p.port))) break;
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn, col('Endpoints', 'string', doc['Endpoints.subsets']), ageColumn],
  cells: (obj, now) => [nameOf(obj), formatEndpoints(typed<Endpoints>(obj)), age(obj, now)],
};

function slicePorts(slice: EndpointSlice): string {
  return listWithMore(arr(slice.ports).map((p) => (p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? '*'))));
}

function sliceEndpoints(slice: EndpointSlice): string {
  return listWithMore(arr(slice.endpoints).flatMap((e) => arr(e.addresses)));
}

export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn,
    col('AddressType', 'string', doc['EndpointSlice.addressType']),
    col('Ports', 'string', doc['EndpointSlice.ports']),
    col('Endpoints', 'string', doc['EndpointSlice.endpoints']),
    ageColumn,
  ],
  cells: (obj, now) => {
    const slice = typed<EndpointSlice>(obj);
    return [nameOf(obj), slice.addressType ?? '', slicePorts(slice), sliceEndpoints(slice), age(obj, now)];
  },
};
