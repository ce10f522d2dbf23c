// The HTTP transport of skiff's client: one keep-alive HTTPS agent per API server, built from a
// kubeconfig, that turns Kubernetes Status bodies into typed `ApiError`s and retries what is safe
// to retry.
//
// Contract:
// - `request` resolves with any 2xx response; any other status rejects with an `ApiError`
//   carrying the server's Status (or one synthesised from the status code if the body is not one).
// - Connection errors and 429/5xx responses are retried with exponential backoff and full jitter
//   (honouring Retry-After on 429); other 4xx are never retried. Every wait honours the
//   AbortSignal: an aborted request rejects with the signal's reason at once.
// - `watch` does not retry: the caller (an informer) decides how to resume. It resolves when the
//   server ends the stream, rejects with an `ApiError` on a non-2xx answer, and rejects with
//   whatever `onEvent` throws (the stream is torn down first).

import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { parse as parseYaml } from 'yaml';

export interface TransportConfig {
  /** https://host:port of the API server. */
  server: string;
  /** PEM strings. */
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
}

export interface RetryPolicy {
  /** Attempts in total, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetry: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 5000 };

export interface RequestOptions {
  body?: string | Buffer | object;
  contentType?: string;
  /** Accept header (default application/json), e.g. to ask for PartialObjectMetadata. */
  accept?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** What `send` returns: the parts of node's ClientRequest the transport uses. */
export interface OutgoingRequest {
  on(event: 'error', listener: (err: Error) => void): unknown;
  end(body?: string | Buffer): unknown;
  destroy(): unknown;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

/** A failed API call: the Kubernetes Status the server answered with. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(readonly status: Status) {
    super(status.message ?? `the server answered ${status.code ?? 0} ${status.reason ?? ''}`.trim());
    this.name = 'ApiError';
    this.code = status.code ?? 0;
    this.reason = status.reason ?? 'Unknown';
  }
}

export function isApiError(e: unknown, code?: number): e is ApiError {
  return e instanceof ApiError && (code === undefined || e.code === code);
}

const reasonByCode: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  409: 'Conflict', 410: 'Gone', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests',
  500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/** Parses a body as a Status when it is one; otherwise synthesises one from the HTTP code. */
export function statusFrom(code: number, body: string): Status {
  try {
    const parsed = JSON.parse(body) as Status;
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') return { ...parsed, code: parsed.code ?? code };
  } catch {
    // not JSON: fall through
  }
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason: reasonByCode[code] ?? 'Unknown', message: body.trim() || `the server answered HTTP ${code}` };
}

type KubeconfigFile = {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
  users?: { name: string; user: { 'client-certificate-data'?: string; 'client-key-data'?: string; token?: string } }[];
};

/** Reads the current context's cluster and user from a kubeconfig file. */
export function loadKubeconfig(path: string): TransportConfig {
  const kc = parseYaml(readFileSync(path, 'utf8')) as KubeconfigFile;
  const ctx = kc.contexts?.find((c) => c.name === kc['current-context']) ?? kc.contexts?.[0];
  const cluster = (ctx ? kc.clusters?.find((c) => c.name === ctx.context.cluster) : undefined) ?? kc.clusters?.[0];
  const user = (ctx ? kc.users?.find((u) => u.name === ctx.context.user) : undefined) ?? kc.users?.[0];
  if (!cluster) throw new Error(`kubeconfig ${path} has no cluster: write one with \`skiff server --write-kubeconfig\``);
  const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString());
  const cfg: TransportConfig = { server: cluster.cluster.server };
  const ca = b64(cluster.cluster['certificate-authority-data']) ?? (cluster.cluster['certificate-authority'] ? readFileSync(cluster.cluster['certificate-authority'], 'utf8') : undefined);
  if (ca) cfg.ca = ca;
  const cert = b64(user?.user['client-certificate-data']);
  const key = b64(user?.user['client-key-data']);
  if (cert && key) {
    cfg.cert = cert;
    cfg.key = key;
  }
  if (user?.user.token) cfg.token = user.user.token;
  return cfg;
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

export class Transport {
  readonly server: string;
  private readonly agent: https.Agent;
  private readonly token: string | undefined;

