// Container lifecycle commands: create, start, stop, rm — crictl's flags and output (each prints
// the id it acted on).

import { readdir, rm as rmFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { AuthConfig, Input } from '../../cri/types.js';
import { loadContainerConfig, loadPodSandboxConfig } from './config-files.js';
import { describeError, parseDuration, removeEach, resolveContainerIds, resolvePodIds, withClient, write } from './context.js';
import { listContainers } from './ps.js';

/** crictl's --creds USER[:PASSWORD] / --auth BASE64 into an AuthConfig (undefined when neither). */
export function authFromFlags(creds: string | undefined, auth: string | undefined): Input<AuthConfig> | undefined {
  if (creds !== undefined && auth !== undefined) throw new Error('both `--creds` and `--auth` are specified');
  if (creds !== undefined) {
    if (creds === '') throw new Error("credentials can't be empty");
    const i = creds.indexOf(':');
    if (i < 0) return { username: creds, password: '' };
    if (i === 0) throw new Error("username can't be empty");
    return { username: creds.slice(0, i), password: creds.slice(i + 1) };
  }
  if (auth !== undefined) return { auth };
  return undefined;
}

interface CreateFlags {
  pull?: boolean;
  withPull?: boolean;
  creds?: string;
  auth?: string;
  cancelTimeout?: string;
  pullTimeout?: string;
}

/** Removes a container's log file and its rotations (`<log>.*`), as crictl rm does. */
async function removeLogs(logPath: string): Promise<void> {
  const dir = dirname(logPath);
  const base = basename(logPath);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    if (n === base || n.startsWith(`${base}.`)) {
      await rmFile(join(dir, n), { force: true }).catch((err: unknown) => process.stderr.write(`removing log file ${join(dir, n)}: ${(err as Error).message}\n`));
    }
  }
}

