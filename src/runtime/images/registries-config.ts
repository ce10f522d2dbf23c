// Registry configuration in k3s's `registries.yaml` format, and the endpoints a reference resolves to.
//
//   mirrors:
//     docker.io:                          # registry host, or "*" for every registry without its own entry
//       endpoint: ["http://127.0.0.1:5000"]
//       rewrite: { "^library/(.*)": "mirrored/$1" }   # regex on the repository path; mirrors only
//   configs:
//     "127.0.0.1:5000":                   # endpoint host[:port]
//       auth: { username, password, auth, identitytoken }   # auth = base64("user:pass")
//       tls: { ca_file, cert_file, key_file, insecure_skip_verify }
//
// Resolution (k3s/containerd): the mirror endpoints in order, then the registry's own "default
// endpoint" (registry-1.docker.io for docker.io), which is always tried last and never rewritten.
// Scheme: an endpoint's own scheme when it has one; otherwise plain HTTP for loopback hosts
// (127.0.0.0/8, ::1, localhost) that have no TLS configuration, as docker and containerd allow
// without configuration, and HTTPS for everything else. An endpoint URL without a path gets the
// API root `/v2`; one with a path uses that path as the API root (containerd's override_path).

import { readFile } from 'node:fs/promises';
import ipaddr from 'ipaddr.js';
import { parse as parseYaml } from 'yaml';
import { ImageError } from './registry-errors.js';
import { DOCKER_DOMAIN, type ImageReference } from './reference.js';

/** Credentials for one registry; the CRI AuthConfig maps onto this. */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** base64 of `username:password`, as in docker's config.json. */
  auth?: string;
  /** An OAuth2 refresh token, exchanged at the Bearer realm for an access token. */
  identityToken?: string;
  /** A bearer token sent to the registry as is. */
  registryToken?: string;
}

export interface RegistryTlsConfig {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  insecureSkipVerify?: boolean;
}

export interface MirrorConfig {
  endpoint: string[];
  /** Ordered: the first regex that matches the repository path rewrites it. */
  rewrite?: Array<{ pattern: string; replacement: string }>;
}

export interface RegistryHostConfig {
  auth?: RegistryCredentials;
  tls?: RegistryTlsConfig;
}

export interface RegistriesConfig {
  mirrors: Record<string, MirrorConfig>;
  configs: Record<string, RegistryHostConfig>;
}

export interface RegistryEndpoint {
  /** API root without trailing slash, e.g. `http://127.0.0.1:5000/v2`. */
  url: string;
  /** host[:port] of the endpoint (the key into `configs`). */
  host: string;
  /** The repository path on this endpoint (after a mirror's rewrite). */
  repository: string;
  /** True for a mirror, false for the registry's own default endpoint. */
  mirror: boolean;
  credentials?: RegistryCredentials;
  tls?: RegistryTlsConfig;
}

export const DOCKER_DEFAULT_HOST = 'registry-1.docker.io';

export function emptyRegistriesConfig(): RegistriesConfig {
  return { mirrors: {}, configs: {} };
}

function bad(source: string, where: string, why: string): ImageError {
  return new ImageError('InvalidConfig', `${source}: ${where} ${why}`);
}