  constructor(cfg: TransportConfig, private readonly retry: RetryPolicy = defaultRetry) {
    this.server = cfg.server;
    this.token = cfg.token;
    this.agent = new https.Agent({ keepAlive: true, ...(cfg.ca ? { ca: cfg.ca } : {}), ...(cfg.cert && cfg.key ? { cert: cfg.cert, key: cfg.key } : {}) });
  }

  static fromKubeconfig(path: string, retry?: RetryPolicy): Transport {
    return new Transport(loadKubeconfig(path), retry);
  }

  /** Closes pooled connections; in-flight requests fail. */
  close(): void {
    this.agent.destroy();
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.retry.attempts;
      let res: Response;
      try {
        res = await this.once(method, path, opts);
      } catch (e) {
        if (opts.signal?.aborted || last || !isConnectionError(e)) throw e;
        await sleep(backoffDelay(attempt, this.retry.baseDelayMs, this.retry.maxDelayMs), opts.signal);
        continue;
      }
      if (res.status >= 200 && res.status < 300) return res;
      const retriable = res.status === 429 || res.status >= 500;
      if (!retriable || last) throw new ApiError(statusFrom(res.status, res.body));
      const retryAfter = Number(res.headers['retry-after']);
      const delay = res.status === 429 && retryAfter > 0 ? Math.min(retryAfter * 1000, this.retry.maxDelayMs) : backoffDelay(attempt, this.retry.baseDelayMs, this.retry.maxDelayMs);
      await sleep(delay, opts.signal);
    }
  }

  /**
   * Streams newline-delimited watch events from `path` (`watch=true` is added to `query`). Bodies
   * split across chunks are reassembled; a partial last line at the end of the stream is dropped.
   */
  watch(path: string, query: RequestOptions['query'], onEvent: (ev: WatchEvent) => void, signal?: AbortSignal, accept?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      let settled = false;
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = () => {
        req.destroy();
        finish(signal?.reason);
      };
      const req = this.send('GET', path, { query: { ...query, watch: 'true' }, ...(accept ? { accept } : {}) }, (r) => {
        const code = r.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          readAll(r).then((body) => finish(new ApiError(statusFrom(code, body))), finish);
          return;
        }
        r.setEncoding('utf8');
        let buf = '';
        r.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              onEvent(JSON.parse(line) as WatchEvent);
            } catch (e) {
              req.destroy();
              finish(e);
              return;
            }
          }
        });
        r.on('end', () => finish());
        r.on('error', (e) => finish(e));
        r.on('close', () => finish(r.complete ? undefined : new Error('watch stream closed before it was complete')));
      });
      req.on('error', (e) => finish(e));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }

  private once(method: string, path: string, opts: RequestOptions): Promise<Response> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const onAbort = () => {
        req.destroy();
        reject(opts.signal?.reason);
      };
      const req = this.send(method, path, opts, (r) => {
        readAll(r).then((body) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve({ status: r.statusCode ?? 0, headers: r.headers, body });
        }, reject);
      });
      req.on('error', (e) => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(e);
      });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const body = opts.body === undefined ? undefined : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      req.end(body);
    });
  }

  /** Sends one request; subclasses replace the wire (see inprocess.ts). */
  protected send(method: string, path: string, opts: RequestOptions, onResponse: (r: IncomingMessage) => void): OutgoingRequest {
    const u = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) {
      const body = typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      // Explicit length: node sends DELETE bodies neither chunked nor sized otherwise.
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return https.request(u, { method, agent: this.agent, headers }, onResponse);
  }
}

function readAll(r: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    r.on('data', (c: Buffer) => chunks.push(c));
    r.on('end', () => resolve(Buffer.concat(chunks).toString()));
    r.on('error', reject);
  });
}

const connectionCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && connectionCodes.has(code) || (e instanceof Error && e.message === 'socket hang up');
}
