// A client for streaming URLs (CRI Exec/Attach/PortForward answers), speaking the websocket
// protocols kubectl uses: exec/attach over v5.channel.k8s.io (falling back to
// v4.channel.k8s.io, e.g. containerd's server, where the end of stdin cannot be signalled) and
// port-forward over v4.channel.k8s.io. Used by `skiff crictl exec|attach|port-forward` and the
// tests; it works against skiff's streaming server and against upstream runtimes' websocket
// endpoints.

import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { encodeResize, ERROR, protocolTraits, RESIZE, STDERR, STDIN, STDOUT, V4_BINARY, V5_BINARY } from './channels.js';
import { feedInput, refusedUpgrade, StreamingClientError, type RemoteCommandClientOptions } from './client-common.js';
import { decodeStatus, type SessionOutcome } from './status.js';
import { EarlyMessages, WsChannels } from './ws-channels.js';

/** Opens the websocket; rejects with the server's answer when it refuses the upgrade (e.g. 404 for a used token). */
function openSocket(url: string, protocols: string[], signal?: AbortSignal): Promise<{ ws: WebSocket; early: EarlyMessages }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols, { perMessageDeflate: false });
    const early = new EarlyMessages(ws);
    const onAbort = (): void => ws.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ ws, early });
    });
    ws.once('unexpected-response', (_req, res) => void refusedUpgrade(res).then(reject));
    ws.once('error', (err) => reject(new StreamingClientError(`cannot open ${url}: ${err.message}`)));
    if (signal?.aborted) onAbort();
  });
}

/** Runs an exec or attach session to its end; the outcome is the server's final status. */
export async function runRemoteCommand(url: string, opts: RemoteCommandClientOptions): Promise<SessionOutcome> {
  const { ws, early } = await openSocket(url, opts.protocols ?? [V5_BINARY, V4_BINARY], opts.signal);
  const ch = new WsChannels(ws, protocolTraits(ws.protocol));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const errorParts: Buffer[] = [];
  const onAbort = (): void => ch.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  ch.onFrame((frame) => {
    if (frame.kind !== 'data') return;
    if (frame.channel === STDOUT) opts.stdout?.write(frame.data);
    else if (frame.channel === STDERR) opts.stderr?.write(frame.data);
    else if (frame.channel === ERROR) errorParts.push(frame.data);
  }, early);

  const undoInput = feedInput(
    opts,
    opts.stdin ? ch.writer(STDIN, { signalEnd: true }) : undefined,
    opts.tty ? (size) => ch.send(RESIZE, encodeResize(size)) : undefined,
  );

  await closed;
  opts.signal?.removeEventListener('abort', onAbort);
  undoInput();
  return decodeStatus(ch.traits, Buffer.concat(errorParts));
}

/** Exec: resolves with the command's exit code; rejects when it could not run. */
export async function streamExec(url: string, opts: RemoteCommandClientOptions = {}): Promise<{ exitCode: number }> {
  const out = await runRemoteCommand(url, opts);
  if ('error' in out) throw new StreamingClientError(out.error);
  return out;
}

/** Attach: resolves when the container exits or the session ends; rejects on a failure status. */
export async function streamAttach(url: string, opts: RemoteCommandClientOptions = {}): Promise<void> {
  const out = await runRemoteCommand(url, opts);
  if ('error' in out) throw new StreamingClientError(out.error);
}

/**
 * Opens one port-forward connection: resolves, once the server announced the port, with a
 * Duplex carrying the connection's bytes. The server's error message (e.g. connection refused)
 * destroys the stream with that error.
 */
export async function dialPortForward(url: string, port: number, signal?: AbortSignal): Promise<Duplex> {
  const { ws, early } = await openSocket(url, [V4_BINARY], signal);
  const ch = new WsChannels(ws, protocolTraits(ws.protocol));
  const { stream, feed } = ch.duplex(0);
  const seen = [false, false];
  let errorText = '';
  const announced = new Promise<void>((resolve, reject) => {
    ch.onFrame((frame) => {
      if (frame.kind !== 'data' || frame.channel > 1) return;
      let data = frame.data;
      if (!seen[frame.channel]) {
        // The first message on each channel is the port (uint16 LE), possibly followed by data.
        seen[frame.channel] = true;
        if (data.length < 2 || data.readUInt16LE(0) !== port) {
          reject(new StreamingClientError(`streaming server announced port ${data.length >= 2 ? data.readUInt16LE(0) : '?'} on channel ${frame.channel}, expected ${port}`));
          ws.terminate();
          return;
        }
        data = data.subarray(2);
        if (seen[0] && seen[1]) resolve();
      }
      if (data.length === 0) return;
      if (frame.channel === 0) feed(data);
      else errorText += data.toString('utf8');
    }, early);
    ws.once('close', () => reject(new StreamingClientError(`port-forward connection closed before the port was announced${errorText ? `: ${errorText}` : ''}`)));
  });
  ws.once('close', () => {
    if (errorText) stream.destroy(new StreamingClientError(errorText.trim()));
    else feed(null);
  });
  // Our side is done writing and reading: nothing more to say in v4, so close the connection.
  stream.once('close', () => ch.close());
  await announced;
  return stream;
}

export interface PortForwardListener {
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on host:localPort (default 127.0.0.1, 0 = pick) and forwards every accepted
 * connection to `remotePort` through a fresh URL from `getUrl` (tokens are single-use, so each
 * connection needs its own PortForward RPC, as crictl's port-forward does per stream), or
 * through `dial` when given (e.g. a stream pair on one SPDY connection, spdy-client.ts).
 */
export async function listenPortForward(opts: {
  getUrl: () => Promise<string>;
  dial?: (port: number) => Promise<Duplex>;
  remotePort: number;
  localPort?: number;
  host?: string;
  onError?: (err: Error) => void;
}): Promise<PortForwardListener> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.pause();
    void (async () => {
      let remote: Duplex;
      try {
        remote = opts.dial ? await opts.dial(opts.remotePort) : await dialPortForward(await opts.getUrl(), opts.remotePort);
      } catch (err) {
        opts.onError?.(err as Error);
        sock.destroy();
        return;
      }
      remote.on('error', (err) => {
        opts.onError?.(err);
        sock.destroy();
      });
      sock.once('close', () => remote.destroy());
      remote.once('end', () => sock.end());
      sock.pipe(remote, { end: false });
      remote.pipe(sock, { end: false });
      sock.resume();
    })();
  });
  server.listen(opts.localPort ?? 0, opts.host ?? '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as { address: string; port: number };
  return {
    address: addr.address,
    port: addr.port,
    async close() {
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await done;
    },
  };
}
