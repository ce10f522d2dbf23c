// startCriServer: serves CRI v1 (RuntimeService + ImageService) on a unix socket and routes each
// RPC to a handler. This is the single wrapper that owns the cross-cutting work of every RPC:
// request decoding, the cancellation signal, error → gRPC status mapping, the optional call
// log, and UNIMPLEMENTED for RPCs that have no handler. Handlers only do the work.
//
// Contract:
// - A handler receives the fully decoded request (types.ts shapes) and a CallContext whose
//   `signal` aborts when the client cancels, its deadline passes or the server stops. It
//   returns (or resolves to) the response as an Input<...> (missing fields = zero values).
// - Throwing CriError sets the status code and message; an error with a numeric gRPC `code`
//   keeps it; any other error is UNKNOWN with its message (see toCriError).
// - GetContainerEvents' handler is an async iterable; each item is sent as it is produced,
//   respecting the transport's back-pressure; the iterable is closed (return()) when the
//   client goes away.
// - Nothing is logged unless `log` is given.
// - The socket: its directory is created, a stale socket file (nobody listening) is replaced,
//   a live one is an error (another runtime owns it), the mode is set to 0660; stop() removes it.

import { chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { CriError, toCriError } from './errors.js';
import { CRI_MAX_MESSAGE_BYTES, criDefinition } from './proto.js';
import type { Empty, ImageServiceRpcs, Input, RuntimeServiceRpcs } from './types.js';

export interface CallContext {
  /** Full method name, e.g. `/runtime.v1.RuntimeService/RunPodSandbox`. */
  method: string;
  /** Aborted when the client cancels, the deadline passes, or the server stops. */
  signal: AbortSignal;
  metadata: grpc.Metadata;
}

interface Rpc {
  request: unknown;
  response: unknown;
  stream: boolean;
}
/** What a unary handler returns: the response, or nothing when the response has no fields. */
export type Reply<T> = [T] extends [Empty] ? Input<T> | void : Input<T>;
export type UnaryHandler<R extends Rpc> = (req: R['request'], ctx: CallContext) => Promise<Reply<R['response']>> | Reply<R['response']>;
export type StreamHandler<R extends Rpc> = (req: R['request'], ctx: CallContext) => AsyncIterable<Input<R['response']>>;
export type Handler<R extends Rpc> = R['stream'] extends true ? StreamHandler<R> : UnaryHandler<R>;

/** One handler per RuntimeService RPC, keyed by the RPC name (`RunPodSandbox`). */
export type RuntimeHandlers = { [K in keyof RuntimeServiceRpcs]: Handler<RuntimeServiceRpcs[K]> };
/** One handler per ImageService RPC, keyed by the RPC name (`PullImage`). */
export type ImageHandlers = { [K in keyof ImageServiceRpcs]: Handler<ImageServiceRpcs[K]> };

/** What `log` receives once per finished call. */
export interface CriCallRecord {
  method: string;
  /** gRPC status code; 0 = OK. */
  code: grpc.status;
  /** The error message when code != 0. */
  message?: string;
  durationMs: number;
}

export interface CriServerOptions {
  /** Socket path, or a `unix://` endpoint. */
  socket: string;
  runtime?: Partial<RuntimeHandlers>;
  image?: Partial<ImageHandlers>;
  /** Called after every call; default: nothing is logged. */
  log?: (call: CriCallRecord) => void;
  /** File mode of the socket; default 0o660. */
  mode?: number;
}

export interface CriServer {
  /** The socket path the server listens on. */
  readonly socket: string;
  /**
   * Stops accepting calls, ends event streams, waits up to `graceMs` (default 5 s) for unary
   * calls in flight, then cancels the rest, and removes the socket file.
   */
  stop(graceMs?: number): Promise<void>;
}

/** The filesystem path of a socket endpoint (`unix:///a/b.sock` → `/a/b.sock`). */
export function socketPath(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('unix:')) return endpoint.slice('unix:'.length);
  return endpoint;
}