function optString(v: unknown, source: string, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(source, where, `must be a string, got ${typeof v}`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The registry host a key or endpoint names, without scheme or path ("https://x:5000/v2" → "x:5000"). */
function hostKey(key: string): string {
  const k = key.includes('://') ? new URL(key).host : key.replace(/\/.*$/, '');
  return k === 'index.docker.io' ? DOCKER_DOMAIN : k;
}

/** Parses registries.yaml text (YAML or JSON). Throws ImageError('InvalidConfig') naming the bad field. */
export function parseRegistriesConfig(text: string, source = 'registries.yaml'): RegistriesConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ImageError('InvalidConfig', `${source}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out = emptyRegistriesConfig();
  if (doc === null || doc === undefined) return out;
  if (!isObject(doc)) throw bad(source, 'the document', 'must be a mapping with `mirrors` and `configs`');
  for (const k of Object.keys(doc)) if (k !== 'mirrors' && k !== 'configs') throw bad(source, `field "${k}"`, 'is unknown (expected mirrors, configs)');

  const mirrors = doc.mirrors ?? {};
  if (!isObject(mirrors)) throw bad(source, 'mirrors', 'must be a mapping of registry host to {endpoint, rewrite}');
  for (const [registry, m] of Object.entries(mirrors)) {
    const where = `mirrors."${registry}"`;
    if (!isObject(m)) throw bad(source, where, 'must be a mapping with `endpoint`');
    const endpoint = m.endpoint ?? [];
    if (!Array.isArray(endpoint) || endpoint.some((e) => typeof e !== 'string' || e === '')) throw bad(source, `${where}.endpoint`, 'must be a list of URLs');
    for (const e of endpoint as string[]) {
      try {
        new URL(e.includes('://') ? e : `https://${e}`);
      } catch {
        throw bad(source, `${where}.endpoint`, `has "${e}", which is not a URL`);
      }
      if (e.includes('://') && !/^https?:\/\//.test(e)) throw bad(source, `${where}.endpoint`, `has "${e}"; only http:// and https:// are supported`);
    }
    const mc: MirrorConfig = { endpoint: endpoint as string[] };
    if (m.rewrite !== undefined && m.rewrite !== null) {
      if (!isObject(m.rewrite)) throw bad(source, `${where}.rewrite`, 'must be a mapping of regex to replacement');
      mc.rewrite = Object.entries(m.rewrite).map(([pattern, replacement]) => {
        if (typeof replacement !== 'string') throw bad(source, `${where}.rewrite."${pattern}"`, 'must be a string');
        try {
          new RegExp(pattern);
        } catch (e) {
          throw bad(source, `${where}.rewrite."${pattern}"`, `is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`);
        }
        return { pattern, replacement };
      });
    }
    out.mirrors[registry === '*' ? '*' : hostKey(registry)] = mc;
  }

  const configs = doc.configs ?? {};
  if (!isObject(configs)) throw bad(source, 'configs', 'must be a mapping of registry host to {auth, tls}');
  for (const [host, c] of Object.entries(configs)) {
    const where = `configs."${host}"`;
    if (!isObject(c)) throw bad(source, where, 'must be a mapping with `auth` and/or `tls`');
    const hc: RegistryHostConfig = {};
    if (c.auth !== undefined && c.auth !== null) {
      if (!isObject(c.auth)) throw bad(source, `${where}.auth`, 'must be a mapping');
      const a = c.auth;
      const auth: RegistryCredentials = {};
      const set = (k: keyof RegistryCredentials, v: unknown, name: string): void => {
        const s = optString(v, source, `${where}.auth.${name}`);
        if (s !== undefined && s !== '') auth[k] = s;
      };
      set('username', a.username, 'username');
      set('password', a.password, 'password');
      set('auth', a.auth, 'auth');
      set('identityToken', a.identitytoken ?? a.identity_token, 'identitytoken');
      hc.auth = auth;
    }
    if (c.tls !== undefined && c.tls !== null) {
      if (!isObject(c.tls)) throw bad(source, `${where}.tls`, 'must be a mapping');
      const t = c.tls;
      const tls: RegistryTlsConfig = {};
      const caFile = optString(t.ca_file, source, `${where}.tls.ca_file`);
      const certFile = optString(t.cert_file, source, `${where}.tls.cert_file`);
      const keyFile = optString(t.key_file, source, `${where}.tls.key_file`);
      if (caFile) tls.caFile = caFile;
      if (certFile) tls.certFile = certFile;
      if (keyFile) tls.keyFile = keyFile;
      if ((certFile === undefined) !== (keyFile === undefined)) throw bad(source, `${where}.tls`, 'needs both cert_file and key_file for a client certificate');
      if (t.insecure_skip_verify !== undefined && t.insecure_skip_verify !== null) {
        if (typeof t.insecure_skip_verify !== 'boolean') throw bad(source, `${where}.tls.insecure_skip_verify`, 'must be true or false');
        tls.insecureSkipVerify = t.insecure_skip_verify;
      }
      hc.tls = tls;
    }
    out.configs[hostKey(host)] = hc;
  }
  return out;
}

