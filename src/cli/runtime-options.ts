// The CRI runtime's command-line options, defined once for every command that starts it:
// `skiff runtime` (the runtime alone), `skiff agent` (the node agent) and `skiff server` (whose
// agent part runs it in the same process).
//
// Each option has one entry below and two spellings, derived by one rule:
// - `skiff runtime` keeps issue 4's names (`--socket`, `--root`, `--state`: containerd's own
//   flags for its socket and dirs), which `skiff reset` and `skiff images` share;
// - in `skiff server`/`skiff agent` an option takes k3s's name where k3s has one
//   (`--private-registry` for registries.yaml), else `runtime-` + its name, because a bare
//   `--root` or `--pod-cidr` next to the server's `--data-dir` and `--cluster-cidr` would not say
//   whose root or which pods.
// The defaults are the same in every command, so `skiff crictl` and `skiff reset` find the runtime
// that any of them started without flags.

import { Command, Option } from 'commander';
import type { CriCallRecord } from '../cri/server.js';
import type { RuntimeOptions } from '../runtime/service/service.js';
import { DEFAULT_REGISTRIES_FILE, DEFAULT_RUNTIME_ROOT, DEFAULT_RUNTIME_SOCKET, DEFAULT_RUNTIME_STATE } from '../runtime/defaults.js';


/** Which spelling of the options a command uses (see the file comment). */
export type RuntimeFlagStyle = 'standalone' | 'embedded';

/** The parsed values, whatever their spelling. */
export interface RuntimeFlags {
  socket: string;
  root: string;
  state: string;
  registries: string;
  podCidr?: string;
  bridge?: string;
  verbose: boolean;
}

interface RuntimeFlagSpec {
  key: keyof RuntimeFlags;
  /** The flag's name in `skiff runtime`, without dashes. */
  name: string;
  /** k3s's name for the same setting on its server and agent, where it has one. */
  k3s?: string;
  /** `-v`: only in the standalone spelling (the server's short flags are its own). */
  short?: string;
  /** `<path>`; absent for a boolean switch. */
  arg?: string;
  description: string;
  default?: string;
}

const specs: readonly RuntimeFlagSpec[] = [
  { key: 'socket', name: 'socket', arg: '<path>', description: 'CRI socket of the container runtime', default: DEFAULT_RUNTIME_SOCKET },
  { key: 'root', name: 'root', arg: '<dir>', description: 'container runtime persistent state: images, snapshots, records', default: DEFAULT_RUNTIME_ROOT },
  { key: 'state', name: 'state', arg: '<dir>', description: 'container runtime volatile state (tmpfs): runc roots, exit files', default: DEFAULT_RUNTIME_STATE },
  { key: 'podCidr', name: 'pod-cidr', arg: '<cidr>', description: 'pod network of the container runtime until UpdateRuntimeConfig sets one (default 10.88.0.0/16)' },
  { key: 'bridge', name: 'bridge', arg: '<name>', description: 'bridge of the default pod network (default skiff0)' },
  { key: 'registries', name: 'registries', k3s: 'private-registry', arg: '<file>', description: 'registries.yaml (mirrors, auth, TLS) as in k3s; a missing file means none', default: DEFAULT_REGISTRIES_FILE },
  { key: 'verbose', name: 'verbose', short: 'v', description: 'log every CRI call of the container runtime' },
];

function flagName(spec: RuntimeFlagSpec, style: RuntimeFlagStyle): string {
  if (style === 'standalone') return spec.name;
  return spec.k3s ?? `runtime-${spec.name}`;
}

function optionOf(spec: RuntimeFlagSpec, style: RuntimeFlagStyle): Option {
  const long = `--${flagName(spec, style)}`;
  const flags = `${style === 'standalone' && spec.short ? `-${spec.short}, ` : ''}${long}${spec.arg ? ` ${spec.arg}` : ''}`;
  const opt = new Option(flags, spec.description);
  if (spec.default !== undefined) opt.default(spec.default);
  else if (!spec.arg) opt.default(false);
  return opt;
}

/** Adds the runtime's options to `cmd` in the given spelling; read them back with runtimeFlags. */
export function addRuntimeOptions(cmd: Command, style: RuntimeFlagStyle): Command {
  for (const spec of specs) cmd.addOption(optionOf(spec, style));
  return cmd;
}

/** The runtime's values out of a command's parsed options (as commander names them for `style`). */
export function runtimeFlags(parsed: Record<string, unknown>, style: RuntimeFlagStyle): RuntimeFlags {
  const out: Record<string, unknown> = {};
  for (const spec of specs) out[spec.key] = parsed[optionOf(spec, style).attributeName()];
  return out as unknown as RuntimeFlags;
}

/** startRuntime's options for the parsed flags; `--verbose` logs each CRI call on stderr. */
export function runtimeOptions(flags: RuntimeFlags): RuntimeOptions {
  return {
    socket: flags.socket,
    root: flags.root,
    stateDir: flags.state,
    registriesFile: flags.registries,
    ...(flags.podCidr ? { podCidr: flags.podCidr } : {}),
    ...(flags.bridge ? { bridge: flags.bridge } : {}),
    ...(flags.verbose ? { log: logCall } : {}),
  };
}

function logCall(c: CriCallRecord): void {
  process.stderr.write(`${c.method} ${c.code === 0 ? 'OK' : `code=${c.code} ${c.message ?? ''}`} ${c.durationMs.toFixed(1)}ms\n`);
}
