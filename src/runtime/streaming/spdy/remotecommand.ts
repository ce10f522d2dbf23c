// Server side of one exec or attach session over SPDY, as upstream's remotecommand server runs
// it (k8s.io/kubelet/pkg/cri/streaming/remotecommand): the client opens one stream per channel,
// named by its `streamType` header — error, stdin, stdout, stderr, and resize (v3+, with a
// tty). The server accepts each, waits until the set the request implies has arrived (or drops
// the connection after the stream-creation timeout, "timed out waiting for client to create
// streams"), then runs the backend with the streams as its stdio. stdin ends with the client's
// FIN, so SPDY can say "no more input" at every version. At the end output streams are
// half-closed, the final status goes on the error stream (v4: metav1.Status JSON, also on
// success; v1-v3: a failure's message as text) and the connection closes.

import { ResizeEvents } from '../backend.js';
import { protocolTraits, ResizeDecoder } from '../channels.js';
import { flush, runBackend, type RemoteCommandOptions, type RunRemoteCommand } from '../remotecommand.js';
import { encodeStatus } from '../status.js';
import type { SpdyConnection } from './connection.js';
import { RstStatus } from './frames.js';
import { headerValue } from './headers.js';
import type { SpdyStream } from './stream.js';

export const STREAM_TYPE_HEADER = 'streamType';
export type RemoteStreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
const REMOTE_STREAM_TYPES: readonly string[] = ['error', 'stdin', 'stdout', 'stderr', 'resize'];

/** Kubelet's default StreamCreationTimeout. */
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

/** With a tty, from v3 on, the client opens a resize stream (sizes or not); v1/v2 know none. */
export function hasResizeStream(protocol: string, tty: boolean): boolean {
  return tty && (protocol.startsWith('v3.') || protocol.startsWith('v4.'));
}

/** The streams a request needs: error always, one per requested stdio, resize with a tty from v3 on. */
export function expectedStreams(opts: RemoteCommandOptions, protocol: string): Set<RemoteStreamType> {
  const want = new Set<RemoteStreamType>(['error']);
  if (opts.stdin) want.add('stdin');
  if (opts.stdout) want.add('stdout');
  if (opts.stderr && !opts.tty) want.add('stderr');
  if (hasResizeStream(protocol, opts.tty)) want.add('resize');
  return want;
}

/**
 * Collects the client's streams by type until `want` is complete. Resolves with them, or
 * undefined when the connection ended or the timeout passed first. Streams without a
 * `streamType` are refused, as upstream does; others beyond the set are accepted and ignored.
 */
export function awaitStreams(conn: SpdyConnection, want: ReadonlySet<string>, timeoutMs: number): Promise<Map<string, SpdyStream> | undefined> {
  return new Promise((resolve) => {
    const got = new Map<string, SpdyStream>();
    const finish = (result: Map<string, SpdyStream> | undefined): void => {
      clearTimeout(timer);
      conn.off('stream', onStream);
      resolve(result);
    };
    const onStream = (stream: SpdyStream): void => {
      const type = headerValue(stream.headers, STREAM_TYPE_HEADER);
      if (!type) return stream.reset(RstStatus.PROTOCOL_ERROR);
      stream.accept();
      if (!REMOTE_STREAM_TYPES.includes(type) || got.has(type)) return;
      got.set(type, stream);
      if ([...want].every((t) => got.has(t))) finish(got);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    timer.unref();
    conn.on('stream', onStream);
    void conn.closed.then(() => finish(undefined));
  });
}

/** Runs the session; resolves when the connection is closed and the backend has settled. */
export async function serveSpdyRemoteCommand(
  conn: SpdyConnection,
  protocol: string,
  opts: RemoteCommandOptions,
  streamCreationTimeoutMs: number,
  run: RunRemoteCommand,
): Promise<void> {
  const streams = await awaitStreams(conn, expectedStreams(opts, protocol), streamCreationTimeoutMs);
  if (!streams) {
    conn.destroy(new Error('timed out waiting for client to create streams'));
    await conn.closed;
    return;
  }
  const ac = new AbortController();
  void conn.closed.then(() => ac.abort());
  const resize = new ResizeEvents();
  const decoder = new ResizeDecoder();
  streams.get('resize')?.on('data', (chunk: Buffer) => {
    for (const size of decoder.push(chunk)) resize.push(size);
  });

  const status = await runBackend(
    {
      tty: opts.tty,
      resize,
      signal: ac.signal,
      stdin: opts.stdin ? streams.get('stdin') : undefined,
      stdout: opts.stdout ? streams.get('stdout') : undefined,
      stderr: opts.stderr && !opts.tty ? streams.get('stderr') : undefined,
    },
    run,
  );
  const errorStream = streams.get('error');
  const payload = encodeStatus(protocolTraits(protocol), status);
  if (errorStream) {
    if (payload) errorStream.write(payload);
    await flush(errorStream);
  }
  await conn.close();
}
