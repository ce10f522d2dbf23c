// Addresses of simulated nodes and pods (IPv4 only). Nothing here touches the network: the
// addresses only have to be well-formed and unique, so that EndpointSlices, `kubectl get -o wide`
// and controllers that key on IPs behave as they do on a real cluster.
//
// - Node i's InternalIP is the (i+1)-th address of the node range (default 172.16.0.0/12).
// - A node's pods take addresses from its spec.podCIDR when a node-IPAM controller has set one,
//   else from a fake per-node /24 of the pod pool (default 10.244.0.0/16): node i gets the i-th
//   /24. When the pool has fewer /24s than there are nodes, it is widened (10.244.0.0/16 →
//   10.224.0.0/11 for 5,000 nodes) and counting starts at the pool's own address and wraps, so
//   node 0 is always 10.244.0.0/24.
// - Within a block, addresses are handed out like CNI host-local: .0 (network) and .1 (gateway)
//   and the broadcast address are never used; allocation goes round-robin after the last address
//   handed out, so a just-released address is not reused at once.

export interface Cidr {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d{1,3}$/.test(p) || v > 255) throw new Error(`${JSON.stringify(ip)} is not an IPv4 address`);
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return `${Math.floor(n / 2 ** 24) % 256}.${Math.floor(n / 2 ** 16) % 256}.${Math.floor(n / 2 ** 8) % 256}.${n % 256}`;
}

/** Parses `a.b.c.d/p`; the base is masked to the prefix. Throws on anything else (IPv6 included). */
export function parseCidr(cidr: string): Cidr {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const prefix = Number(m?.[2]);
  if (!m || prefix > 32) throw new Error(`${JSON.stringify(cidr)} is not an IPv4 CIDR such as 10.244.0.0/16`);
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(ipToInt(m[1] as string) / size) * size, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + cidrSize(c);
}

/** Node `index`'s InternalIP: the (index+1)-th address of `range`. */
export function nodeInternalIP(index: number, range = '172.16.0.0/12'): string {
  const c = parseCidr(range);
  if (index + 2 >= cidrSize(c)) throw new Error(`node range ${range} has no address for node #${index}: give a larger --node-ip-range`);
  return intToIp(c.base + index + 1);
}

/** The fake /24 of node `index` of `nodes`, from `pool` (widened if it is too small; see above). */
export function fakePodCidr(index: number, nodes: number, pool = '10.244.0.0/16'): string {
  const want = parseCidr(pool);
  const start = parseCidr(`${intToIp(want.base)}/24`).base;
  let prefix = Math.min(want.prefix, 24);
  while (2 ** (24 - prefix) < nodes && prefix > 8) prefix--;
  if (2 ** (24 - prefix) < nodes) throw new Error(`${nodes} nodes do not fit one /24 each in any range around ${pool}`);
  const blocks = 2 ** (24 - prefix);
  const widened = Math.floor(start / (blocks * 256)) * blocks * 256;
  const block = ((start - widened) / 256 + index) % blocks;
  return `${intToIp(widened + block * 256)}/24`;
}

/** Pod addresses of one node's block. */
export class PodIpPool {
  readonly cidr: Cidr;
  private readonly used = new Set<number>();
  private next = 2;

  constructor(cidr: string) {
    this.cidr = parseCidr(cidr);
    if (this.cidr.prefix > 30) throw new Error(`pod CIDR ${cidr} is too small for pods: it needs at least a /30`);
  }

  get inUse(): number {
    return this.used.size;
  }

  /** A free address, or undefined when the block is full. */
  allocate(): string | undefined {
    const size = cidrSize(this.cidr);
    const hosts = size - 3;
    for (let tried = 0; tried < hosts; tried++) {
      const off = this.next;
      this.next = off + 1 >= size - 1 ? 2 : off + 1;
      if (!this.used.has(off)) {
        this.used.add(off);
        return intToIp(this.cidr.base + off);
      }
    }
    return undefined;
  }

  /** Marks an address taken (a pod adopted after a restart); false when it is not in this block. */
  reserve(ip: string): boolean {
    if (!ip.includes('.') || !cidrContains(this.cidr, ip)) return false;
    this.used.add(ipToInt(ip) - this.cidr.base);
    return true;
  }

  release(ip: string): void {
    if (ip.includes('.') && cidrContains(this.cidr, ip)) this.used.delete(ipToInt(ip) - this.cidr.base);
  }
}
