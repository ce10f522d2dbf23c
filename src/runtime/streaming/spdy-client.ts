// A SPDY/3.1 client for CRI streaming URLs, speaking what crictl and client-go speak: exec and
// attach over v4.channel.k8s.io (falling back to v3/v2/v1 when the server offers only those),
// port-forward over portforward.k8s.io with many connections multiplexed on one SPDY
// connection. It works against skiff's streaming server and upstream runtimes' (containerd,
// CRI-O: Go's spdystream), and backs `skiff crictl ... --transport spdy`.
//
// Exec/attach, as client-go does it: one stream per channel, opened in the order error, stdin,
// stdout, stderr, resize, each named by its `streamType` header; stdin's end half-closes its
// stream (the server closes the command's stdin); the session is over once stdout, stderr and
// the error stream have ended, and the error stream's content is the final status.

import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { encodeResize, protocolTraits } from './channels.js';
import { feedInput, StreamingClientError, type RemoteCommandClientOptions } from './client-common.js';
import type { SpdyConnection } from './spdy/connection.js';
import { PORT_HEADER, REQUEST_ID_HEADER } from './spdy/portforward.js';
import { hasResizeStream, STREAM_TYPE_HEADER } from './spdy/remotecommand.js';
import type { SpdyStream } from './spdy/stream.js';
import { dialSpdy, SPDY_PORT_FORWARD_PROTOCOL, SPDY_REMOTE_COMMAND_PROTOCOLS } from './spdy/upgrade.js';
import { decodeStatus, type SessionOutcome } from './status.js';

/** How long the server has to accept a stream (client-go's createStreamResponseTimeout). */
const STREAM_ACCEPT_TIMEOUT_MS = 30_000;

/** Resolves when a stream's readable side has ended (FIN, reset or connection gone). */
function ended(stream: SpdyStream): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return once(stream, 'end').then(() => undefined, () => undefined);
}

/** Runs an exec or attach session over SPDY; the outcome is the server's final status. */
export async function runSpdyRemoteCommand(url: string, opts: RemoteCommandClientOptions): Promise<SessionOutcome> {
  const { conn, protocol } = await dialSpdy(url, opts.protocols ?? SPDY_REMOTE_COMMAND_PROTOCOLS, opts.signal);
  const onAbort = (): void => conn.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const open = (type: string): Promise<SpdyStream> => conn.openStream({ [STREAM_TYPE_HEADER]: type }, { timeoutMs: STREAM_ACCEPT_TIMEOUT_MS });
  let undoInput: (() => void) | undefined;
  try {
    const errorStream = await open('error');
    const errorParts: Buffer[] = [];
    errorStream.on('data', (d: Buffer) => errorParts.push(d));
    const errorDone = ended(errorStream);
    const remoteStdin = opts.stdin ? await open('stdin') : undefined;
    const pumps: Promise<void>[] = [];
    for (const [type, local] of [['stdout', opts.stdout], ['stderr', opts.tty ? undefined : opts.stderr]] as const) {
      if (!local) continue;
      const s = await open(type);
      s.pipe(local, { end: false });
      pumps.push(ended(s));
    }
    // The server waits for the resize stream whenever the protocol has one.
    const resizeStream = hasResizeStream(protocol, opts.tty ?? false) ? await open('resize') : undefined;
    undoInput = feedInput(opts, remoteStdin, resizeStream && ((size) => void resizeStream.write(encodeResize(size))));
    await Promise.all(pumps);
    await errorDone;
    return decodeStatus(protocolTraits(protocol), Buffer.concat(errorParts));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    undoInput?.();
    void conn.close();
  }
}

/**
 * One SPDY port-forward connection to a streaming URL; `dial` opens a forwarded connection to
 * a port of the pod (a stream pair with a fresh requestID), any number of times.
 */
export class SpdyPortForwardSession {
  private nextRequestId = 0;

  private constructor(private readonly conn: SpdyConnection) {}

  static async open(url: string, signal?: AbortSignal): Promise<SpdyPortForwardSession> {
    const { conn } = await dialSpdy(url, [SPDY_PORT_FORWARD_PROTOCOL], signal);
    return new SpdyPortForwardSession(conn);
  }

  /** Resolves when the SPDY connection is gone (undefined for a clean end, else the reason). */
  get closed(): Promise<Error | undefined> {
    return this.conn.closed;
  }

  /**
   * Resolves with a Duplex carrying the connection's bytes once the server accepted the
   * streams. It ends after both the data and the error stream ended; a message on the error
   * stream (e.g. connection refused) destroys it with that message instead.
   */
  async dial(port: number): Promise<Duplex> {
    const requestId = String(this.nextRequestId++);
    const headers = (type: string): Record<string, string> => ({ [STREAM_TYPE_HEADER]: type, [PORT_HEADER]: String(port), [REQUEST_ID_HEADER]: requestId });
    // The client never writes on the error stream: it is opened half-closed, as client-go does.
    const errorStream = await this.conn.openStream(headers('error'), { fin: true, timeoutMs: STREAM_ACCEPT_TIMEOUT_MS });
    let errorText = '';
    errorStream.setEncoding('utf8').on('data', (d: string) => (errorText += d));
    const data = await this.conn.openStream(headers('data'), { timeoutMs: STREAM_ACCEPT_TIMEOUT_MS });
    const local = new Duplex({
      read: () => data.resume(),
      write: (chunk: Buffer, _enc, cb) => data.write(chunk, () => cb()),
      final: (cb) => {
        data.end();
        cb();
      },
    });
    data.on('data', (d: Buffer) => {
      if (!local.push(d)) data.pause();
    });
    void Promise.all([ended(data), ended(errorStream)]).then(() => {
      if (errorText.trim() !== '') local.destroy(new StreamingClientError(errorText.trim()));
      else local.push(null);
    });
    // Our user is gone: nothing more to read or write on this pair.
    local.once('close', () => {
      if (!data.readableEnded || !data.localFinished) data.reset();
    });
    return local;
  }

  close(): Promise<Error | undefined> {
    return this.conn.close();
  }
}
