// The HTTP/1.1 upgrade to SPDY/3.1 as Kubernetes does it (k8s.io/apimachinery httpstream):
// the client sends `Connection: Upgrade`, `Upgrade: SPDY/3.1` and one or more
// `X-Stream-Protocol-Version` values (best first, repeated or comma-separated); the server picks
// the first offered protocol it supports and answers `101 Switching Protocols` with that
// protocol in `X-Stream-Protocol-Version`. Without the header the server answers 400; with no
// common protocol, 403 listing its own in `X-Accepted-Stream-Protocol-Versions`.

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { refusedUpgrade, StreamingClientError } from '../client-common.js';
import { SpdyConnection } from './connection.js';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const HEADER_PROTOCOL_VERSION = 'X-Stream-Protocol-Version';
export const HEADER_ACCEPTED_PROTOCOL_VERSIONS = 'X-Accepted-Stream-Protocol-Versions';

/** Exec/attach protocols upstream's SPDY remotecommand server offers, newest first. */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;
/** The one port-forward protocol over SPDY. */
export const SPDY_PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

export function isSpdyUpgrade(headers: IncomingHttpHeaders): boolean {
  return (headers.upgrade ?? '').trim().toLowerCase() === SPDY_UPGRADE.toLowerCase();
}

/** The protocols a request offers, in its order (Node joins repeated headers with ", "). */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers[HEADER_PROTOCOL_VERSION.toLowerCase()];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '');
}

export type Negotiation = { ok: true; protocol: string } | { ok: false; code: 400 | 403; reason: string; text: string; headers: Record<string, string> };

/** Upstream's Handshake: the first protocol the client offers that the server supports. */
export function negotiateSpdy(headers: IncomingHttpHeaders, supported: readonly string[]): Negotiation {
  const offered = offeredProtocols(headers);
  if (offered.length === 0) {
    return { ok: false, code: 400, reason: 'Bad Request', text: `unable to upgrade: ${HEADER_PROTOCOL_VERSION} is required\n`, headers: {} };
  }
  const protocol = offered.find((p) => supported.includes(p));
  if (protocol === undefined) {
    return {
      ok: false,
      code: 403,
      reason: 'Forbidden',
      text: `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]\n`,
      headers: { [HEADER_ACCEPTED_PROTOCOL_VERSIONS]: supported.join(', ') },
    };
  }
  return { ok: true, protocol };
}

/** Server side: answers 101 on the upgraded socket and runs SPDY on it. */
export function acceptSpdyUpgrade(socket: Duplex, head: Buffer, protocol: string, idleTimeoutMs: number): SpdyConnection {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\n${HEADER_PROTOCOL_VERSION}: ${protocol}\r\n\r\n`);
  return new SpdyConnection(socket, { server: true, head, idleTimeoutMs });
}

/**
 * Client side: upgrades a request to `url` (POST, as kubectl and crictl send it) and returns
 * the connection with the protocol the server chose. Rejects with a StreamingClientError: the
 * server's answer when it refuses (e.g. 404 for a used token) or what went wrong on the way.
 */
export function dialSpdy(url: string, protocols: readonly string[], signal?: AbortSignal): Promise<{ conn: SpdyConnection; protocol: string }> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(u, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: SPDY_UPGRADE, [HEADER_PROTOCOL_VERSION]: [...protocols], 'Content-Length': '0' },
      ...(signal ? { signal } : {}),
    });
    req.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (res.statusCode !== 101 || !isSpdyUpgrade(res.headers)) {
        socket.destroy();
        return reject(new StreamingClientError(`streaming server answered ${res.statusCode} without upgrading to ${SPDY_UPGRADE} (Upgrade: ${res.headers.upgrade ?? 'none'})`));
      }
      const protocol = offeredProtocols(res.headers)[0] ?? '';
      if (protocols.length > 0 && !protocols.includes(protocol)) {
        socket.destroy();
        return reject(new StreamingClientError(`streaming server chose protocol "${protocol}", which was not offered (${protocols.join(', ')})`));
      }
      resolve({ conn: new SpdyConnection(socket, { server: false, head }), protocol });
    });
    req.on('response', (res: IncomingMessage) => void refusedUpgrade(res).then(reject));
    req.on('error', (err) => reject(new StreamingClientError(`cannot open ${url}: ${err.message}`)));
    req.end();
  });
}
