// `crictl attach` and `crictl port-forward`: the CRI Attach / PortForward RPCs give a URL on the
// runtime's streaming server, spoken to over SPDY (default, as crictl) or websockets
// (`-r, --transport`). attach copies this terminal to the container's main process; port-forward
// listens on 127.0.0.1 for each `[LOCAL_PORT:]REMOTE_PORT` until interrupted — over SPDY all
// connections share one streaming connection, over websockets each takes its own URL.

import type { Command } from 'commander';
import type { PortForwardListener } from '../../runtime/streaming/index.js';
import { resolveContainerIds, resolvePodIds, withClient, write } from './context.js';
import { streamExec, transportOption, type Transport } from './stream.js';

/** `[LOCAL_PORT:]REMOTE_PORT` → ports (local 0 = pick one; no local = same as remote). */
export function parsePortMapping(arg: string): { local: number; remote: number } {
  const m = /^(?:(\d*):)?(\d+)$/.exec(arg);
  const port = (s: string): number => {
    const n = Number(s);
    if (!Number.isInteger(n) || n > 0xffff) throw new Error(`invalid port "${s}" in "${arg}": ports are 0-65535`);
    return n;
  };
  if (!m) throw new Error(`invalid port mapping "${arg}": expected [LOCAL_PORT:]REMOTE_PORT`);
  const remote = port(m[2] as string);
  if (remote === 0) throw new Error(`invalid port mapping "${arg}": the remote port must be > 0`);
  return { local: m[1] === undefined ? remote : m[1] === '' ? 0 : port(m[1]), remote };
}

export function attachCommands(parent: Command): void {
  parent
    .command('attach')
    .description('Attach to a running container')
    .argument('<container-id>')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-i, --stdin', 'Keep STDIN open')
    .addOption(transportOption())
    .action(async (id: string, o: { tty?: boolean; stdin?: boolean; transport: Transport }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const [container] = await resolveContainerIds(client, [id]);
        const tty = o.tty === true;
        const { url } = await client.attach({ container_id: container as string, tty, stdin: o.stdin === true, stdout: true, stderr: !tty });
        await streamExec(url, { stdin: o.stdin === true, tty, stdout: true, stderr: !tty, transport: o.transport });
      });
    });

  parent
    .command('port-forward')
    .description('Forward local port to a pod')
    .argument('<pod-id>')
    .argument('<ports...>', '[LOCAL_PORT:]REMOTE_PORT')
    .addOption(transportOption())
    .action(async (podArg: string, portArgs: string[], o: { transport: Transport }, cmd: Command) => {
      const mappings = portArgs.map(parsePortMapping);
      await withClient(cmd, async (client) => {
        const [pod] = await resolvePodIds(client, [podArg]);
        const getUrl = async (): Promise<string> => (await client.portForward({ pod_sandbox_id: pod as string, port: mappings.map((m) => m.remote) })).url;
        const { listenPortForward, SpdyPortForwardSession } = await import('../../runtime/streaming/index.js');
        const session = o.transport === 'spdy' ? await SpdyPortForwardSession.open(await getUrl()) : undefined;
        const listeners: PortForwardListener[] = [];
        try {
          for (const m of mappings) {
            const l = await listenPortForward({
              getUrl,
              ...(session ? { dial: (p: number) => session.dial(p) } : {}),
              remotePort: m.remote,
              localPort: m.local,
              onError: (err) => process.stderr.write(`error forwarding to port ${m.remote}: ${err.message}\n`),
            });
            listeners.push(l);
            write(`Forwarding from ${l.address}:${l.port} -> ${m.remote}\n`);
          }
          const lost = await new Promise<boolean>((resolve) => {
            process.once('SIGINT', () => resolve(false));
            process.once('SIGTERM', () => resolve(false));
            void session?.closed.then(() => resolve(true));
          });
          if (lost) throw new Error('lost connection to pod');
        } finally {
          await Promise.all(listeners.map((l) => l.close()));
          await session?.close();
        }
      });
    });
}