export async function startCriServer(options: CriServerOptions): Promise<CriServer> {
  const path = socketPath(options.socket);
  if (!path) throw new Error('CRI server socket path is empty');
  const def = criDefinition();
  const streams = new Set<{ abort: AbortController; call: grpc.ServerWritableStream<unknown, unknown> }>();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': CRI_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': CRI_MAX_MESSAGE_BYTES,
  });
  server.addService(def.runtime, implement(def.runtime, options.runtime ?? {}, options.log, streams));
  server.addService(def.image, implement(def.image, options.image ?? {}, options.log, streams));

  await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  await removeStaleSocket(path);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(new Error(`cannot listen on CRI socket ${path}: ${err.message}`)) : resolve(),
    ),
  );
  try {
    await chmod(path, options.mode ?? 0o660);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return {
    socket: path,
    stop(graceMs = 5000) {
      stopped ??= (async () => {
        for (const s of streams) {
          s.abort.abort(new CriError(grpc.status.UNAVAILABLE, 'the CRI server is stopping'));
          s.call.end();
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => server.forceShutdown(), graceMs);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        await unlink(path).catch(() => undefined);
      })();
      return stopped;
    },
  };
}

/** True when a process accepts connections on the unix socket at `path`. */
export function socketServed(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Replaces a socket file nobody listens on; refuses a live one or a non-socket. */
async function removeStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return;
  if (!st.isSocket()) throw new Error(`cannot listen on CRI socket ${path}: the path exists and is not a socket`);
  if (await socketServed(path)) throw new Error(`cannot listen on CRI socket ${path}: another process is serving it (stop it first)`);
  await unlink(path);
}

type AnyHandler = (req: unknown, ctx: CallContext) => unknown;

/** The grpc-js implementation object of one service: every method, handled or UNIMPLEMENTED. */
function implement(
  service: ServiceDefinition,
  handlers: object,
  log: CriServerOptions['log'],
  streams: Set<{ abort: AbortController; call: grpc.ServerWritableStream<unknown, unknown> }>,
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service) as [string, MethodDefinition<unknown, unknown>][]) {
    const fn = (handlers as Record<string, AnyHandler | undefined>)[name];
    const handler: AnyHandler = fn
      ? (req, ctx) => fn.call(handlers, req, ctx)
      : () => {
          throw CriError.unimplemented(`${method.path.slice(1)} is not implemented by skiff`);
        };
    const finish = (start: number, err: CriError | undefined): void =>
      log?.({ method: method.path, code: err ? err.code : grpc.status.OK, ...(err ? { message: err.message } : {}), durationMs: Date.now() - start });

    if (!method.responseStream) {
      impl[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const start = Date.now();
        const { ctx, done } = context(method.path, call);
        Promise.resolve()
          .then(() => handler(call.request, ctx))
          .then(
            (res) => {
              finish(start, undefined);
              callback(null, res ?? {});
            },
            (thrown: unknown) => {
              const err = toCriError(thrown);
              finish(start, err);
              callback({ code: err.code, details: err.message });
            },
          )
          .finally(done);
      };
    } else {
      impl[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const start = Date.now();
        const { ctx, done, abort } = context(method.path, call);
        const entry = { abort, call };
        streams.add(entry);
        void (async () => {
          try {
            const items = handler(call.request, ctx) as AsyncIterable<unknown>;
            for await (const item of items) {
              if (ctx.signal.aborted) break;
              if (!call.write(item)) await new Promise((resolve) => call.once('drain', resolve));
            }
            finish(start, undefined);
            if (!ctx.signal.aborted) call.end();
          } catch (thrown) {
            const err = toCriError(thrown);
            finish(start, err);
            if (!ctx.signal.aborted) call.emit('error', { code: err.code, details: err.message });
          } finally {
            streams.delete(entry);
            done();
          }
        })();
      };
    }
  }
  return impl;
}

/** The CallContext of a call: its signal aborts on cancellation (client gone, deadline). */
function context(method: string, call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>) {
  const abort = new AbortController();
  const onCancel = (): void => abort.abort(new CriError(grpc.status.CANCELLED, `${method} was cancelled by the client`));
  call.once('cancelled', onCancel);
  return {
    abort,
    ctx: { method, signal: abort.signal, metadata: call.metadata } satisfies CallContext,
    done: () => call.removeListener('cancelled', onCancel),
  };
}
