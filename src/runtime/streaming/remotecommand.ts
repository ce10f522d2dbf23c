// Server side of one exec or attach session over a websocket, as upstream's remotecommand
// server runs it: an empty message on the lowest requested output channel tells the client the
// stream is established; stdin (channel 0) and resize (channel 4) flow in, stdout/stderr flow
// out; when the backend is done the final status goes on the error channel (3) and the
// websocket closes normally. A client that goes away aborts the backend.

import { once } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import { ResizeEvents, type RemoteCommandIO } from './backend.js';
import { ERROR, protocolTraits, RESIZE, ResizeDecoder, STDERR, STDIN, STDOUT } from './channels.js';
import { encodeStatus, type RemoteStatus } from './status.js';
import { WsChannels } from './ws-channels.js';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * What an exec or attach session runs once its streams are up, whatever the transport: the
 * backend's work, with its outcome as the final status.
 */
export type RunRemoteCommand = (io: RemoteCommandIO) => Promise<RemoteStatus>;

/** Runs the session; resolves when the websocket is closed and the backend has settled. */
export async function serveRemoteCommand(ws: WebSocket, opts: RemoteCommandOptions, idleTimeoutMs: number, run: RunRemoteCommand): Promise<void> {
  const ch = new WsChannels(ws, protocolTraits(ws.protocol), idleTimeoutMs);
  const ac = new AbortController();
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const stdin = opts.stdin ? new PassThrough() : undefined;
  const stdout = opts.stdout ? ch.writer(STDOUT) : undefined;
  const stderr = opts.stderr ? ch.writer(STDERR) : undefined;
  const resize = new ResizeEvents();
  const decoder = new ResizeDecoder();

  ch.onFrame((frame) => {
    if (frame.kind === 'close') {
      if (frame.channel === STDIN) stdin?.end();
      return;
    }
    if (frame.kind !== 'data') return;
    if (frame.channel === STDIN && stdin && !stdin.writableEnded) {
      if (!stdin.write(frame.data)) {
        ws.pause();
        stdin.once('drain', () => ws.resume());
      }
    } else if (frame.channel === RESIZE) {
      for (const size of decoder.push(frame.data)) resize.push(size);
    }
  });
  void closed.then(() => {
    ac.abort();
    if (stdin && !stdin.writableEnded) stdin.end();
  });

  // The "connected" signal upstream sends before anything else.
  ch.send(opts.stdout ? STDOUT : opts.stderr ? STDERR : ERROR, Buffer.alloc(0));

  const status = await runBackend({ tty: opts.tty, resize, signal: ac.signal, stdin, stdout, stderr }, run);
  const payload = encodeStatus(ch.traits, status);
  if (payload) await ch.sendAsync(ERROR, payload);
  ch.close();
  await closed;
}

/**
 * Runs the backend with the session's stdio (whatever the transport) and then ends and flushes
 * stdout and stderr: output the backend wrote must precede the status the caller sends next.
 */
export async function runBackend(
  parts: { tty: boolean; resize: ResizeEvents; signal: AbortSignal; stdin?: Readable | undefined; stdout?: Writable | undefined; stderr?: Writable | undefined },
  run: RunRemoteCommand,
): Promise<RemoteStatus> {
  const io: RemoteCommandIO = { tty: parts.tty, resize: parts.resize, signal: parts.signal };
  if (parts.stdin) io.stdin = parts.stdin;
  if (parts.stdout) io.stdout = parts.stdout;
  if (parts.stderr) io.stderr = parts.stderr;
  try {
    return await run(io);
  } finally {
    await Promise.all([parts.stdout, parts.stderr].map((w) => (w ? flush(w) : undefined)));
  }
}

/** Ends a writable (for a SPDY stream: FIN after the data) and waits until all of it is out. */
export async function flush(w: Writable): Promise<void> {
  if (w.writableFinished || w.destroyed) return;
  if (!w.writableEnded) w.end();
  await once(w, 'finish').catch(() => undefined);
}
