// The CNI network configuration skiff writes for its pods, and reading configuration lists.
//
// The default network is what containerd's and CRI-O's bridge templates give, for Debian's
// containernetworking-plugins 1.1.1 (they accept CNI 0.1.0 … 1.0.0; we use 1.0.0):
//   bridge (skiff0, gateway address on the bridge, masquerade off-subnet traffic, hairpin so a
//   pod reaches itself through its own hostPort) with host-local IPAM over the pod CIDR(s), then
//   portmap for hostPorts (capability `portMappings`, SNAT for localhost and hairpin traffic).
// Loopback is not in the list: like containerd, the runtime brings `lo` up with the loopback
// plugin as a network of its own (loopbackNetwork()).
//
// The file carries a top-level "skiff" object (configVersion of this template, the pod CIDRs):
// CNI runtimes ignore unknown top-level keys, and ensureDefaultConflist() uses it to rewrite the
// file only when the template or the pod CIDR changed — and never to overwrite a conflist an
// administrator wrote in its place (no "skiff" marker).

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import ipaddr from 'ipaddr.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One plugin entry of a configuration list: `type` plus plugin-specific keys. */
export interface CniPluginConfig extends JsonObject {
  type: string;
}

export interface CniConflist {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: CniPluginConfig[];
  /** skiff's marker on files it manages (see the file comment). */
  skiff?: { configVersion: number; podCIDRs: string[] };
}

export const DEFAULT_CNI_CONF_DIR = '/etc/skiff/cni';
export const DEFAULT_CONFLIST_FILE = '10-skiff.conflist';
export const DEFAULT_POD_CIDR = '10.88.0.0/16';
export const DEFAULT_BRIDGE = 'skiff0';
export const DEFAULT_NETWORK_NAME = 'skiff';
export const CNI_VERSION = '1.0.0';
/** Bumped whenever buildDefaultConflist's output changes shape, so old files are rewritten. */
export const CONFLIST_TEMPLATE_VERSION = 1;

export interface DefaultConflistOptions {
  /** One CIDR or a comma-separated dual-stack pair, as CRI UpdateRuntimeConfig sends it. */
  podCIDR?: string | string[];
  bridge?: string;
  networkName?: string;
  /** host-local's allocation directory; default /var/lib/cni/networks (the plugin's own). */
  ipamDataDir?: string;
  mtu?: number;
}

/**
 * Parses and normalises pod CIDRs: comma-separated, at most one IPv4 and one IPv6, host bits
 * cleared (host-local refuses a subnet with host bits set). Throws saying which entry is wrong.
 */
export function parsePodCIDRs(input: string | string[]): string[] {
  const parts = (Array.isArray(input) ? input : input.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new Error('pod CIDR is empty');
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of parts) {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    let bits: number;
    try {
      [addr, bits] = ipaddr.parseCIDR(p);
    } catch {
      throw new Error(`pod CIDR ${JSON.stringify(p)} is not a valid CIDR (want e.g. 10.88.0.0/16 or fd00:10:88::/64)`);
    }
    const kind = addr.kind();
    if (seen.has(kind)) throw new Error(`pod CIDR ${JSON.stringify(input)} has more than one ${kind} range`);
    seen.add(kind);
    const maxHostBits = kind === 'ipv4' ? 30 : 126;
    if (bits > maxHostBits) throw new Error(`pod CIDR ${p} is too small: no room for a gateway and a pod`);
    const network = kind === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(p) : ipaddr.IPv6.networkAddressFromCIDR(p);
    out.push(`${network.toString()}/${bits}`);
  }
  return out;
}

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function buildDefaultConflist(options: DefaultConflistOptions = {}): CniConflist {
  const podCIDRs = parsePodCIDRs(options.podCIDR ?? DEFAULT_POD_CIDR);
  const bridge = options.bridge ?? DEFAULT_BRIDGE;
  if (!IFNAME.test(bridge)) throw new Error(`bridge name ${JSON.stringify(bridge)} is not a valid interface name (1-15 of [A-Za-z0-9_.-])`);
  const name = options.networkName ?? DEFAULT_NETWORK_NAME;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`network name ${JSON.stringify(name)} must match [A-Za-z0-9][A-Za-z0-9_.-]*`);

  const ipam: JsonObject = {
    type: 'host-local',
    // One range set per family: host-local then gives one address of each.
    ranges: podCIDRs.map((subnet) => [{ subnet }]),
    routes: podCIDRs.map((c) => ({ dst: c.includes(':') ? '::/0' : '0.0.0.0/0' })),
  };
  if (options.ipamDataDir !== undefined) ipam.dataDir = options.ipamDataDir;

  const bridgePlugin: CniPluginConfig = {
    type: 'bridge',
    bridge,
    isGateway: true,
    ipMasq: true,
    hairpinMode: true,
    // When the pod CIDR changes, the bridge's old gateway address is replaced instead of every
    // ADD failing with "already has an IP address different from ...".
    forceAddress: true,
    ipam,
  };
  if (options.mtu !== undefined) bridgePlugin.mtu = options.mtu;

  return {
    cniVersion: CNI_VERSION,
    name,
    plugins: [bridgePlugin, { type: 'portmap', capabilities: { portMappings: true }, snat: true }],
    skiff: { configVersion: CONFLIST_TEMPLATE_VERSION, podCIDRs },
  };
}

