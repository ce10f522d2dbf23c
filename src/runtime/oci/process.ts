// The process half of the spec that comes from the CRI config and the image: argv, environment
// and working directory, by the rules kubelet documents and containerd implements.

import { CriError } from '../../cri/errors.js';
import type { ContainerConfig, ImageProcessConfig } from './cri-types.js';
import { DEFAULT_PATH_ENV } from './defaults.js';

/**
 * argv: CRI `command` replaces the image Entrypoint (and then the image Cmd is ignored); CRI
 * `args` replace the image Cmd. So: command+args, or Entrypoint+args, or Entrypoint+Cmd.
 */
export function processArgs(container: ContainerConfig, image: ImageProcessConfig | undefined): string[] {
  const command = container.command ?? [];
  let args = container.args ?? [];
  let entry = command;
  if (command.length === 0) {
    if (args.length === 0) args = image?.Cmd ?? [];
    entry = image?.Entrypoint ?? [];
  }
  const argv = [...entry, ...args];
  if (argv.length === 0) {
    throw CriError.invalidArgument('no command specified: the container config sets no command or args and the image has no Entrypoint or Cmd');
  }
  return argv;
}

/** Sets each `KEY=value` in `env`, replacing an existing KEY in place, else appending. */
function setEnv(env: string[], entries: readonly string[]): void {
  for (const e of entries) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    const i = env.findIndex((x) => x === key || x.startsWith(`${key}=`));
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
}

/**
 * Environment, in containerd's order: a default PATH, TERM=xterm with a TTY, HOSTNAME, the
 * image's Env, then the CRI envs. A later entry for the same name replaces the earlier one in
 * place (so the image PATH replaces the default, and CRI values win over the image's).
 */
export function processEnv(container: ContainerConfig, image: ImageProcessConfig | undefined, hostname: string): string[] {
  const env = [DEFAULT_PATH_ENV];
  if (container.tty) setEnv(env, ['TERM=xterm']);
  if (hostname !== '') setEnv(env, [`HOSTNAME=${hostname}`]);
  setEnv(env, image?.Env ?? []);
  for (const kv of container.envs ?? []) {
    if (kv.key === '' || kv.key.includes('=')) throw CriError.invalidArgument(`invalid environment variable name "${kv.key}"`);
    setEnv(env, [`${kv.key}=${kv.value}`]);
  }
  return env;
}

/** Working directory: CRI working_dir, else the image's WorkingDir, else "/". Must be absolute. */
export function processCwd(container: ContainerConfig, image: ImageProcessConfig | undefined): string {
  const cwd = container.working_dir || image?.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw CriError.invalidArgument(`working directory "${cwd}" is not an absolute path`);
  return cwd;
}