export function containerCommands(parent: Command): void {
  parent
    .command('create')
    .description('Create a new container')
    .argument('<pod-id>')
    .argument('<container-config>', 'container-config.[json|yaml]')
    .argument('<pod-config>', 'pod-config.[json|yaml]')
    .option('--no-pull', 'Do not pull the image on container creation')
    .option('--with-pull', 'Pull the image on container creation')
    .option('--creds <user[:password]>', 'Use USERNAME[:PASSWORD] for accessing the registry')
    .option('--auth <auth-string>', "Use AUTH_STRING for accessing the registry. AUTH_STRING is a base64 encoded 'USERNAME[:PASSWORD]'")
    .option('-T, --cancel-timeout <duration>', 'Seconds to wait for a container create request to complete before cancelling the request')
    .option('--pull-timeout <duration>', 'Maximum time to be used for pulling the image, disabled if set to 0s')
    .action(async (podArg: string, containerFile: string, podFile: string, o: CreateFlags, cmd: Command) => {
      // commander's --no-pull sets pull=false; crictl never pulls on create unless asked.
      if (o.pull === false && o.withPull) throw new Error('conflict: no-pull and with-pull are both set');
      const config = await loadContainerConfig(containerFile);
      const sandboxConfig = await loadPodSandboxConfig(podFile);
      if (config.image && !config.image.user_specified_image) config.image.user_specified_image = config.image.image ?? '';
      await withClient(cmd, async (client) => {
        const [podId] = await resolvePodIds(client, [podArg]);
        if (o.withPull) {
          const image = config.image?.image ?? '';
          const pullMs = o.pullTimeout !== undefined ? parseDuration(o.pullTimeout) : 0;
          const auth = authFromFlags(o.creds, o.auth);
          process.stderr.write(`Pulling container image: ${image}\n`);
          await client
            .pullImage({ image: { image, annotations: config.image?.annotations ?? {} }, sandbox_config: sandboxConfig, ...(auth ? { auth } : {}) }, { timeoutMs: pullMs })
            .catch((e: unknown) => { throw describeError('pulling image', e); });
        }
        const timeoutMs = o.cancelTimeout !== undefined ? parseDuration(o.cancelTimeout) : undefined;
        const res = await client
          .createContainer({ pod_sandbox_id: podId, config, sandbox_config: sandboxConfig }, timeoutMs !== undefined && timeoutMs > 0 ? { timeoutMs } : {})
          .catch((e: unknown) => { throw describeError('creating container', e); });
        write(`${res.container_id}\n`);
      });
    });

  parent
    .command('start')
    .description('Start one or more created containers')
    .argument('<container-id...>')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const ids = await resolveContainerIds(client, args);
        for (const [i, id] of ids.entries()) {
          await client.startContainer({ container_id: id }).catch((e: unknown) => { throw describeError(`starting the container "${args[i]}"`, e); });
          write(`${args[i]}\n`);
        }
      });
    });

  parent
    .command('stop')
    .description('Stop one or more running containers')
    .argument('[container-id...]')
    .option('-t, --timeout <seconds>', 'Seconds to wait to kill the container after a graceful stop is requested', '0')
    .option('-a, --all', 'Stop all running containers')
    .action(async (args: string[], o: { timeout: string; all?: boolean }, cmd: Command) => {
      const timeout = Number(o.timeout);
      if (!Number.isInteger(timeout) || timeout < 0) throw new Error(`--timeout must be a whole number of seconds, got "${o.timeout}"`);
      if (o.all && args.length > 0) throw new Error('cannot specify CONTAINER-ID(s) when using --all');
      if (!o.all && args.length === 0) throw new Error('you must specify at least one CONTAINER-ID or use --all');
      await withClient(cmd, async (client, ep) => {
        let ids: string[];
        let shown: string[];
        if (o.all) {
          ids = (await listContainers(client, { state: 'running' })).map((c) => c.id);
          if (ids.length === 0) return write('No running containers found.\n');
          shown = ids;
        } else {
          ids = await resolveContainerIds(client, args);
          shown = args;
        }
        // The call lasts up to the grace period: its deadline must outlast it.
        const callMs = ep.callTimeoutMs ?? (timeout + 60) * 1000;
        for (const [i, id] of ids.entries()) {
          await client.stopContainer({ container_id: id, timeout }, { timeoutMs: callMs }).catch((e: unknown) => { throw describeError(`stopping the container "${shown[i]}"`, e); });
          write(`${shown[i]}\n`);
        }
      });
    });

  parent
    .command('rm')
    .description('Remove one or more containers')
    .argument('[container-id...]')
    .option('-f, --force', 'Force removal of the container, disregarding if running')
    .option('-k, --keep-logs', 'Preserve the container log file and its rotations')
    .option('-a, --all', 'Remove all containers')
    .action(async (args: string[], o: { force?: boolean; keepLogs?: boolean; all?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const ids = o.all ? (await client.listContainers({})).containers.map((c) => c.id) : await resolveContainerIds(client, args);
        await removeEach(ids, o.all === true, { nothing: 'No containers to remove', usage: 'rm needs at least one CONTAINER-ID (or --all)' }, async (id, i) => {
          const shown = o.all ? id : (args[i] as string);
          const st = await client.containerStatus({ container_id: id }).catch((e: unknown) => { throw describeError(`getting container status "${shown}"`, e); });
          if (st.status?.state === 'CONTAINER_RUNNING') {
            if (!o.force) throw new Error(`container "${shown}" is running, please stop it first`);
            await client.stopContainer({ container_id: id, timeout: 0 }).catch((e: unknown) => { throw describeError(`stopping the container "${shown}"`, e); });
            write(`${shown}\n`);
          }
          await client.removeContainer({ container_id: id }).catch((e: unknown) => { throw describeError(`removing container "${shown}"`, e); });
          if (!o.keepLogs && st.status !== null && st.status.log_path !== '') await removeLogs(st.status.log_path);
          write(`${shown}\n`);
        });
      });
    });
}
