// Server side of port-forward over SPDY (portforward.k8s.io), as upstream's httpStreamHandler
// runs it: for every forwarded connection the client opens a pair of streams with the same
// `requestID` header — `streamType: error` and `streamType: data` — each naming the remote
// `port`. Once both are there the data stream is connected to the port; a failure is written as
// text on the error stream; then both are half-closed. One SPDY connection carries any number of
// such pairs until the client closes it. A pair whose second half does not arrive within the
// stream-creation timeout gets "timed out waiting for streams" on its error stream.
// Clients that send no requestID (old ones) are paired by stream id: data = error + 2.

import type { SpdyConnection } from './connection.js';
import { RstStatus } from './frames.js';
import { headerValue } from './headers.js';
import type { ForwardConnection } from '../portforward.js';
import { flush } from '../remotecommand.js';
import { STREAM_TYPE_HEADER } from './remotecommand.js';
import type { SpdyStream } from './stream.js';

export const PORT_HEADER = 'port';
export const REQUEST_ID_HEADER = 'requestID';

interface Pair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** The `port` header as upstream validates it; a message when it is not a port. */
export function parsePortHeader(value: string | undefined): number | string {
  if (value === undefined || value === '') return `"${PORT_HEADER}" header is required`;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n > 0xffff) return `unable to parse "${value}" as a port`;
  if (n < 1) return `port "${value}" must be > 0`;
  return n;
}

/** Serves pairs until the connection closes; resolves once every forward has settled. */
export async function serveSpdyPortForward(conn: SpdyConnection, streamCreationTimeoutMs: number, forward: ForwardConnection): Promise<void> {
  const ac = new AbortController();
  const pairs = new Map<string, Pair>();
  const running = new Set<Promise<void>>();

  const runPair = async (port: number, data: SpdyStream, error: SpdyStream): Promise<void> => {
    const failure = await forward(port, data, ac.signal);
    if (failure !== undefined && !ac.signal.aborted) error.write(failure);
    await Promise.all([flush(data), flush(error)]);
  };

  conn.on('stream', (stream) => {
    const type = headerValue(stream.headers, STREAM_TYPE_HEADER);
    const port = parsePortHeader(headerValue(stream.headers, PORT_HEADER));
    if ((type !== 'data' && type !== 'error') || typeof port === 'string') return stream.reset(RstStatus.PROTOCOL_ERROR);
    stream.accept();
    const key = headerValue(stream.headers, REQUEST_ID_HEADER) ?? `#${type === 'error' ? stream.id : stream.id - 2}`;
    let pair = pairs.get(key);
    if (!pair) {
      const timer = setTimeout(() => {
        pairs.delete(key);
        const { data, error } = pair as Pair;
        data?.reset();
        if (error) {
          error.write(`timed out waiting for streams of request ${key}`);
          void flush(error);
        }
      }, streamCreationTimeoutMs);
      timer.unref();
      pair = { timer };
      pairs.set(key, pair);
    }
    if (pair[type]) return stream.reset(RstStatus.PROTOCOL_ERROR);
    pair[type] = stream;
    if (pair.data && pair.error) {
      clearTimeout(pair.timer);
      pairs.delete(key);
      const job = runPair(port, pair.data, pair.error);
      running.add(job);
      void job.finally(() => running.delete(job));
    }
  });

  await conn.closed;
  ac.abort();
  for (const p of pairs.values()) clearTimeout(p.timer);
  await Promise.all([...running]);
}