/** Reads registries.yaml; a missing file is an empty configuration, as in k3s. */
export async function loadRegistriesConfig(path: string): Promise<RegistriesConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyRegistriesConfig();
    throw new ImageError('InvalidConfig', `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseRegistriesConfig(text, path);
}

/** True for localhost, 127.0.0.0/8 and ::1 (with or without a port; IPv6 in brackets). */
export function isLoopbackHost(host: string): boolean {
  let h = host;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (bracket?.[1] !== undefined) h = bracket[1];
  else if (/^[^:]+:\d+$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  if (h.toLowerCase() === 'localhost') return true;
  if (!ipaddr.isValid(h)) return false;
  const addr = ipaddr.parse(h);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address().range() === 'loopback';
  return addr.range() === 'loopback';
}

function endpointFor(raw: string, config: RegistriesConfig, mirror: boolean, repository: string, fallbackConfigKey: string | undefined, auth: RegistryCredentials | undefined): RegistryEndpoint {
  const explicit = raw.includes('://');
  const hostOnly = explicit ? new URL(raw).host : raw.replace(/\/.*$/, '');
  const hc = config.configs[hostOnly] ?? (fallbackConfigKey !== undefined ? config.configs[fallbackConfigKey] : undefined);
  const scheme = explicit ? '' : isLoopbackHost(hostOnly) && hc?.tls === undefined ? 'http://' : 'https://';
  const u = new URL(`${scheme}${raw}`);
  const path = u.pathname === '' || u.pathname === '/' ? '/v2' : u.pathname.replace(/\/+$/, '');
  const credentials = auth ?? hc?.auth;
  return {
    url: `${u.protocol}//${u.host}${path}`,
    host: u.host,
    repository,
    mirror,
    ...(credentials !== undefined ? { credentials } : {}),
    ...(hc?.tls !== undefined && u.protocol === 'https:' ? { tls: hc.tls } : {}),
  };
}

function rewrite(path: string, rules: MirrorConfig['rewrite']): string {
  for (const r of rules ?? []) {
    const re = new RegExp(r.pattern);
    if (re.test(path)) return path.replace(re, r.replacement);
  }
  return path;
}

/**
 * The endpoints to try for `ref`, in order: its registry's mirrors (or the "*" mirrors), then its
 * default endpoint, without duplicates. `auth` (credentials from the pull request) is used for
 * every endpoint, as containerd's CRI does; otherwise each endpoint's `configs` entry applies.
 */
export function resolveEndpoints(ref: ImageReference, config: RegistriesConfig = emptyRegistriesConfig(), auth?: RegistryCredentials): RegistryEndpoint[] {
  const out: RegistryEndpoint[] = [];
  const seen = new Set<string>();
  const add = (e: RegistryEndpoint): void => {
    if (seen.has(e.url)) return;
    seen.add(e.url);
    out.push(e);
  };
  const mirror = config.mirrors[ref.domain] ?? config.mirrors['*'];
  for (const raw of mirror?.endpoint ?? []) add(endpointFor(raw, config, true, rewrite(ref.path, mirror?.rewrite), undefined, auth));
  const defaultHost = ref.domain === DOCKER_DOMAIN ? DOCKER_DEFAULT_HOST : ref.domain;
  add(endpointFor(defaultHost, config, false, ref.path, ref.domain, auth));
  return out;
}
