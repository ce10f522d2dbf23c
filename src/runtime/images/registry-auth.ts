// Registry authentication: the WWW-Authenticate challenge flow of the distribution spec / docker's
// token auth, and Basic auth.
//
// - A 401 carries `WWW-Authenticate: Bearer realm="…",service="…",scope="…"` (or `Basic realm=…`).
// - Bearer: GET <realm>?service=…&scope=repository:<repo>:pull, anonymously or with Basic
//   credentials; an identity token is exchanged by POSTing an OAuth2 refresh_token grant instead
//   (falling back to GET when the server does not do OAuth2). The answer's `token` or
//   `access_token` is then sent as `Authorization: Bearer …`.
// - Tokens are cached per (realm, service, scope, credentials) until `expires_in` (default 60 s)
//   runs out; what each endpoint asked for is remembered so later requests (blobs) authorize up
//   front instead of taking a 401 each.

import { ImageError } from './registry-errors.js';
import { HttpTransport, readBody, readErrorText, type HttpResponse } from './registry-http.js';
import type { RegistryCredentials, RegistryEndpoint } from './registries-config.js';

export interface Challenge {
  /** Lowercased scheme: `bearer`, `basic`, ... */
  scheme: string;
  params: Record<string, string>;
}

/** Parses WWW-Authenticate values (RFC 7235: several challenges, quoted or token parameters). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    const s = value;
    let current: Challenge | undefined;
    const skip = (): void => {
      while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    };
    const token = (): string => {
      const m = /^[^\s,=]+/.exec(s.slice(i));
      const t = m?.[0] ?? '';
      i += t.length;
      return t;
    };
    while (i < s.length) {
      skip();
      const t = token();
      if (t === '') break;
      let j = i;
      while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
      if (s[j] === '=' && current !== undefined) {
        // key=value parameter of the current challenge
        i = j + 1;
        while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
        let v = '';
        if (s[i] === '"') {
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < s.length) i++;
            v += s[i];
            i++;
          }
          i++;
        } else {
          v = token();
        }
        current.params[t.toLowerCase()] = v;
      } else {
        current = { scheme: t.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}

/** `Basic …` for the credentials, or undefined when they hold no username/password. */
export function basicAuthorization(c: RegistryCredentials | undefined): string | undefined {
  if (c === undefined) return undefined;
  if (c.username !== undefined && c.username !== '') return `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
  if (c.auth !== undefined && c.auth !== '') {
    const decoded = Buffer.from(c.auth, 'base64').toString('utf8');
    if (!decoded.includes(':')) throw new ImageError('InvalidConfig', 'registry auth: `auth` is not base64 of "username:password"');
    return `Basic ${Buffer.from(decoded).toString('base64')}`;
  }
  return undefined;
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

interface BearerParams {
  realm: string;
  service: string | undefined;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class RegistryAuthorizer {
  /** What each endpoint (API root URL) asked for last. */
  private readonly schemes = new Map<string, { kind: 'basic' } | ({ kind: 'bearer' } & BearerParams)>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly transport: HttpTransport,
    private readonly now: () => number = Date.now,
  ) {}

  /** The Authorization header to send up front, from what this endpoint asked for before. */
  async authorization(ep: RegistryEndpoint, scope: string, signal?: AbortSignal): Promise<string | undefined> {
    if (ep.credentials?.registryToken) return `Bearer ${ep.credentials.registryToken}`;
    const s = this.schemes.get(ep.url);
    if (s === undefined) return undefined;
    if (s.kind === 'basic') return basicAuthorization(ep.credentials);
    return `Bearer ${await this.token(ep, s, scope, false, signal)}`;
  }

  /**
   * Learns from a 401 answer. Returns true when a retry with `authorization()` may succeed (a new
   * token was fetched, or Basic credentials are at hand), false when there is nothing more to try.
   */
  async challenged(ep: RegistryEndpoint, scope: string, res: HttpResponse, signal?: AbortSignal): Promise<boolean> {
    const challenges = parseChallenges(res.headers['www-authenticate']);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer !== undefined) {
      const realm = bearer.params.realm;
      if (realm === undefined || realm === '') throw new ImageError('Unauthorized', `${ep.url}: Bearer challenge without a realm`);
      const params: BearerParams = { realm, service: bearer.params.service };
      this.schemes.set(ep.url, { kind: 'bearer', ...params });
      await this.token(ep, params, scope, true, signal);
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      const had = this.schemes.get(ep.url)?.kind === 'basic';
      this.schemes.set(ep.url, { kind: 'basic' });
      // Basic credentials already sent and refused: a retry would be refused again.
      return !had && basicAuthorization(ep.credentials) !== undefined;
    }
    return false;
  }

  private async token(ep: RegistryEndpoint, p: BearerParams, scope: string, refresh: boolean, signal?: AbortSignal): Promise<string> {
    const c = ep.credentials;
    const key = JSON.stringify([p.realm, p.service, scope, c?.username, c?.password, c?.auth, c?.identityToken]);
    const cached = this.tokens.get(key);
    if (!refresh && cached !== undefined && cached.expiresAt > this.now()) return cached.token;
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(ep, p, scope, signal).then(
        (t) => {
          this.tokens.set(key, { token: t.token, expiresAt: this.now() + Math.max(t.expiresIn - 10, 10) * 1000 });
          return t.token;
        },
      );
      pending = pending.finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(ep: RegistryEndpoint, p: BearerParams, scope: string, signal?: AbortSignal): Promise<{ token: string; expiresIn: number }> {
    let realm: URL;
    try {
      realm = new URL(p.realm);
    } catch {
      throw new ImageError('Unauthorized', `${ep.url}: Bearer realm "${p.realm}" is not a URL`);
    }
    const c = ep.credentials;
    let res: HttpResponse | undefined;
    if (c?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, client_id: 'skiff', scope });
      if (p.service !== undefined) form.set('service', p.service);
      res = await this.transport.request({
        url: realm,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        ...(ep.tls ? { tls: ep.tls } : {}),
        ...(signal ? { signal } : {}),
      });
      if (res.status === 404 || res.status === 405) {
        res.body.resume();
        res = undefined; // not an OAuth2 server: use the GET flow below
      }
    }
    if (res === undefined) {
      const u = new URL(realm);
      if (p.service !== undefined) u.searchParams.set('service', p.service);
      u.searchParams.set('scope', scope);
      const basic = basicAuthorization(c);
      res = await this.transport.request({
        url: u,
        headers: basic !== undefined ? { authorization: basic } : {},
        ...(ep.tls ? { tls: ep.tls } : {}),
        ...(signal ? { signal } : {}),
      });
    }
    if (res.status === 401 || res.status === 403) {
      const why = await readErrorText(res);
      throw new ImageError('Unauthorized', `token server ${realm.origin}${realm.pathname} refused ${c === undefined ? 'anonymous access' : 'the credentials'} for ${scope} (${res.status}${why ? `: ${why}` : ''})`);
    }
    if (res.status !== 200) {
      const why = await readErrorText(res);
      throw new ImageError('Unavailable', `token server ${realm.origin}${realm.pathname} answered ${res.status} for ${scope}${why ? `: ${why}` : ''}`);
    }
    const body = await readBody(res, 1024 * 1024, 'token answer');
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new ImageError('Unauthorized', `token server ${realm.origin}${realm.pathname} answered with something that is not JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token !== '' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (token === '') throw new ImageError('Unauthorized', `token server ${realm.origin}${realm.pathname} answered without a token or access_token`);
    const expiresIn = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    return { token, expiresIn };
  }
}
