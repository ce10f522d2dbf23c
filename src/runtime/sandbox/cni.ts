// ADD, CHECK and DEL over a CNI network configuration list, as the CNI specification's
// "Network configuration list runtime" section prescribes (libcni's behaviour):
// - ADD runs the plugins in order; each gets `name`, `cniVersion`, the previous plugin's result
//   as `prevResult`, and `runtimeConfig` holding those capability arguments its `capabilities`
//   enable (e.g. portMappings for portmap). The last plugin's result is the list's result.
// - CHECK runs the plugins in order, each with the cached ADD result as prevResult (0.4.0+ only;
//   skipped when the list says disableCheck).
// - DEL runs the plugins in reverse order, each with the cached ADD result as prevResult when one
//   is known (0.4.0+); DEL must be given the same configuration as the ADD.
//
// Contract:
// - A failed ADD is rolled back here: the plugins that ran get DEL in reverse order (the one that
//   failed too, best effort: it may have half-done its work), then the ADD error is thrown, with
//   any rollback failure of the earlier plugins appended. The caller still owns the namespace.
// - DEL keeps going past a failing plugin so one failure does not leak what later plugins could
//   still clean, then throws the first failure; plugins' DEL is idempotent, so a retry is safe.

import type { CniConflist, CniPluginConfig, JsonObject, JsonValue } from '../../network/cni-config.js';
import { CniPluginError, DEFAULT_CNI_BIN_DIRS, invokePlugin, type CniCommand } from './cni-exec.js';
import { parseCniResult, type CniResult } from './cni-result.js';

