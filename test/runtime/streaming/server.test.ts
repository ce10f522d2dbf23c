// The streaming server with a fake in-process backend: URLs and tokens (404 for unknown, reused,
// expired and wrong-path tokens), the websocket protocols byte for byte, stdin/close signal,
// resize, exit codes, errors, port-forward channels, and close() ending live sessions; over
// SPDY: protocol negotiation (400 without a version, 403 with none in common), v2's plain-text
// status, the stream-creation timeout.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { PassThrough, type Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { RemoteCommandIO, StreamingBackend } from '../../../src/runtime/streaming/backend.js';
import type { TerminalSize } from '../../../src/runtime/streaming/channels.js';
import { dialPortForward, listenPortForward, runRemoteCommand, streamAttach, streamExec } from '../../../src/runtime/streaming/client.js';
import { startStreamingServer, type StreamingServer } from '../../../src/runtime/streaming/server.js';
import { runSpdyRemoteCommand } from '../../../src/runtime/streaming/spdy-client.js';
import { dialSpdy } from '../../../src/runtime/streaming/spdy/upgrade.js';
import { collect } from './collect.js';

interface FakeTarget {
  name: string;
}

const aborted: string[] = [];
let hangStarted: () => void = () => undefined;

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

async function readAll(s: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!s) return '';
  let text = '';
  for await (const chunk of s) text += String(chunk);
  return text;
}

const backend: StreamingBackend<FakeTarget, FakeTarget> = {
  async exec(target, cmd, io: RemoteCommandIO) {
    const [what, arg] = cmd;
    if (what === 'echo') {
      const input = await readAll(io.stdin);
      io.stdout?.write(`${target.name}:${input}`);
      return { exitCode: Number(arg ?? 0) };
    }
    if (what === 'out') {
      io.stdout?.write('to stdout\n');
      io.stderr?.write('to stderr\n');
      return { exitCode: Number(arg ?? 0) };
    }
    if (what === 'resize') {
      const sizes: TerminalSize[] = [];
      await new Promise<void>((resolve) => {
        const on = (s: TerminalSize): void => {
          sizes.push(s);
          if (sizes.length === 1) io.stdout?.write('ready;');
          if (sizes.length === Number(arg)) resolve();
        };
        io.resize.on('resize', on);
      });
      io.stdout?.write(JSON.stringify(sizes));
      return { exitCode: 0 };
    }
    if (what === 'hang') {
      hangStarted();
      await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve()));
      aborted.push(target.name);
      return { exitCode: 137 };
    }
    throw new Error(`no such command ${what}`);
  },
  async attach(target, io) {
    if (target.name === 'gone') throw new Error('container is not running');
    io.stdout?.write(await readAll(io.stdin));
  },
  async portForward(_target, port, stream: Duplex) {
    if (port === 1) throw new Error('connection refused');
    for await (const chunk of stream) stream.write(String(chunk).toUpperCase());
  },
};

const execReq = (cmd: string[], more: Partial<{ tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }> = {}) => ({
  container_id: 'c1',
  cmd,
  tty: false,
  stdin: false,
  stdout: true,
  stderr: true,
  ...more,
});

/** A raw websocket that records every message (for byte-level checks). */
async function rawSession(url: string, protocols: string[]): Promise<{ ws: WebSocket; messages: Buffer[]; closed: Promise<void> }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols);
  const messages: Buffer[] = [];
  ws.on('message', (d: Buffer, isBinary) => messages.push(isBinary ? d : Buffer.from(d.toString(), 'latin1')));
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  await once(ws, 'open');
  return { ws, messages, closed };
}

