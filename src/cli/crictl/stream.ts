// Interactive streaming for `skiff crictl exec -i/-t` and `attach`: the CRI Exec/Attach RPC
// answers with a URL on the runtime's streaming server, spoken to over SPDY/3.1 (crictl's
// default, spdy-client.ts) or websockets (kubectl's v5.channel.k8s.io, client.ts) as
// `--transport` says. This process's stdin is copied to it and its output back, with the
// terminal in raw mode and resizes sent when `tty`; resolves with the remote exit code.
// The clients are imported when a session starts, not with the command tree (see main.ts).

import type { Option } from 'commander';
import { Option as CliOption } from 'commander';

export const TRANSPORTS = ['spdy', 'websocket'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** crictl's `-r, --transport` flag (default spdy, as upstream crictl). */
export function transportOption(): Option {
  return new CliOption('-r, --transport <transport>', `Transport protocol to use, one of: ${TRANSPORTS.join('|')}`).choices(TRANSPORTS).default('spdy');
}

export interface StreamOptions {
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
  transport: Transport;
}

/** Runs an interactive session at a CRI streaming URL; resolves with the remote exit code. */
export async function streamExec(url: string, opts: StreamOptions): Promise<number> {
  const { runRemoteCommand, runSpdyRemoteCommand, StreamingClientError, terminalResizeSource } = await import('../../runtime/streaming/index.js');
  const raw = opts.tty && opts.stdin && process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  try {
    const run = opts.transport === 'websocket' ? runRemoteCommand : runSpdyRemoteCommand;
    const outcome = await run(url, {
      ...(opts.stdin ? { stdin: process.stdin } : {}),
      ...(opts.stdout ? { stdout: process.stdout } : {}),
      ...(opts.stderr ? { stderr: process.stderr } : {}),
      tty: opts.tty,
      ...(opts.tty && process.stdout.isTTY ? { resize: terminalResizeSource(process.stdout) } : {}),
    });
    if ('error' in outcome) throw new StreamingClientError(outcome.error);
    return outcome.exitCode;
  } finally {
    if (raw) process.stdin.setRawMode(false);
    if (opts.stdin) process.stdin.pause();
  }
}
