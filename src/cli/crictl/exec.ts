// `crictl exec`: runs a command in one or more running containers.
//
// Without -i/-t (or with -s/--sync) the command runs through ExecSync: its stdout and stderr are
// written to ours and its exit code becomes ours (crictl prints both outputs to stdout and exits
// 1; keeping the streams apart and the code intact is what scripts need). With -i or -t the CRI
// Exec RPC gives a streaming URL, handed to streamExec (stream.ts) over SPDY or websockets
// (`--transport`, default spdy as crictl). Filter flags (--name, --pod,
// --label, --latest, ...) select containers instead of a CONTAINER-ID, as in crictl.

import type { Command } from 'commander';
import type { CriClient } from '../../cri/client.js';
import { aggregateErrors, describeError, resolveContainerIds, withClient, write } from './context.js';
import { containerFilterFlags, listContainers, type ContainerListOptions } from './ps.js';
import { streamExec, transportOption, type Transport } from './stream.js';

interface ExecFlags extends ContainerListOptions {
  sync?: boolean;
  timeout: string;
  tty?: boolean;
  interactive?: boolean;
  quiet?: boolean;
  ignoreErrors?: boolean;
  parallel?: boolean;
  transport: Transport;
}

/** Runs `cmd` with ExecSync; writes its output; returns its exit code. */
export async function execSync(client: CriClient, id: string, cmd: string[], timeoutSeconds: number): Promise<number> {
  // The call's deadline outlasts the command's own timeout; no deadline when it has none.
  const callMs = timeoutSeconds > 0 ? (timeoutSeconds + 30) * 1000 : 0;
  const res = await client.execSync({ container_id: id, cmd, timeout: timeoutSeconds }, { timeoutMs: callMs });
  process.stdout.write(res.stdout);
  process.stderr.write(res.stderr);
  return res.exit_code;
}

function usesFilters(o: ExecFlags): boolean {
  return [o.name, o.pod, o.image, o.state, o.label, o.last].some((v) => v !== undefined) || o.latest === true;
}

export function execCommand(parent: Command): void {
  containerFilterFlags(
    parent
      .command('exec')
      .description('Run a command in a running container')
      .argument('[container-id]')
      .argument('[command...]')
      .option('-s, --sync', 'Run the command synchronously')
      .option('--timeout <seconds>', 'Timeout in seconds', '0')
      .option('-t, --tty', 'Allocate a pseudo-TTY')
      .option('-i, --interactive', 'Keep STDIN open')
      .option('-q, --quiet', 'Do not print the container ID if multiple containers are selected')
      .option('-e, --ignore-errors', 'Ignore errors during command execution')
      .option('-x, --parallel', 'Run the command in parallel if multiple containers are selected')
      .addOption(transportOption())
      // Everything after the container id belongs to the command, dashes included.
      .passThroughOptions(),
    false,
    false,
  ).action(async (first: string | undefined, rest: string[], o: ExecFlags, cmd: Command) => {
    const timeout = Number(o.timeout);
    if (!Number.isInteger(timeout) || timeout < 0) throw new Error(`--timeout must be a whole number of seconds, got "${o.timeout}"`);
    const filtered = usesFilters(o);
    // With filters there is no CONTAINER-ID: the first argument is the command.
    const command = filtered ? [first, ...rest].filter((a): a is string => a !== undefined) : rest;
    if (command.length === 0 || (!filtered && first === undefined)) throw new Error('usage: exec [CONTAINER-ID] COMMAND [ARG...]');
    await withClient(cmd, async (client) => {
      let ids: string[];
      if (filtered) {
        ids = (await listContainers(client, o)).map((c) => c.id);
        if (ids.length === 0) throw new Error('No containers found per filter flags');
      } else {
        ids = await resolveContainerIds(client, [first as string]);
      }
      const printIds = filtered && !o.quiet && !o.parallel;
      let worst = 0;
      const errors: string[] = [];
      const runOne = async (id: string): Promise<void> => {
        try {
          if (printIds) write(`${id}:\n`);
          let code: number;
          if (o.sync || (!o.interactive && !o.tty)) {
            code = await execSync(client, id, command, timeout);
          } else {
            if (o.tty && !o.interactive) throw new Error('tty=true must be specified with interactive=true');
            const res = await client.exec({ container_id: id, cmd: command, tty: o.tty === true, stdin: o.interactive === true, stdout: true, stderr: o.tty !== true });
            code = await streamExec(res.url, { stdin: o.interactive === true, tty: o.tty === true, stdout: true, stderr: o.tty !== true, transport: o.transport });
          }
          if (code !== 0) worst = worst === 0 ? code : worst;
        } catch (e) {
          errors.push(describeError(`execing command in container ${id}`, e).message);
        }
      };
      if (o.parallel) await Promise.all(ids.map(runOne));
      else for (const id of ids) await runOne(id);
      if (o.ignoreErrors) return;
      const err = aggregateErrors(errors);
      if (err) throw err;
      if (worst !== 0) process.exitCode = worst;
    });
  });
}
