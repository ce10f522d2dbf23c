// HTTP(S) transport for registry requests, on node:http/node:https so that per-registry TLS settings
// (a private CA, a client certificate, insecure_skip_verify) apply — undici's fetch cannot take them
// per request without a dependency.
//
// Contract:
// - One keep-alive Agent per distinct TLS setting (free sockets are unref'd by Node, so idle
//   connections never hold the process open); `close()` destroys them.
// - Redirects (301/302/303/307/308) are followed up to `maxRedirects`; the Authorization header is
//   dropped when a redirect leaves the original origin (blob storage on another host must not
//   see registry credentials), as docker does.
// - A request that sends nothing for `timeoutMs` fails with ImageError('Unavailable'); the caller's
//   AbortSignal aborts the request and its body.

import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { ImageError } from './registry-errors.js';
import type { RegistryTlsConfig } from './registries-config.js';

export interface HttpRequest {
  url: URL;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  tls?: RegistryTlsConfig;
  signal?: AbortSignal;
  /** Idle timeout per request (no bytes for that long); default 30 s. */
  timeoutMs?: number;
  maxRedirects?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  url: URL;
  body: IncomingMessage;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgents = new Map<string, https.Agent>();

  private agentFor(url: URL, tls: RegistryTlsConfig | undefined): http.Agent {
    if (url.protocol === 'http:') return this.httpAgent;
    const key = JSON.stringify(tls ?? {});
    let agent = this.httpsAgents.get(key);
    if (agent === undefined) {
      const read = (file: string, what: string): Buffer => {
        try {
          return readFileSync(file);
        } catch (e) {
          throw new ImageError('InvalidConfig', `registry TLS ${what} ${file} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
        }
      };
      agent = new https.Agent({
        keepAlive: true,
        ...(tls?.caFile ? { ca: read(tls.caFile, 'ca_file') } : {}),
        ...(tls?.certFile ? { cert: read(tls.certFile, 'cert_file') } : {}),
        ...(tls?.keyFile ? { key: read(tls.keyFile, 'key_file') } : {}),
        ...(tls?.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
      });
      this.httpsAgents.set(key, agent);
    }
    return agent;
  }

  /** Sends the request, following redirects; resolves on the final response's headers. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let method = req.method ?? 'GET';
    let body = req.body;
    const headers = { ...(req.headers ?? {}) };
    const origin = url.origin;
    for (let hop = 0; ; hop++) {
      const res = await this.once(url, method, headers, body, req);
      if (!REDIRECTS.has(res.statusCode ?? 0)) return { status: res.statusCode ?? 0, headers: res.headers, url, body: res };
      res.resume();
      const location = res.headers.location;
      if (location === undefined) throw new ImageError('Unavailable', `${method} ${url.href}: redirect ${res.statusCode} without a Location`);
      if (hop >= (req.maxRedirects ?? 10)) throw new ImageError('Unavailable', `${method} ${req.url.href}: more than ${req.maxRedirects ?? 10} redirects`);
      url = new URL(location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImageError('Unavailable', `${req.url.href} redirected to unsupported ${url.href}`);
      if (url.origin !== origin) delete headers.authorization;
      if (res.statusCode === 303 && method === 'POST') {
        method = 'GET';
        body = undefined;
      }
    }
  }

  private once(url: URL, method: string, headers: Record<string, string>, body: Buffer | string | undefined, req: HttpRequest): Promise<IncomingMessage> {
    const mod = url.protocol === 'https:' ? https : http;
    const timeoutMs = req.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const r = mod.request(url, {
        method,
        headers: { 'user-agent': 'skiff', ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        agent: this.agentFor(url, req.tls),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      r.setTimeout(timeoutMs, () => {
        r.destroy(new ImageError('Unavailable', `${method} ${url.href}: no answer for ${Math.round(timeoutMs / 1000)}s`));
      });
      // The idle timeout keeps guarding the body after the headers: a stalled download fails.
      r.on('response', resolve);
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (e instanceof ImageError || e.name === 'AbortError') reject(e);
        else reject(new ImageError('Unavailable', `${method} ${url.href}: ${e.message}`, { cause: e }));
      });
      r.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    for (const a of this.httpsAgents.values()) a.destroy();
    this.httpsAgents.clear();
  }
}

/** Reads a whole (small) body; fails with ImageError('InvalidManifest') beyond `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.body.destroy();
      throw new ImageError('InvalidManifest', `${what} from ${res.url.href} is larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Reads a registry error body (`{"errors":[{code,message}]}`) into one line, best effort. */
export async function readErrorText(res: HttpResponse): Promise<string> {
  let text: string;
  try {
    text = (await readBody(res, 64 * 1024, 'error body')).toString('utf8');
  } catch {
    return '';
  }
  try {
    const doc = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    if (Array.isArray(doc.errors) && doc.errors.length > 0) {
      return doc.errors.map((e) => [e.code, e.message].filter((x) => x !== undefined && x !== '').join(': ')).join('; ');
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 200);
}
