// Transport against a scripted local HTTPS server: retries on 5xx/429 only, typed errors,
// abort during backoff, and watch lines split across chunks.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki } from '../../src/apiserver/pki.js';
import { ApiError, Transport, type WatchEvent } from '../../src/client/transport.js';

let dir: string;
let server: https.Server;
let transport: Transport;
let tlsCa = '';
let handler: (req: IncomingMessage, res: ServerResponse) => void = () => {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-transport-'));
  const pki = await ensurePki(dir, { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  server = https.createServer({ cert: pki.serving.cert, key: pki.serving.key }, (req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  tlsCa = pki.ca.cert;
  const port = (server.address() as AddressInfo).port;
  transport = new Transport({ server: `https://127.0.0.1:${port}`, ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key }, { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 });
});

after(async () => {
  transport.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const status = (code: number, reason: string, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

test('retries 5xx and 429, then succeeds', async () => {
  const answers = [503, 429, 500, 200];
  let calls = 0;
  handler = (_req, res) => {
    const code = answers[calls++] ?? 200;
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(code === 200 ? '{"ok":true}' : status(code, 'InternalError', 'busy'));
  };
  const res = await transport.request('GET', '/x');
  assert.equal(res.status, 200);
  assert.equal(calls, 4);
});

test('a 4xx is not retried and becomes an ApiError with the Status', async () => {
  let calls = 0;
  handler = (_req, res) => {
    calls++;
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(status(404, 'NotFound', 'pods "p" not found'));
  };
  await assert.rejects(transport.request('GET', '/x'), (e: unknown) => e instanceof ApiError && e.code === 404 && e.reason === 'NotFound' && e.message === 'pods "p" not found');
  assert.equal(calls, 1);
});

test('gives up after the last attempt; a non-Status body still yields a typed error', async () => {
  let calls = 0;
  handler = (_req, res) => {
    calls++;
    res.writeHead(503).end('upstream down');
  };
  await assert.rejects(transport.request('GET', '/x'), (e: unknown) => e instanceof ApiError && e.code === 503 && e.reason === 'ServiceUnavailable');
  assert.equal(calls, 4);
});

test('an aborted signal stops the retries', async () => {
  const slow = new Transport({ server: transport.server, ca: tlsCa }, { attempts: 10, baseDelayMs: 10_000, maxDelayMs: 10_000 });
  handler = (_req, res) => res.writeHead(503).end();
  const ac = new AbortController();
  const started = Date.now();
  const p = slow.request('GET', '/x', { signal: ac.signal });
  setTimeout(() => ac.abort(new Error('cancelled')), 50);
  await assert.rejects(p, /cancelled/);
  assert.ok(Date.now() - started < 5000, 'did not sit out the 10 s backoff');
  slow.close();
});

test('watch reassembles events split across chunks and sends query with watch=true', async () => {
  let url = '';
  handler = (req, res) => {
    url = req.url ?? '';
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const text = '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}}\n';
    res.write(text.slice(0, 20));
    setTimeout(() => res.end(text.slice(20)), 20);
  };
  const events: WatchEvent[] = [];
  await transport.watch('/api/v1/pods', { resourceVersion: '5' }, (ev) => events.push(ev));
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
  assert.match(url, /resourceVersion=5/);
  assert.match(url, /watch=true/);
});

test('watch rejects with an ApiError on an HTTP 410 and with what onEvent throws', async () => {
  handler = (_req, res) => res.writeHead(410, { 'Content-Type': 'application/json' }).end(status(410, 'Expired', 'too old resource version'));
  await assert.rejects(transport.watch('/w', {}, () => {}), (e: unknown) => e instanceof ApiError && e.code === 410);
  handler = (_req, res) => {
    res.writeHead(200);
    res.write('{"type":"ADDED","object":{}}\n');
  };
  await assert.rejects(transport.watch('/w', {}, () => { throw new Error('handler failed'); }), /handler failed/);
});
