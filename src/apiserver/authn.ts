// Authentication: who is making a request. Client certificates signed by the cluster CA
// (CN = user, O = groups) and bearer tokens from a static token file, like kube-apiserver's
// --token-auth-file (CSV lines: token,user,uid,"group1,group2").
//
// Authorization (RBAC) comes later; for now every authenticated user may do everything.

import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

export interface Authenticator {
  authenticate(req: IncomingMessage): UserInfo | undefined;
}

/** Paths anyone may read without credentials, as upstream's system:public-info-viewer allows. */
export const anonymousPaths = new Set(['/healthz', '/livez', '/readyz', '/version']);

export function parseTokenFile(text: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const cols = splitCsv(line);
    const [token, name, uid, groups] = cols;
    if (!token || !name) throw new Error(`token file: line "${line.slice(0, 40)}" needs at least token,user`);
    tokens.set(token, { name, uid: uid || undefined, groups: groups ? groups.split(',').filter(Boolean) : [] });
  }
  return tokens;
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export function newAuthenticator(opts: { tokenFile?: string }): Authenticator {
  const tokens = opts.tokenFile ? parseTokenFile(readFileSync(opts.tokenFile, 'utf8')) : new Map<string, UserInfo>();
  // A connection's client certificate cannot change, and reading it costs a copy per call:
  // remember the user per TLS socket.
  const bySocket = new WeakMap<TLSSocket, UserInfo | null>();
  const certUser = (sock: TLSSocket): UserInfo | undefined => {
    let user = bySocket.get(sock);
    if (user === undefined) {
      user = sock.authorized ? userFromCertificate(sock) : null;
      bySocket.set(sock, user);
    }
    return user ?? undefined;
  };
  return {
    authenticate(req) {
      const auth = req.headers.authorization;
      if (auth && /^bearer /i.test(auth)) {
        const user = tokens.get(auth.slice(7).trim());
        return user ? { ...user, groups: [...user.groups, 'system:authenticated'] } : undefined;
      }
      return certUser(req.socket as TLSSocket);
    },
  };
}

function userFromCertificate(sock: TLSSocket): UserInfo | null {
  const subject = sock.getPeerCertificate()?.subject as unknown as Record<string, string | string[]> | undefined;
  const cn = subject?.CN;
  if (typeof cn !== 'string' || !cn) return null;
  const o = subject?.O;
  const groups = Array.isArray(o) ? o : typeof o === 'string' ? [o] : [];
  return { name: cn, groups: [...groups, 'system:authenticated'] };
}
