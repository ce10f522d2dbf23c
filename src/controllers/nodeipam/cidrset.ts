// A set of equal-sized subnets carved from one cluster CIDR, as upstream's cidrset: allocate the
// next free one (searching round-robin from after the last allocation, so a released subnet is
// not handed out again at once), mark ones already in use, release. IPv4 and IPv6.
//
// Contract: the node mask must be at least the cluster mask and at most 16 bits longer
// (65536 subnets), as upstream; the constructor throws otherwise.

import ipaddr from 'ipaddr.js';

interface Parsed {
  base: bigint;
  prefix: number;
  bits: 32 | 128;
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

function fromBigInt(v: bigint, bits: 32 | 128): string {
  const bytes: number[] = [];
  for (let i = 0; i < bits / 8; i++) bytes.unshift(Number((v >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

export function parseCidr(cidr: string): Parsed {
  const [addr, prefix] = ipaddr.parseCIDR(cidr.trim());
  const bits = addr.kind() === 'ipv4' ? 32 : 128;
  const value = toBigInt(addr.toByteArray());
  const hostBits = BigInt(bits - prefix);
  return { base: (value >> hostBits) << hostBits, prefix, bits };
}

export function isIPv6Cidr(cidr: string): boolean {
  return parseCidr(cidr).bits === 128;
}

export class CidrSet {
  readonly cluster: string;
  private readonly net: Parsed;
  private readonly used: Uint8Array;
  private readonly shift: bigint;
  private next = 0;
  private count = 0;

  constructor(
    clusterCidr: string,
    readonly maskSize: number,
  ) {
    this.net = parseCidr(clusterCidr);
    const diff = maskSize - this.net.prefix;
    if (diff < 0) throw new Error(`node CIDR mask /${maskSize} is shorter than the cluster CIDR ${clusterCidr}`);
    if (diff > 16) throw new Error(`node CIDR mask /${maskSize} is more than 16 bits longer than the cluster CIDR ${clusterCidr}: too many subnets`);
    if (maskSize > this.net.bits) throw new Error(`node CIDR mask /${maskSize} is longer than an address`);
    this.cluster = `${fromBigInt(this.net.base, this.net.bits)}/${this.net.prefix}`;
    this.used = new Uint8Array(2 ** diff);
    this.shift = BigInt(this.net.bits - maskSize);
  }

  get size(): number {
    return this.used.length;
  }

  get free(): number {
    return this.used.length - this.count;
  }

  /** The next free subnet, or undefined when all are taken. */
  allocateNext(): string | undefined {
    for (let i = 0; i < this.used.length; i++) {
      const idx = (this.next + i) % this.used.length;
      if (this.used[idx]) continue;
      this.used[idx] = 1;
      this.count++;
      this.next = (idx + 1) % this.used.length;
      return this.subnet(idx);
    }
    return undefined;
  }

  /** Marks every subnet `cidr` overlaps as used; false if it lies outside the cluster CIDR. */
  occupy(cidr: string): boolean {
    const r = this.indexRange(cidr);
    if (!r) return false;
    for (let i = r[0]; i <= r[1]; i++) {
      if (!this.used[i]) this.count++;
      this.used[i] = 1;
    }
    return true;
  }

  release(cidr: string): void {
    const r = this.indexRange(cidr);
    if (!r) return;
    for (let i = r[0]; i <= r[1]; i++) {
      if (this.used[i]) this.count--;
      this.used[i] = 0;
    }
  }

  isUsed(cidr: string): boolean {
    const r = this.indexRange(cidr);
    return !!r && this.used.subarray(r[0], r[1] + 1).every((u) => u === 1);
  }

  private subnet(idx: number): string {
    return `${fromBigInt(this.net.base + (BigInt(idx) << this.shift), this.net.bits)}/${this.maskSize}`;
  }

  /** The first and last subnet indexes `cidr` overlaps, or undefined if outside (or another family). */
  private indexRange(cidr: string): [number, number] | undefined {
    let p: Parsed;
    try {
      p = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (p.bits !== this.net.bits) return undefined;
    const clusterHost = BigInt(this.net.bits - this.net.prefix);
    const first = p.base;
    const last = p.base + (1n << BigInt(p.bits - p.prefix)) - 1n;
    const lo = this.net.base;
    const hi = this.net.base + (1n << clusterHost) - 1n;
    if (last < lo || first > hi) return undefined;
    const a = first < lo ? lo : first;
    const b = last > hi ? hi : last;
    return [Number((a - lo) >> this.shift), Number((b - lo) >> this.shift)];
  }
}
