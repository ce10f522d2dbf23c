// The CRI streaming server: the Exec, Attach and PortForward RPCs validate their request, store
// it with its resolved target under a single-use token (token-cache.ts) and answer
// `<baseUrl>/{exec,attach,portforward}/<token>`; the client then upgrades that URL either to a
// websocket (channels.ts protocols, what kubectl 1.30+ speaks) or to SPDY/3.1 (spdy/, what
// crictl, critest and the apiserver's proxy speak) and the backend does the work. As upstream
// (k8s.io/kubelet/pkg/cri/streaming): GET and POST are served, an unknown, reused or expired
// token — or one used on the wrong path — answers 404 "404 page not found", validation errors
// are InvalidArgument at RPC time, and the connection is dropped after 4 h without traffic.
// A request that is not an upgrade consumes its token and gets 400 saying which upgrades work.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CriError } from '../../cri/errors.js';
import type { AttachRequest, AttachResponse, ExecRequest, ExecResponse, PortForwardRequest, PortForwardResponse } from '../../cri/types.js';
import type { StreamingBackend } from './backend.js';
import { negotiate, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS } from './channels.js';
import { parsePortQuery, servePortForward, type ForwardConnection } from './portforward.js';
import { serveRemoteCommand, type RunRemoteCommand } from './remotecommand.js';
import type { SpdyConnection } from './spdy/connection.js';
import { serveSpdyPortForward } from './spdy/portforward.js';
import { DEFAULT_STREAM_CREATION_TIMEOUT_MS, serveSpdyRemoteCommand } from './spdy/remotecommand.js';
import { acceptSpdyUpgrade, isSpdyUpgrade, negotiateSpdy, SPDY_PORT_FORWARD_PROTOCOL, SPDY_REMOTE_COMMAND_PROTOCOLS } from './spdy/upgrade.js';
import { exitCodeStatus, internalErrorStatus, successStatus } from './status.js';
import { TokenCache } from './token-cache.js';

export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;

export interface StreamingServerOptions<C, S> {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 (default) picks a free one. */
  port?: number;
  backend: StreamingBackend<C, S>;
  /** The URL clients reach this server at, when not http://<host>:<port> (e.g. a node address). */
  baseUrl?: string;
  idleTimeoutMs?: number;
  /** How long a SPDY client has to open the streams of a session (upstream default 30 s). */
  streamCreationTimeoutMs?: number;
  tokenTtlMs?: number;
  /** Clock for token expiry (tests). */
  now?: () => number;
  /** Told about session failures that reach no client (the client is already gone). */
  onError?: (err: Error) => void;
}

export interface StreamingServer<C, S> {
  readonly baseUrl: string;
  /** Validates `req` (CriError InvalidArgument) and returns the single-use URL for it. */
  getExec(req: ExecRequest, target: C): ExecResponse;
  getAttach(req: AttachRequest, target: C): AttachResponse;
  getPortForward(req: PortForwardRequest, target: S): PortForwardResponse;
  /** Stops listening, ends every session (their processes are stopped) and waits for them. */
  close(): Promise<void>;
}

type Pending<C, S> =
  | { kind: 'exec'; req: ExecRequest; target: C }
  | { kind: 'attach'; req: AttachRequest; target: C }
  | { kind: 'portforward'; req: PortForwardRequest; target: S };

export function validateExecRequest(req: ExecRequest): void {
  if (!req.container_id) throw CriError.invalidArgument('missing required container_id');
  if (req.tty && req.stderr) throw CriError.invalidArgument('tty and stderr cannot both be true');
  if (!req.stdin && !req.stdout && !req.stderr) throw CriError.invalidArgument('one of stdin, stdout, or stderr must be set');
  if (!req.cmd || req.cmd.length === 0) throw CriError.invalidArgument('cmd must not be empty');
}

