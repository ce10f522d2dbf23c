// Running one CNI plugin binary as the CNI specification describes: the binary named by the
// configuration's `type`, found in CNI_PATH; parameters in CNI_* environment variables; the
// network configuration on stdin; a result (ADD, VERSION) or nothing (DEL, CHECK) on stdout;
// on failure a non-zero exit and an error object {cniVersion, code, msg, details} on stdout.
//
// Contract:
// - A failed plugin becomes a CniPluginError naming the plugin, the network and the command, with
//   the plugin's code/msg/details (or its stderr when it printed no error object).
// - The child inherits this process's environment (plugins run iptables, which needs PATH) with
//   every inherited CNI_* variable replaced.
// - A plugin that outlives `timeoutMs` or the abort signal is killed (by its own PID) and the call
//   fails; CNI plugins are short-lived, so a hang is a bug worth surfacing.

import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '../../network/cni-config.js';
import { runProcess, type RunResult } from '../process/run.js';

export const DEFAULT_CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];
export const DEFAULT_PLUGIN_TIMEOUT_MS = 120_000;

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

/** Well-known CNI error codes (spec "Error" section); plugins may use 100+ for their own. */
export const CNI_ERROR_CODES: Readonly<Record<number, string>> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
};

export class CniPluginError extends Error {
  constructor(
    readonly plugin: string,
    readonly network: string,
    readonly command: CniCommand,
    /** The plugin's error code; 0 when it gave none (crash, not found, killed). */
    readonly code: number,
    readonly msg: string,
    readonly details: string,
    /** What else went wrong on the way out (a failed rollback), appended to the message. */
    readonly also = '',
  ) {
    const known = CNI_ERROR_CODES[code];
    const codeText = code === 0 ? '' : ` (CNI error ${code}${known ? `: ${known}` : ''})`;
    super(`CNI plugin "${plugin}" failed ${command} on network "${network}": ${msg}${details ? `: ${details}` : ''}${codeText}${also ? `; ${also}` : ''}`);
    this.name = 'CniPluginError';
  }
}

export interface PluginInvocation {
  command: CniCommand;
  /** The plugin's `type`: the binary name. */
  type: string;
  /** Network name, for error messages. */
  network: string;
  /** The full configuration the plugin reads on stdin. */
  config: JsonObject;
  containerId: string;
  /** Network namespace path; may be '' for DEL when it no longer exists. */
  netns: string;
  ifName: string;
  /** CNI_ARGS as key/value pairs, joined as K=V;K2=V2. */
  args: ReadonlyArray<readonly [string, string]>;
  binDirs: readonly string[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Finds the plugin binary in the search path, or throws a CniPluginError saying where it looked. */
export async function findPlugin(type: string, binDirs: readonly string[], network = ''): Promise<string> {
  if (type.includes('/') || type === '' || type === '.' || type === '..') {
    throw new CniPluginError(type, network, 'ADD', 0, `invalid plugin type ${JSON.stringify(type)}`, '');
  }
  for (const dir of binDirs) {
    const p = join(dir, type);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new CniPluginError(type, network, 'ADD', 0, `plugin binary not found in ${binDirs.join(':')}`, 'install containernetworking-plugins or set the CNI bin dirs');
}

/**
 * Runs the plugin. Returns its parsed stdout object (ADD, VERSION) or undefined when it printed
 * nothing (DEL, CHECK). Throws CniPluginError on any failure.
 */
export async function invokePlugin(inv: PluginInvocation): Promise<JsonObject | undefined> {
  let binary: string;
  try {
    binary = await findPlugin(inv.type, inv.binDirs, inv.network);
  } catch (e) {
    if (e instanceof CniPluginError) throw new CniPluginError(inv.type, inv.network, inv.command, 0, e.msg, e.details);
    throw e;
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CNI_')) env[k] = v;
  env.CNI_COMMAND = inv.command;
  env.CNI_PATH = inv.binDirs.join(':');
  if (inv.command !== 'VERSION') {
    env.CNI_CONTAINERID = inv.containerId;
    env.CNI_NETNS = inv.netns;
    env.CNI_IFNAME = inv.ifName;
    env.CNI_ARGS = inv.args.map(([k, v]) => `${k}=${v}`).join(';');
  }
  const fail = (code: number, msg: string, details: string): CniPluginError => new CniPluginError(inv.type, inv.network, inv.command, code, msg, details);
  const timeoutMs = inv.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  let r: RunResult;
  try {
    r = await runProcess(binary, [], { env, input: JSON.stringify(inv.config), timeoutMs, signal: inv.signal });
  } catch (e) {
    throw fail(0, e instanceof Error ? e.message : String(e), '');
  }
  const { code: exitCode, signal, stdout } = r;
  // Why we killed it goes first in the details, before what the plugin printed.
  const reason = r.killed === 'timeout' ? `timed out after ${timeoutMs} ms` : r.killed === 'abort' ? 'cancelled' : undefined;
  const stderr = reason === undefined ? r.stderr : `${reason}${r.stderr ? `; stderr: ${r.stderr}` : ''}`;
  if (exitCode !== 0) {
    const parsed = tryParse(stdout);
    if (parsed !== undefined && typeof parsed.msg === 'string') {
      const code = typeof parsed.code === 'number' ? parsed.code : 0;
      const details = typeof parsed.details === 'string' ? parsed.details : '';
      throw fail(code, parsed.msg, details || stderr.trim());
    }
    const how = signal !== null ? `was killed by ${signal}` : exitCode !== null ? `exited with status ${exitCode}` : 'was not started';
    throw fail(0, `${binary} ${how}`, (stderr.trim() || stdout.trim()).slice(0, 4000));
  }
  if (stdout.trim() === '') return undefined;
  const parsed = tryParse(stdout);
  if (parsed === undefined) throw fail(6, 'plugin printed output that is not a JSON object', stdout.slice(0, 4000));
  return parsed;
}

function tryParse(text: string): JsonObject | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}
