// Cluster IP and NodePort allocation for Services, from --service-cidr and the NodePort range.
//
// The cluster's services (from the watch cache) are the record of what is allocated, so nothing
// needs releasing on delete. Allocations not yet visible in the cache are held as short-lived
// reservations, so two concurrent creates never receive the same address.

import ipaddr from 'ipaddr.js';
import { errors, field, type FieldError } from '../api/errors.js';
import type { KObject } from './object.js';

type Rec = Record<string, unknown>;

export interface ServiceAllocatorOptions {
  serviceCidr: string;
  nodePortRange: [number, number];
  /** The services that exist now. */
  listServices(): Iterable<KObject>;
}

const reservationMs = 30_000;

export class ServiceAllocator {
  private readonly base: number;
  private readonly size: number;
  private readonly reservedIps = new Map<string, number>();
  private readonly reservedPorts = new Map<number, number>();

  constructor(private readonly opts: ServiceAllocatorOptions) {
    const [addr, bits] = ipaddr.parseCIDR(opts.serviceCidr);
    if (addr.kind() !== 'ipv4') throw new Error(`--service-cidr ${opts.serviceCidr}: only IPv4 ranges are supported`);
    this.size = 2 ** (32 - bits);
    const n = toInt(addr.toString());
    this.base = n - (n % this.size);
    if (this.size < 8) throw new Error(`--service-cidr ${opts.serviceCidr} is too small`);
  }

  /** The first address of the range: the `kubernetes` service's cluster IP. */
  firstIp(): string {
    return fromInt(this.base + 1);
  }

  private used(): { ips: Set<string>; ports: Set<number> } {
    const now = Date.now();
    const ips = new Set<string>();
    const ports = new Set<number>();
    for (const [ip, exp] of this.reservedIps) (exp < now ? this.reservedIps.delete(ip) : ips.add(ip));
    for (const [p, exp] of this.reservedPorts) (exp < now ? this.reservedPorts.delete(p) : ports.add(p));
    for (const svc of this.opts.listServices()) {
      const spec = (svc.spec ?? {}) as Rec;
      for (const ip of (spec.clusterIPs as string[] | undefined) ?? []) ips.add(ip);
      for (const p of (spec.ports as Rec[] | undefined) ?? []) if (typeof p.nodePort === 'number') ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  /** Fills spec.clusterIP(s) and nodePorts; keeps what `old` had when the update leaves them out. */
  async allocate(svc: KObject, old: KObject | undefined, dryRun: boolean): Promise<void> {
    const spec = (svc.spec ?? (svc.spec = {})) as Rec;
    const oldSpec = (old?.spec ?? {}) as Rec;
    const type = (spec.type as string | undefined) ?? 'ClusterIP';
    const errs: FieldError[] = [];
    const { ips, ports } = this.used();
    if (old) {
      // Unchanged allocations stay; they are in `used` because `old` is a stored service.
      for (const ip of (oldSpec.clusterIPs as string[] | undefined) ?? []) ips.delete(ip);
      for (const p of (oldSpec.ports as Rec[] | undefined) ?? []) if (typeof p.nodePort === 'number') ports.delete(p.nodePort);
    }

    if (type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else {
      if (!spec.clusterIP && old && oldSpec.clusterIP && oldSpec.clusterIP !== '') {
        spec.clusterIP = oldSpec.clusterIP;
        spec.clusterIPs = oldSpec.clusterIPs;
      }
      const want = (spec.clusterIP as string | undefined) ?? '';
      if (want === 'None') {
        spec.clusterIPs = ['None'];
      } else if (want === '') {
        const ip = this.pickIp(ips);
        if (!ip) throw errors.internal('failed to allocate a serviceIP: range is full');
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
        if (!dryRun) this.reservedIps.set(ip, Date.now() + reservationMs);
      } else if (want !== oldSpec.clusterIP) {
        if (!ipaddr.IPv4.isValidFourPartDecimal(want)) {
          errs.push(field.invalid('spec.clusterIPs[0]', want, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
        } else if (!this.inRange(want)) {
          errs.push(field.invalid('spec.clusterIPs', [want], `failed to allocate IP ${want}: the provided IP (${want}) is not in the valid range. The range of valid IPs is ${this.opts.serviceCidr}`));
        } else if (ips.has(want)) {
          errs.push(field.invalid('spec.clusterIPs', [want], `failed to allocate IP ${want}: provided IP is already allocated`));
        } else {
          spec.clusterIPs = [want];
          if (!dryRun) this.reservedIps.set(want, Date.now() + reservationMs);
        }
      } else {
        spec.clusterIPs = [want];
      }
      if (spec.clusterIPs && !spec.ipFamilies) spec.ipFamilies = ['IPv4'];
      if (spec.clusterIPs && !spec.ipFamilyPolicy) spec.ipFamilyPolicy = 'SingleStack';
    }

    const needsNodePorts = type === 'NodePort' || type === 'LoadBalancer';
    const portList = (spec.ports as Rec[] | undefined) ?? [];
    const oldPorts = (oldSpec.ports as Rec[] | undefined) ?? [];
    portList.forEach((p, i) => {
      if (!needsNodePorts) {
        delete p.nodePort;
        return;
      }
      if (p.nodePort === undefined || p.nodePort === 0) {
        const prev = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (prev && typeof prev.nodePort === 'number') {
          p.nodePort = prev.nodePort;
          ports.add(prev.nodePort);
          return;
        }
        const port = this.pickPort(ports);
        if (port === undefined) throw errors.internal('failed to allocate a nodePort: range is full');
        p.nodePort = port;
        ports.add(port);
        if (!dryRun) this.reservedPorts.set(port, Date.now() + reservationMs);
        return;
      }
      const want = p.nodePort;
      if (typeof want !== 'number') return; // validation reports the type
      const [lo, hi] = this.opts.nodePortRange;
      if (want < lo || want > hi) {
        errs.push(field.invalid(`spec.ports[${i}].nodePort`, want, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`));
      } else if (ports.has(want)) {
        errs.push(field.invalid(`spec.ports[${i}].nodePort`, want, 'provided port is already allocated'));
      } else {
        ports.add(want);
        if (!dryRun) this.reservedPorts.set(want, Date.now() + reservationMs);
      }
    });
    if (errs.length) throw errors.invalid('Service', '', svc.metadata.name ?? '', errs);
  }

  private inRange(ip: string): boolean {
    const n = toInt(ip);
    return n > this.base && n < this.base + this.size - 1;
  }

  private pickIp(used: Set<string>): string | undefined {
    // Random probing, then a scan: fast while the range is sparse, complete when it is dense.
    const usable = this.size - 2;
    for (let i = 0; i < 32; i++) {
      const ip = fromInt(this.base + 1 + Math.floor(Math.random() * usable));
      if (!used.has(ip) && ip !== this.firstIp()) return ip;
    }
    for (let n = 2; n <= usable; n++) {
      const ip = fromInt(this.base + n);
      if (!used.has(ip)) return ip;
    }
    return undefined;
  }

  private pickPort(used: Set<number>): number | undefined {
    const [lo, hi] = this.opts.nodePortRange;
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const p = lo + ((start + i) % span);
      if (!used.has(p)) return p;
    }
    return undefined;
  }
}

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function fromInt(n: number): string {
  const u = n >>> 0;
  return [u >>> 24, (u >>> 16) & 255, (u >>> 8) & 255, u & 255].join('.');
}