export function validateAttachRequest(req: AttachRequest): void {
  if (!req.container_id) throw CriError.invalidArgument('missing required container_id');
  if (req.tty && req.stderr) throw CriError.invalidArgument('tty and stderr cannot both be true');
  if (!req.stdin && !req.stdout && !req.stderr) throw CriError.invalidArgument('one of stdin, stdout, and stderr must be set');
}

export function validatePortForwardRequest(req: PortForwardRequest): void {
  if (!req.pod_sandbox_id) throw CriError.invalidArgument('missing required pod_sandbox_id');
  for (const p of req.port ?? []) {
    if (!Number.isInteger(p) || p < 1 || p > 0xffff) throw CriError.invalidArgument(`invalid port ${p}: ports must be in 1-65535`);
  }
}

function urlHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function plainResponse(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(text);
}

function rejectUpgrade(socket: Duplex, code: number, reason: string, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${text}`);
}

const UPGRADES_SPOKEN = 'this streaming server speaks SPDY/3.1 (Upgrade: SPDY/3.1) and websockets (v5/v4.channel.k8s.io; portforward over v4.channel.k8s.io)';

const NOT_FOUND = '404 page not found\n';

export async function startStreamingServer<C, S>(opts: StreamingServerOptions<C, S>): Promise<StreamingServer<C, S>> {
  const { backend } = opts;
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  const cache = new TokenCache<Pending<C, S>>({ ttlMs: opts.tokenTtlMs, now: opts.now });
  const streamCreationTimeoutMs = opts.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS;
  /** Live sessions over either transport; `stop` drops the connection (the backend is aborted). */
  const sessions = new Set<{ stop: () => void; done: Promise<void> }>();
  const chosen = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (_offered, req) => chosen.get(req) ?? false,
  });
  let basePath = '';

  /** The pending request for `/<kind>/<token>`, consumed; undefined → 404. */
  const take = (url: string | undefined): Pending<C, S> | undefined => {
    const u = new URL(url ?? '/', 'http://x');
    const m = /^\/(exec|attach|portforward)\/([^/]+)$/.exec(u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) : '');
    if (!m) return undefined;
    const entry = cache.consume(m[2] ?? '');
    return entry && entry.kind === m[1] ? entry : undefined;
  };

  const track = (stop: () => void, run: () => Promise<void>): void => {
    const s = { stop, done: run().catch((err: unknown) => opts.onError?.(err instanceof Error ? err : new Error(String(err)))) };
    sessions.add(s);
    void s.done.finally(() => sessions.delete(s));
  };

  /** What an exec or attach session runs once its streams are up, whatever the transport. */
  const remoteCommand = (pending: Pending<C, S> & { kind: 'exec' | 'attach' }): RunRemoteCommand => {
    if (pending.kind === 'exec') {
      const { req, target } = pending;
      return async (io) => {
        try {
          const { exitCode } = await backend.exec(target, req.cmd, io);
          return exitCode === 0 ? successStatus() : exitCodeStatus(req.cmd, exitCode);
        } catch (err) {
          return internalErrorStatus(`error executing command in container: ${(err as Error).message}`);
        }
      };
    }
    const { target } = pending;
    return async (io) => {
      try {
        await backend.attach(target, io);
        return successStatus();
      } catch (err) {
        return internalErrorStatus(`error attaching to container: ${(err as Error).message}`);
      }
    };
  };

  /** What a port-forward session runs for each connection, whatever the transport. */
  const portForward = ({ req, target }: Pending<C, S> & { kind: 'portforward' }): ForwardConnection => async (port, stream, signal) => {
    try {
      await backend.portForward(target, port, stream, signal);
      return undefined;
    } catch (err) {
      return `error forwarding port ${port} to pod sandbox ${req.pod_sandbox_id}: ${(err as Error).message}`;
    }
  };

  /** Websocket: `ports` are the request's, else the URL's `port` query (one connection each). */
  const startSession = (pending: Pending<C, S>, ws: WebSocket, ports: readonly number[]): void => {
    const stop = (): void => ws.terminate();
    if (pending.kind !== 'portforward') track(stop, () => serveRemoteCommand(ws, pending.req, idleTimeoutMs, remoteCommand(pending)));
    else track(stop, () => servePortForward(ws, ports, idleTimeoutMs, portForward(pending)));
  };

  /** SPDY: ports come from each stream pair's headers, as upstream's SPDY port-forward does. */
  const startSpdySession = (pending: Pending<C, S>, conn: SpdyConnection, protocol: string): void => {
    const stop = (): void => conn.destroy();
    if (pending.kind !== 'portforward') track(stop, () => serveSpdyRemoteCommand(conn, protocol, pending.req, streamCreationTimeoutMs, remoteCommand(pending)));
    else track(stop, () => serveSpdyPortForward(conn, streamCreationTimeoutMs, portForward(pending)));
  };

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST') return plainResponse(res, 405, 'method not allowed\n');
    if (!take(req.url)) return plainResponse(res, 404, NOT_FOUND);
    plainResponse(res, 400, `unable to upgrade: missing upgrade headers in request: ${UPGRADES_SPOKEN}\n`);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const pending = req.method === 'GET' || req.method === 'POST' ? take(req.url) : undefined;
    if (!pending) return rejectUpgrade(socket, 404, 'Not Found', NOT_FOUND);
    if (isSpdyUpgrade(req.headers)) {
      const supported = pending.kind === 'portforward' ? [SPDY_PORT_FORWARD_PROTOCOL] : SPDY_REMOTE_COMMAND_PROTOCOLS;
      const n = negotiateSpdy(req.headers, supported);
      if (!n.ok) return rejectUpgrade(socket, n.code, n.reason, n.text, n.headers);
      return startSpdySession(pending, acceptSpdyUpgrade(socket, head, n.protocol, idleTimeoutMs), n.protocol);
    }
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      return rejectUpgrade(socket, 400, 'Bad Request', `unsupported upgrade "${req.headers.upgrade ?? ''}": ${UPGRADES_SPOKEN}\n`);
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
    const supported = pending.kind === 'portforward' ? PORT_FORWARD_PROTOCOLS : REMOTE_COMMAND_PROTOCOLS;
    const protocol = negotiate(offered, supported, true);
    if (protocol === undefined) {
      return rejectUpgrade(socket, 400, 'Bad Request', `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]\n`);
    }
    let ports: readonly number[] = pending.kind === 'portforward' ? (pending.req.port ?? []) : [];
    if (pending.kind === 'portforward' && ports.length === 0) {
      try {
        ports = parsePortQuery(new URL(req.url ?? '/', 'http://x').searchParams.getAll('port'));
      } catch (err) {
        return rejectUpgrade(socket, 400, 'Bad Request', `${(err as Error).message}\n`);
      }
    }
    if (protocol !== '') chosen.set(req, protocol);
    wss.handleUpgrade(req, socket, head, (ws) => startSession(pending, ws, ports));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const baseUrl = (opts.baseUrl ?? `http://${urlHost(addr.address)}:${addr.port}`).replace(/\/+$/, '');
  basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const urlFor = (kind: Pending<C, S>['kind'], pending: Pending<C, S>): string => `${baseUrl}/${kind}/${cache.insert(pending)}`;

  return {
    baseUrl,
    getExec(req, target) {
      validateExecRequest(req);
      return { url: urlFor('exec', { kind: 'exec', req: { ...req, cmd: [...req.cmd] }, target }) };
    },
    getAttach(req, target) {
      validateAttachRequest(req);
      return { url: urlFor('attach', { kind: 'attach', req: { ...req }, target }) };
    },
    getPortForward(req, target) {
      validatePortForwardRequest(req);
      return { url: urlFor('portforward', { kind: 'portforward', req: { ...req, port: [...(req.port ?? [])] }, target }) };
    },
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.stop();
      await Promise.all([...sessions].map((s) => s.done));
      server.closeAllConnections();
      wss.close();
      await closing;
    },
  };
}
