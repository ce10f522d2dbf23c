// What the two streaming clients share, whatever the transport: the websocket client
// (client.ts) and the SPDY one (spdy-client.ts) take the same options, reject with the same
// error, read a refused upgrade the same way and feed a session's input the same way.

import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import type { TerminalSize } from './channels.js';

/** Where terminal sizes come from: an initial size and later changes. */
export interface ResizeSource {
  initial?: TerminalSize;
  /** Calls `listener` on every change; returns the unsubscribe. */
  subscribe?(listener: (size: TerminalSize) => void): () => void;
}

/** The sizes of a local terminal (process.stdout when it is a TTY). */
export function terminalResizeSource(out: NodeJS.WriteStream): ResizeSource {
  const size = (): TerminalSize => ({ width: out.columns, height: out.rows });
  return {
    initial: size(),
    subscribe(listener) {
      const on = (): void => listener(size());
      out.on('resize', on);
      return () => out.off('resize', on);
    },
  };
}

export interface RemoteCommandClientOptions {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty?: boolean;
  resize?: ResizeSource;
  /** Subprotocols to offer, best first; default v5 then v4 (websocket), v4 down to v1 (SPDY). */
  protocols?: string[];
  signal?: AbortSignal;
}

export class StreamingClientError extends Error {
  override readonly name = 'StreamingClientError';
}

/** The error for an upgrade the server refused with a plain HTTP answer (e.g. 404 for a used token): its status and the start of its body. */
export function refusedUpgrade(res: IncomingMessage): Promise<StreamingClientError> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body = (body + d).slice(0, 4096)));
    res.on('end', () => resolve(new StreamingClientError(`streaming server answered ${res.statusCode} ${res.statusMessage ?? ''}: ${body.trim()}`)));
    res.on('error', () => resolve(new StreamingClientError(`streaming server answered ${res.statusCode}`)));
  });
}

/**
 * Feeds a session's input: the initial terminal size and every change go to `sendSize` (given
 * when the session has a resize channel), the local stdin is piped into `remoteStdin`, whose
 * end tells the server "no more input" where the protocol can. Returns the undo, for when the
 * session is over: it unsubscribes and leaves the local stdin (the caller's, e.g.
 * process.stdin) unpiped and paused.
 */
export function feedInput(opts: RemoteCommandClientOptions, remoteStdin: Writable | undefined, sendSize: ((size: TerminalSize) => void) | undefined): () => void {
  let unsubscribe: (() => void) | undefined;
  if (sendSize) {
    if (opts.resize?.initial) sendSize(opts.resize.initial);
    unsubscribe = opts.resize?.subscribe?.(sendSize);
  }
  const { stdin } = opts;
  if (stdin && remoteStdin) stdin.pipe(remoteStdin);
  return () => {
    unsubscribe?.();
    if (stdin) {
      stdin.unpipe(remoteStdin);
      stdin.pause();
    }
  };
}
