// The typed view of a CNI ADD result (spec "Success" result, versions 0.3.0 – 1.0.0: the shapes
// are the same except that 0.3.x/0.4.0 IP entries carry a "version" field). The raw object is
// kept alongside because it, not our view, is what the runtime hands back to plugins as
// prevResult on CHECK and DEL.

import type { JsonObject } from '../../network/cni-config.js';

export interface CniInterface {
  name: string;
  mac?: string;
  /** The namespace path for interfaces inside the container; absent for host interfaces. */
  sandbox?: string;
}

export interface CniIPConfig {
  /** CIDR notation, e.g. 10.88.0.5/16. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDNS {
  nameservers: string[];
  domain?: string;
  search: string[];
  options: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIPConfig[];
  routes: CniRoute[];
  dns: CniDNS;
  /** Exactly what the last plugin printed; fed back as prevResult. */
  raw: JsonObject;
}

/** Validates a plugin's result object; throws saying which field is wrong. */
export function parseCniResult(raw: JsonObject): CniResult {
  const cniVersion = raw.cniVersion;
  if (typeof cniVersion !== 'string') throw new Error('CNI result has no cniVersion');
  if (raw.ip4 !== undefined || raw.ip6 !== undefined) {
    throw new Error(`CNI result version ${cniVersion} (ip4/ip6 form) is not supported; configure cniVersion 0.3.0 or later`);
  }
  const interfaces = arrayOf(raw.interfaces, 'interfaces').map((v, i) => {
    const o = objectAt(v, `interfaces[${i}]`);
    const itf: CniInterface = { name: stringAt(o.name, `interfaces[${i}].name`) };
    if (typeof o.mac === 'string') itf.mac = o.mac;
    if (typeof o.sandbox === 'string' && o.sandbox !== '') itf.sandbox = o.sandbox;
    return itf;
  });
  const ips = arrayOf(raw.ips, 'ips').map((v, i) => {
    const o = objectAt(v, `ips[${i}]`);
    const ip: CniIPConfig = { address: stringAt(o.address, `ips[${i}].address`) };
    if (typeof o.gateway === 'string') ip.gateway = o.gateway;
    if (typeof o.interface === 'number') ip.interface = o.interface;
    return ip;
  });
  const routes = arrayOf(raw.routes, 'routes').map((v, i) => {
    const o = objectAt(v, `routes[${i}]`);
    const r: CniRoute = { dst: stringAt(o.dst, `routes[${i}].dst`) };
    if (typeof o.gw === 'string') r.gw = o.gw;
    return r;
  });
  const d = raw.dns !== undefined && raw.dns !== null ? objectAt(raw.dns, 'dns') : {};
  const dns: CniDNS = {
    nameservers: strings(d.nameservers),
    search: strings(d.search),
    options: strings(d.options),
  };
  if (typeof d.domain === 'string') dns.domain = d.domain;
  return { cniVersion, interfaces, ips, routes, dns, raw };
}

/**
 * The pod's addresses as CRI reports them: addresses of `ifName` inside the sandbox (all
 * addresses when none names an interface), IPv4 first as containerd orders them, without the
 * prefix length.
 */
export function podIPs(result: CniResult, ifName: string): string[] {
  const onIf = result.ips.filter((ip) => {
    if (ip.interface === undefined) return true;
    const itf = result.interfaces[ip.interface];
    return itf !== undefined && itf.name === ifName && itf.sandbox !== undefined;
  });
  const chosen = onIf.length > 0 ? onIf : result.ips;
  const bare = chosen.map((ip) => ip.address.split('/')[0] ?? ip.address);
  return [...bare.filter((a) => !a.includes(':')), ...bare.filter((a) => a.includes(':'))];
}

function arrayOf(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new Error(`CNI result field ${what} must be an array`);
  return v;
}

function objectAt(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`CNI result field ${what} must be an object`);
  return v as Record<string, unknown>;
}

function stringAt(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`CNI result field ${what} must be a non-empty string`);
  return v;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}