/** A hostPort mapping in the form the portmap plugin's `portMappings` capability takes. */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** The per-attachment parameters (libcni's RuntimeConf). */
export interface CniRuntimeConf {
  containerId: string;
  /** Namespace path; '' on DEL when the namespace is already gone. */
  netns: string;
  ifName: string;
  /** CNI_ARGS pairs, e.g. [['IgnoreUnknown','1'], ['K8S_POD_NAME','web']]. */
  args: ReadonlyArray<readonly [string, string]>;
  /** Capability arguments, injected as runtimeConfig into plugins that declare them. */
  capabilityArgs?: { portMappings?: CniPortMapping[] };
}

export interface CniExecOptions {
  binDirs?: readonly string[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function addNetworkList(list: CniConflist, rt: CniRuntimeConf, opts: CniExecOptions = {}): Promise<CniResult> {
  let prev: JsonObject | undefined;
  for (let i = 0; i < list.plugins.length; i++) {
    const plugin = list.plugins[i] as CniPluginConfig;
    try {
      const out = await invoke('ADD', list, plugin, rt, prev, opts);
      if (out === undefined) throw new CniPluginError(plugin.type, list.name, 'ADD', 0, 'plugin printed no result', '');
      try {
        parseCniResult(out);
      } catch (e) {
        throw new CniPluginError(plugin.type, list.name, 'ADD', 6, 'plugin printed an invalid result', (e as Error).message);
      }
      prev = out;
    } catch (addError) {
      // Roll back with cleanup that is not cancelled with the request. The failing plugin gets a
      // best-effort DEL (it may have half-done its work); when its configuration is what is
      // broken its DEL fails the same way, which says nothing new. The plugins before it must
      // DEL cleanly, or the caller has to keep its records to retry.
      const cleanup = { ...opts, signal: undefined };
      await delPlugins(list, [plugin], rt, prev, cleanup);
      const rollback = await delPlugins(list, list.plugins.slice(0, i), rt, prev, cleanup);
      if (rollback.length > 0) {
        const also = `rollback also failed: ${rollback.map((e) => e.message).join('; ')}`;
        if (addError instanceof CniPluginError) {
          throw new CniPluginError(addError.plugin, addError.network, 'ADD', addError.code, addError.msg, addError.details, also);
        }
        throw new Error(`${(addError as Error).message}; ${also}`);
      }
      throw addError;
    }
  }
  if (prev === undefined) throw new Error(`network "${list.name}" has no plugins`);
  return parseCniResult(prev);
}

export async function checkNetworkList(list: CniConflist, rt: CniRuntimeConf, prevResult: JsonObject, opts: CniExecOptions = {}): Promise<void> {
  if (list.disableCheck === true) return;
  if (!versionAtLeast(list.cniVersion, 4)) {
    throw new Error(`network "${list.name}" has cniVersion ${list.cniVersion}; CHECK needs 0.4.0 or later`);
  }
  for (const plugin of list.plugins) {
    try {
      await invoke('CHECK', list, plugin, rt, prevResult, opts);
    } catch (e) {
      if (!isPortmapIPv6CheckBug(e, prevResult)) throw e;
    }
  }
}

/**
 * portmap 1.1.x (Debian's) CHECK always looks for its IPv6 DNAT chain when ip6tables exists, so it
 * fails for every IPv4-only pod (containernetworking/plugins#819, fixed upstream later). That
 * failure says nothing about the pod; the IPv4 rules were checked before it.
 */
function isPortmapIPv6CheckBug(e: unknown, prevResult: JsonObject): boolean {
  if (!(e instanceof CniPluginError) || e.plugin !== 'portmap' || !e.msg.startsWith('could not check ipv6 dnat')) return false;
  const ips = Array.isArray(prevResult.ips) ? prevResult.ips : [];
  return !ips.some((ip) => ip !== null && typeof ip === 'object' && !Array.isArray(ip) && typeof ip.address === 'string' && ip.address.includes(':'));
}

/** DEL over the whole list (reverse order). Idempotent; see the file's contract for errors. */
export async function delNetworkList(list: CniConflist, rt: CniRuntimeConf, prevResult: JsonObject | undefined, opts: CniExecOptions = {}): Promise<void> {
  const errors = await delPlugins(list, list.plugins, rt, prevResult, opts);
  if (errors.length > 0) throw errors[0] as Error;
}

async function delPlugins(
  list: CniConflist,
  plugins: readonly CniPluginConfig[],
  rt: CniRuntimeConf,
  prevResult: JsonObject | undefined,
  opts: CniExecOptions,
): Promise<Error[]> {
  const errors: Error[] = [];
  const prev = versionAtLeast(list.cniVersion, 4) ? prevResult : undefined;
  for (let i = plugins.length - 1; i >= 0; i--) {
    try {
      await invoke('DEL', list, plugins[i] as CniPluginConfig, rt, prev, opts);
    } catch (e) {
      errors.push(e instanceof Error ? e : new Error(String(e)));
    }
  }
  return errors;
}

/** The stdin configuration of one plugin in a list (spec: "Deriving execution configuration"). */
export function pluginConfig(list: CniConflist, plugin: CniPluginConfig, rt: CniRuntimeConf, prevResult: JsonObject | undefined): JsonObject {
  const config: JsonObject = { ...plugin, name: list.name, cniVersion: list.cniVersion };
  if (prevResult !== undefined) config.prevResult = prevResult;
  const caps = plugin.capabilities;
  if (caps !== null && typeof caps === 'object' && !Array.isArray(caps)) {
    const injected: JsonObject = {};
    const args = (rt.capabilityArgs ?? {}) as Record<string, JsonValue | undefined>;
    for (const [name, enabled] of Object.entries(caps)) {
      const value = args[name];
      if (enabled === true && value !== undefined) injected[name] = value;
    }
    if (Object.keys(injected).length > 0) {
      const existing = plugin.runtimeConfig;
      const base = existing !== null && typeof existing === 'object' && !Array.isArray(existing) ? existing : {};
      config.runtimeConfig = { ...base, ...injected };
    }
  }
  return config;
}

function invoke(
  command: CniCommand,
  list: CniConflist,
  plugin: CniPluginConfig,
  rt: CniRuntimeConf,
  prevResult: JsonObject | undefined,
  opts: CniExecOptions,
): Promise<JsonObject | undefined> {
  return invokePlugin({
    command,
    type: plugin.type,
    network: list.name,
    config: pluginConfig(list, plugin, rt, prevResult),
    containerId: rt.containerId,
    netns: rt.netns,
    ifName: rt.ifName,
    args: rt.args,
    binDirs: opts.binDirs ?? DEFAULT_CNI_BIN_DIRS,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
}

/** True when `version` (x.y.z) is at least 0.<minor>.0 — i.e. 0.4.0+ when minor is 4, or any 1.x. */
function versionAtLeast(version: string, minor: number): boolean {
  const [maj, min] = version.split('.').map((p) => Number.parseInt(p, 10));
  if (maj === undefined || Number.isNaN(maj)) return false;
  return maj > 0 || (min !== undefined && min >= minor);
}