/** The network the runtime runs first, on interface `lo`, to bring loopback up. */
export function loopbackNetwork(cniVersion = CNI_VERSION): CniConflist {
  return { cniVersion, name: 'cni-loopback', plugins: [{ type: 'loopback' }] };
}

export function serializeConflist(conflist: CniConflist): string {
  return JSON.stringify(conflist, null, 2) + '\n';
}

/**
 * Reads a `.conflist` (or a single-plugin `.conf`, wrapped into a list as libcni does) and
 * validates the parts the runtime relies on.
 */
export async function readConflist(path: string): Promise<CniConflist> {
  const text = await readFile(path, 'utf8');
  return parseConflist(text, path);
}

export function parseConflist(text: string, source = 'CNI configuration'): CniConflist {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(v)) throw new Error(`${source} must be a JSON object`);
  const name = v.name;
  const cniVersion = v.cniVersion;
  if (typeof name !== 'string' || name === '') throw new Error(`${source}: "name" must be a non-empty string`);
  if (typeof cniVersion !== 'string' || cniVersion === '') throw new Error(`${source}: "cniVersion" must be a non-empty string`);
  let plugins: unknown = v.plugins;
  if (plugins === undefined && typeof v.type === 'string') {
    // A single .conf: the whole object is the one plugin's configuration.
    const { name: _n, cniVersion: _v, ...plugin } = v;
    plugins = [plugin];
  }
  if (!Array.isArray(plugins) || plugins.length === 0) throw new Error(`${source}: "plugins" must be a non-empty array`);
  const checked: CniPluginConfig[] = plugins.map((p, i) => {
    if (!isObject(p) || typeof p.type !== 'string' || p.type === '') throw new Error(`${source}: plugins[${i}] must be an object with a "type"`);
    if (p.type.includes('/')) throw new Error(`${source}: plugins[${i}].type ${JSON.stringify(p.type)} must be a plain binary name`);
    return p as CniPluginConfig;
  });
  const out: CniConflist = { cniVersion, name, plugins: checked };
  if (typeof v.disableCheck === 'boolean') out.disableCheck = v.disableCheck;
  const marker = v.skiff;
  if (isObject(marker) && typeof marker.configVersion === 'number' && Array.isArray(marker.podCIDRs)) {
    out.skiff = { configVersion: marker.configVersion, podCIDRs: marker.podCIDRs.filter((c): c is string => typeof c === 'string') };
  }
  return out;
}

export interface EnsureConflistOptions extends DefaultConflistOptions {
  /** Default /etc/skiff/cni. */
  confDir?: string;
  /** Default 10-skiff.conflist. */
  fileName?: string;
}

export interface EnsureConflistResult {
  path: string;
  /** The configuration now in effect (skiff's, or the administrator's file left alone). */
  conflist: CniConflist;
  /** The file was (re)written. */
  changed: boolean;
  /** The file exists without skiff's marker and was not touched. */
  userManaged: boolean;
}

/**
 * Writes skiff's default conflist unless an identical one is already there. Rewrites happen
 * atomically (writeFileAtomic) so a plugin run never reads half a file.
 */
export async function ensureDefaultConflist(options: EnsureConflistOptions = {}): Promise<EnsureConflistResult> {
  const dir = options.confDir ?? DEFAULT_CNI_CONF_DIR;
  const path = join(dir, options.fileName ?? DEFAULT_CONFLIST_FILE);
  const wanted = buildDefaultConflist(options);
  const text = serializeConflist(wanted);
  let existing: string | undefined;
  try {
    existing = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
  if (existing !== undefined) {
    if (existing === text) return { path, conflist: wanted, changed: false, userManaged: false };
    let current: CniConflist;
    try {
      current = parseConflist(existing, path);
    } catch (e) {
      // Whose broken file this is cannot be told; refuse rather than destroy someone's edit.
      throw new Error(`${(e as Error).message}; fix or delete it so skiff can write its default network`);
    }
    if (current.skiff === undefined) return { path, conflist: current, changed: false, userManaged: true };
  }
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, text, { syncDir: true });
  return { path, conflist: wanted, changed: true, userManaged: false };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