describe('streaming server (fake backend)', () => {
  let server: StreamingServer<FakeTarget, FakeTarget>;
  let now = Date.now();

  before(async () => {
    server = await startStreamingServer({ backend, now: () => now });
  });
  after(async () => {
    await server.close();
  });

  it('answers URLs under its base URL on 127.0.0.1', () => {
    assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.getExec(execReq(['ls']), { name: 't' }).url, new RegExp(`^${server.baseUrl}/exec/[A-Za-z0-9_-]{8}$`));
    assert.match(server.getAttach({ container_id: 'c', tty: false, stdin: true, stdout: true, stderr: false }, { name: 't' }).url, /\/attach\//);
    assert.match(server.getPortForward({ pod_sandbox_id: 'p', port: [80] }, { name: 't' }).url, /\/portforward\//);
  });

  it('exec over v5: output, exit code, stdin ended by the close signal', async () => {
    const out = collect();
    const { url } = server.getExec(execReq(['echo', '3'], { stdin: true, stderr: false }), { name: 'box' });
    const stdin = new PassThrough();
    stdin.end('hello');
    const res = await streamExec(url, { stdin, stdout: out.stream });
    assert.deepEqual(res, { exitCode: 3 });
    assert.equal(out.text(), 'box:hello');
  });

  it('speaks v5 byte for byte: empty stdout frame first, then data, then the JSON status, then close', async () => {
    const { url } = server.getExec(execReq(['out', '0']), { name: 't' });
    const s = await rawSession(url, ['v5.channel.k8s.io']);
    assert.equal(s.ws.protocol, 'v5.channel.k8s.io');
    await s.closed;
    assert.deepEqual(s.messages[0], Buffer.from([1]));
    assert.deepEqual(s.messages.slice(1, 3).map((m) => [m[0], m.subarray(1).toString()]), [[1, 'to stdout\n'], [2, 'to stderr\n']]);
    assert.deepEqual(s.messages[3], Buffer.concat([Buffer.from([3]), Buffer.from('{"metadata":{},"status":"Success"}')]));
    assert.equal(s.messages.length, 4);
  });

  it('v4 base64 frames, and v1 (no protocol header) sends only failures as text', async () => {
    const b64 = await rawSession(server.getExec(execReq(['out', '0'], { stderr: false }), { name: 't' }).url, ['v4.base64.channel.k8s.io']);
    await b64.closed;
    assert.deepEqual(b64.messages.map((m) => m.toString('latin1')), ['1', `1${Buffer.from('to stdout\n').toString('base64')}`, `3${Buffer.from('{"metadata":{},"status":"Success"}').toString('base64')}`]);

    const v1 = await rawSession(server.getExec(execReq(['out', '2'], { stderr: false }), { name: 't' }).url, []);
    assert.equal(v1.ws.protocol, '');
    await v1.closed;
    assert.equal(v1.messages.length, 3);
    assert.match(v1.messages[2]?.subarray(1).toString() ?? '', /^command terminated with non-zero exit code: error executing command \[out 2\], exit code 2$/);
    const res = await runRemoteCommand(server.getExec(execReq(['out', '5'], { stderr: false }), { name: 't' }).url, { protocols: ['channel.k8s.io'] });
    assert.match('error' in res ? res.error : '', /exit code 5/);
  });

  it('passes resize events (channel 4) to the backend', async () => {
    const out = collect();
    const { url } = server.getExec(execReq(['resize', '2'], { tty: true, stdin: true, stderr: false }), { name: 't' });
    const listeners: ((s: TerminalSize) => void)[] = [];
    // The second size is sent once the backend has seen the first.
    out.stream.once('data', () => {
      for (const l of listeners) l({ width: 120, height: 40 });
    });
    const done = streamExec(url, { tty: true, stdout: out.stream, stdin: new PassThrough(), resize: { initial: { width: 80, height: 24 }, subscribe: (l) => (listeners.push(l), () => undefined) } });
    assert.deepEqual(await done, { exitCode: 0 });
    assert.equal(out.text(), `ready;${JSON.stringify([{ width: 80, height: 24 }, { width: 120, height: 40 }])}`);
  });

  it('reports a backend failure as an InternalError status', async () => {
    await assert.rejects(streamExec(server.getExec(execReq(['nope']), { name: 't' }).url), /Internal error occurred: error executing command in container: no such command nope/);
    const attach = server.getAttach({ container_id: 'c', tty: false, stdin: false, stdout: true, stderr: false }, { name: 'gone' });
    await assert.rejects(streamAttach(attach.url), /error attaching to container: container is not running/);
  });

  it('attach streams stdin through the backend', async () => {
    const out = collect();
    const stdin = new PassThrough();
    stdin.end('typed');
    await streamAttach(server.getAttach({ container_id: 'c', tty: false, stdin: true, stdout: true, stderr: false }, { name: 't' }).url, { stdin, stdout: out.stream });
    assert.equal(out.text(), 'typed');
  });

  it('answers 404 for unknown, reused, expired and wrong-path tokens', async () => {
    await assert.rejects(streamExec(`${server.baseUrl}/exec/AAAAAAAA`), /answered 404 Not Found: 404 page not found/);
    const { url } = server.getExec(execReq(['out', '0']), { name: 't' });
    await streamExec(url);
    await assert.rejects(streamExec(url), /answered 404/);
    const old = server.getExec(execReq(['out', '0']), { name: 't' }).url;
    now += 61_000;
    await assert.rejects(streamExec(old), /answered 404/);
    const exec = server.getExec(execReq(['out', '0']), { name: 't' }).url;
    await assert.rejects(streamExec(exec.replace('/exec/', '/attach/')), /answered 404/);
    await assert.rejects(streamExec(exec), /answered 404/, 'a wrong-path attempt consumes the token');
  });

  it('a plain (non-upgrade) request consumes the token and says which upgrades work', async () => {
    const { url } = server.getExec(execReq(['out', '0']), { name: 't' });
    const res = await fetch(url, { method: 'POST' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /unable to upgrade: missing upgrade headers in request: .*SPDY\/3\.1.*websockets/);
    assert.equal((await fetch(url)).status, 404);
  });

  it('refuses unsupported subprotocols', async () => {
    const { url } = server.getExec(execReq(['out', '0']), { name: 't' });
    await assert.rejects(streamExec(url, { protocols: ['v9.channel.k8s.io'] }), /answered 400 Bad Request: requested protocol\(s\) are not supported/);
  });

  it('port-forward: preamble on both channels, data both ways, errors on the error channel', async () => {
    const s = await rawSession(server.getPortForward({ pod_sandbox_id: 'p', port: [8080] }, { name: 't' }).url, ['v4.channel.k8s.io']);
    await until('the port preambles', () => s.messages.length >= 2);
    assert.deepEqual(s.messages.slice(0, 2), [Buffer.from([0, 0x90, 0x1f]), Buffer.from([1, 0x90, 0x1f])]);
    s.ws.close();
    await s.closed;

    const conn = await dialPortForward(server.getPortForward({ pod_sandbox_id: 'p', port: [] }, { name: 't' }).url + '?port=7000', 7000);
    conn.write('abc');
    const [echo] = (await once(conn, 'data')) as [Buffer];
    assert.equal(echo.toString(), 'ABC');
    conn.destroy();

    const refused = await dialPortForward(server.getPortForward({ pod_sandbox_id: 'p', port: [1] }, { name: 't' }).url, 1);
    const [err] = (await once(refused, 'error').catch((e: unknown) => [e])) as [Error];
    assert.match(err.message, /error forwarding port 1 to pod sandbox p: connection refused/);
  });

  it('port-forward without ports anywhere is a 400', async () => {
    const { url } = server.getPortForward({ pod_sandbox_id: 'p', port: [] }, { name: 't' });
    await assert.rejects(dialPortForward(url, 80), /answered 400 Bad Request: query parameter "port" is required/);
  });

  it('listenPortForward forwards each local connection through a fresh URL', async () => {
    const l = await listenPortForward({ getUrl: async () => server.getPortForward({ pod_sandbox_id: 'p', port: [9000] }, { name: 't' }).url, remotePort: 9000 });
    try {
      for (const word of ['one', 'two']) {
        const sock = createConnection({ host: '127.0.0.1', port: l.port });
        sock.write(word);
        const [d] = (await once(sock, 'data')) as [Buffer];
        assert.equal(d.toString(), word.toUpperCase());
        sock.destroy();
      }
    } finally {
      await l.close();
    }
  });

  it('close() ends live sessions and aborts their backends', async () => {
    const other = await startStreamingServer({ backend });
    const { url } = other.getExec(execReq(['hang']), { name: 'hanging' });
    const started = new Promise<void>((resolve) => (hangStarted = resolve));
    const session = runRemoteCommand(url, {});
    await started;
    await other.close();
    await session;
    assert.deepEqual(aborted, ['hanging']);
  });

  it('SPDY: 400 without X-Stream-Protocol-Version, 403 listing ours when none is in common', async () => {
    const none = await dialSpdy(server.getExec(execReq(['out', '0']), { name: 't' }).url, []).then(() => '', (e: Error) => e.message);
    assert.match(none, /answered 400 Bad Request: unable to upgrade: X-Stream-Protocol-Version is required/);
    const odd = await dialSpdy(server.getExec(execReq(['out', '0']), { name: 't' }).url, ['v9.channel.k8s.io']).then(() => '', (e: Error) => e.message);
    assert.match(odd, /answered 403 Forbidden: .*client supports \[v9\.channel\.k8s\.io\], server accepts \[v4\.channel\.k8s\.io v3\.channel\.k8s\.io v2\.channel\.k8s\.io channel\.k8s\.io\]/);
    const pf = await dialSpdy(server.getPortForward({ pod_sandbox_id: 'p', port: [] }, { name: 't' }).url, ['v4.channel.k8s.io']).then(() => '', (e: Error) => e.message);
    assert.match(pf, /answered 403 .*server accepts \[portforward\.k8s\.io\]/);
  });

  it('SPDY v2: output and a failure status as plain text', async () => {
    const out = collect();
    const err = collect();
    const outcome = await runSpdyRemoteCommand(server.getExec(execReq(['out', '3']), { name: 't' }).url, { stdout: out.stream, stderr: err.stream, protocols: ['v2.channel.k8s.io'] });
    assert.deepEqual(outcome, { error: 'command terminated with non-zero exit code: error executing command [out 3], exit code 3' });
    assert.equal(out.text(), 'to stdout\n');
    assert.equal(err.text(), 'to stderr\n');
  });

  it('SPDY: a client that never opens its streams is dropped after the stream-creation timeout', async () => {
    const quick = await startStreamingServer({ backend, streamCreationTimeoutMs: 200 });
    try {
      const { conn, protocol } = await dialSpdy(quick.getExec(execReq(['out', '0']), { name: 't' }).url, ['v4.channel.k8s.io']);
      assert.equal(protocol, 'v4.channel.k8s.io');
      await conn.openStream({ streamType: 'error' });
      await conn.closed;
      assert.equal(conn.isOpen, false);
    } finally {
      await quick.close();
    }
  });
});
