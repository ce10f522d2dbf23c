// Server side of a port-forward over a websocket (upstream's portforward websocket handler):
// for the i-th requested port, channel 2i carries data both ways and channel 2i+1 carries
// errors to the client; the server's first message on each is the port as a little-endian
// uint16. Each port gets one connection for the life of the websocket; the websocket closes
// once every port's connection has ended. A client that goes away aborts them.

import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { portPreamble, protocolTraits } from './channels.js';
import { flush } from './remotecommand.js';
import { WsChannels } from './ws-channels.js';

/** Ports from the `port` query parameters ("port=80&port=443" or "port=80,443"). */
export function parsePortQuery(values: readonly string[]): number[] {
  if (values.length === 0) throw new Error('query parameter "port" is required');
  const ports: number[] = [];
  for (const v of values) {
    if (v === '') throw new Error('query parameter "port" cannot be empty');
    for (const p of v.split(',')) {
      const n = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!Number.isInteger(n) || n > 0xffff) throw new Error(`unable to parse "${v}" as a port`);
      if (n < 1) throw new Error(`port "${v}" must be > 0`);
      ports.push(n);
    }
  }
  return ports;
}

/**
 * What a port-forward session runs for one connection to `port`, whatever the transport: `stream`
 * carries the client's bytes and takes the port's. Resolves once the connection is done, with
 * the text to give the client on the port's error channel when it failed.
 */
export type ForwardConnection = (port: number, stream: Duplex, signal: AbortSignal) => Promise<string | undefined>;

/** Serves the ports until every connection ended; resolves when the websocket is closed. */
export async function servePortForward(ws: WebSocket, ports: readonly number[], idleTimeoutMs: number, forward: ForwardConnection): Promise<void> {
  const ch = new WsChannels(ws, protocolTraits(ws.protocol), idleTimeoutMs);
  const ac = new AbortController();
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  const feeds = ports.map((port, i) => {
    const pair = ch.duplex(2 * i);
    ch.send(2 * i, portPreamble(port));
    ch.send(2 * i + 1, portPreamble(port));
    return pair;
  });
  ch.onFrame((frame) => {
    if (frame.kind !== 'data' || frame.channel % 2 !== 0) return;
    feeds[frame.channel / 2]?.feed(frame.data);
  });
  void closed.then(() => {
    ac.abort();
    for (const f of feeds) f.feed(null);
  });

  await Promise.all(
    ports.map(async (port, i) => {
      const { stream } = feeds[i] as { stream: Duplex };
      const failure = await forward(port, stream, ac.signal);
      if (failure !== undefined && !ac.signal.aborted) await ch.sendAsync(2 * i + 1, Buffer.from(failure));
      // Whatever the port sent must reach the socket before the close frame.
      await flush(stream);
    }),
  );
  ch.close();
  await closed;
}
