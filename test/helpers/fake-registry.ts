// A test-only OCI registry on node:http (127.0.0.1, free port) for what the real docker-registry
// cannot be made to do: a Bearer token challenge with its own token endpoint, Basic auth, blobs
// served corrupt or short, redirects to another path, manifest lists built in memory.
//
// Every request is logged (method, path, authorization) so tests can count what a client fetched.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type FakeAuth =
  | { mode: 'none' }
  | { mode: 'basic'; username: string; password: string }
  | { mode: 'bearer'; username?: string; password?: string; tokenField?: 'token' | 'access_token'; service?: string; identityToken?: string };

export interface FakeRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface FakeRegistry {
  readonly host: string;
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Stores a blob; returns its digest. */
  addBlob(bytes: Buffer | string): string;
  /** Stores a manifest under its digest and, when given, a tag; returns its digest. */
  addManifest(repo: string, body: unknown, mediaType: string, tag?: string): { digest: string; size: number; bytes: Buffer };
  /** Serve these digests with one byte flipped (same length). */
  readonly corrupt: Set<string>;
  /** Serve these digests with their second half missing (Content-Length of the whole). */
  readonly truncate: Set<string>;
  /**
   * Blob GETs answer 307 to `<base>/_storage/<digest>` (served without auth): `true` redirects to
   * this registry itself, a URL to another server (another origin).
   */
  redirectBlobs: boolean | string;
  /** Tokens issued by /token (bearer mode). */
  readonly tokensIssued: number;
  setAuth(auth: FakeAuth): void;
  stop(): Promise<void>;
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export interface FakeTls {
  key: Buffer;
  cert: Buffer;
  /** When set, clients must present a certificate signed by this CA. */
  clientCa?: Buffer;
}

/** Starts the fake on 127.0.0.1 (a free port); over https when `tls` is given. */
export async function startFakeRegistry(initial: FakeAuth = { mode: 'none' }, tls?: FakeTls): Promise<FakeRegistry> {
  let auth = initial;
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>(); // `${repo}@${digest or tag}`
  const validTokens = new Set<string>();
  const state = {
    requests: [] as FakeRequest[],
    corrupt: new Set<string>(),
    truncate: new Set<string>(),
    redirectBlobs: false as boolean | string,
    tokensIssued: 0,
  };
  let base = '';

  const deny = (res: ServerResponse, challenge: string): void => {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': challenge });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
  };
  const basicOk = (h: string | undefined, user: string | undefined, pass: string | undefined): boolean =>
    h !== undefined && h === `Basic ${Buffer.from(`${user ?? ''}:${pass ?? ''}`).toString('base64')}`;

  const sendBlob = (res: ServerResponse, digest: string, method: string): void => {
    const b = blobs.get(digest);
    if (b === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
      return;
    }
    let body = b;
    if (state.corrupt.has(digest)) {
      body = Buffer.from(b);
      body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0xff;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(b.length), 'docker-content-digest': digest });
    if (method === 'HEAD') return void res.end();
    if (state.truncate.has(digest)) {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    state.requests.push({ method, path: u.pathname, authorization: req.headers.authorization });

    if (u.pathname === '/token' && method === 'POST') {
      // OAuth2 refresh_token grant (docker's identity tokens), when an identityToken is configured.
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (auth.mode !== 'bearer' || auth.identityToken === undefined) return void res.writeHead(404).end();
        if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== auth.identityToken) {
          res.writeHead(401, { 'content-type': 'application/json' });
          return void res.end('{"error":"invalid_grant"}');
        }
        const token = `tok-${++state.tokensIssued}-${form.get('scope') ?? ''}`;
        validTokens.add(token);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: token, expires_in: 300 }));
      });
      return;
    }
    if (u.pathname === '/token') {
      if (auth.mode !== 'bearer') return void res.writeHead(404).end();
      if (auth.username !== undefined && !basicOk(req.headers.authorization, auth.username, auth.password)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ details: 'incorrect username or password' }));
      }
      const token = `tok-${++state.tokensIssued}-${u.searchParams.get('scope') ?? ''}`;
      validTokens.add(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ [auth.tokenField ?? 'token']: token, expires_in: 300 }));
    }
    if (u.pathname.startsWith('/_storage/')) return sendBlob(res, u.pathname.slice('/_storage/'.length), method);

    if (!u.pathname.startsWith('/v2/')) return void res.writeHead(404).end();
    const h = req.headers.authorization;
    if (auth.mode === 'basic' && !basicOk(h, auth.username, auth.password)) return deny(res, 'Basic realm="fake"');
    if (auth.mode === 'bearer') {
      const tok = h?.startsWith('Bearer ') ? h.slice(7) : undefined;
      const m = /^\/v2\/(.+)\/(manifests|blobs)\//.exec(u.pathname);
      const scope = m ? `repository:${m[1]}:pull` : '';
      if (tok === undefined || !validTokens.has(tok) || (scope !== '' && !tok.endsWith(scope))) {
        return deny(res, `Bearer realm="${base}/token",service="${auth.service ?? 'fake-registry'}"${scope ? `,scope="${scope}"` : ''}`);
      }
    }
    if (u.pathname === '/v2/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{}');
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(u.pathname);
    if (m === null) return void res.writeHead(404).end();
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'blobs') {
      if (state.redirectBlobs !== false) {
        const target = state.redirectBlobs === true ? '' : state.redirectBlobs;
        res.writeHead(307, { location: `${target}/_storage/${ref}` });
        return void res.end();
      }
      return sendBlob(res, ref, method);
    }
    const man = manifests.get(`${repo}@${ref}`);
    if (man === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    }
    res.writeHead(200, { 'content-type': man.mediaType, 'content-length': String(man.bytes.length), 'docker-content-digest': sha256(man.bytes) });
    res.end(method === 'HEAD' ? undefined : man.bytes);
  };

  const server = tls
    ? createTlsServer({ key: tls.key, cert: tls.cert, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) }, handle)
    : createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  base = `${tls ? 'https' : 'http'}://${host}`;

  return {
    host,
    url: base,
    get requests() {
      return state.requests;
    },
    get corrupt() {
      return state.corrupt;
    },
    get truncate() {
      return state.truncate;
    },
    get redirectBlobs() {
      return state.redirectBlobs;
    },
    set redirectBlobs(v: boolean | string) {
      state.redirectBlobs = v;
    },
    get tokensIssued() {
      return state.tokensIssued;
    },
    addBlob(bytes) {
      const b = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      const d = sha256(b);
      blobs.set(d, b);
      return d;
    },
    addManifest(repo, body, mediaType, tag) {
      const bytes = Buffer.from(JSON.stringify(body));
      const digest = sha256(bytes);
      manifests.set(`${repo}@${digest}`, { bytes, mediaType });
      if (tag !== undefined) manifests.set(`${repo}@${tag}`, { bytes, mediaType });
      return { digest, size: bytes.length, bytes };
    },
    setAuth(a) {
      auth = a;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
