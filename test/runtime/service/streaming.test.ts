// Exec, Attach and PortForward through skiff's runtime: the CRI RPCs hand out URLs on the
// runtime's streaming server, which the websocket client (kubectl's protocols) then speaks to —
// exec with stdin and a TTY, attach to a container's main process, port-forward into the pod's
// network namespace; and the real `skiff crictl exec -i` through the same path.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PassThrough, Readable } from 'node:stream';
import { CriError, GrpcStatus } from '../../../src/cri/errors.js';
import { dialPortForward, streamAttach, streamExec } from '../../../src/runtime/streaming/index.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/cri-runtime.js';
import { eventuallyWith } from '../../helpers/eventually.js';
import { skiffMain } from '../../helpers/skiff.js';
import { collect } from '../streaming/collect.js';

const eventually = eventuallyWith({ timeoutMs: 30_000, intervalMs: 200 });

describe('skiff runtime: streaming (exec, attach, port-forward)', () => {
  let rt: TestRuntime;
  let sandbox = '';
  let server = '';
  let shell = '';

  before(async () => {
    rt = await startTestRuntime();
    await rt.client.pullImage({ image: { image: 'busybox' } });
    const config = { metadata: { name: 'stream', namespace: 'test', uid: `s-${rt.tag}`, attempt: 0 }, linux: { cgroup_parent: rt.cgroupParent } };
    sandbox = (await rt.client.runPodSandbox({ config })).pod_sandbox_id;
    const start = async (name: string, command: string[], extra = {}): Promise<string> => {
      const { container_id } = await rt.client.createContainer({ pod_sandbox_id: sandbox, config: { metadata: { name }, image: { image: 'busybox' }, command, ...extra }, sandbox_config: config });
      await rt.client.startContainer({ container_id });
      return container_id;
    };
    server = await start('server', ['sh', '-c', 'mkdir -p /www && echo forwarded-page > /www/index.html && exec httpd -f -p 8080 -h /www']);
    shell = await start('shell', ['sh'], { stdin: true, tty: true });
  });
  after(async () => {
    await rt?.stop();
  });

  it('exec: stdin in, stdout and stderr apart, exit code', async () => {
    const { url } = await rt.client.exec({ container_id: server, cmd: ['sh', '-c', 'read line; echo "got $line"; echo warn >&2; exit 4'], stdin: true, stdout: true, stderr: true });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/exec\//);
    const out = collect();
    const err = collect();
    const { exitCode } = await streamExec(url, { stdin: Readable.from(['hello\n']), stdout: out.stream, stderr: err.stream });
    assert.equal(exitCode, 4);
    assert.equal(out.text(), 'got hello\n');
    assert.equal(err.text(), 'warn\n');
  });

  it('exec with a TTY sees a terminal', async () => {
    const { url } = await rt.client.exec({ container_id: server, cmd: ['sh', '-c', 'test -t 0 && echo is-a-tty'], stdout: true, tty: true });
    const out = collect();
    const { exitCode } = await streamExec(url, { stdout: out.stream, tty: true, resize: { initial: { width: 100, height: 30 } } });
    assert.equal(exitCode, 0);
    assert.match(out.text(), /is-a-tty/);
  });

  it('attach reaches the main process of a tty container', async () => {
    const { url } = await rt.client.attach({ container_id: shell, stdin: true, stdout: true, tty: true });
    const out = collect();
    const stdin = new PassThrough();
    // A tty session with stdin_once unset lasts until the client leaves: the client aborts.
    const ac = new AbortController();
    const session = streamAttach(url, { stdin, stdout: out.stream, tty: true, signal: ac.signal }).catch(() => undefined);
    stdin.write('echo attached-$((6*7))\n');
    await eventually('the shell answered', () => out.text().includes('attached-42'));
    ac.abort();
    await session;
    // The container lives on after the client detached.
    assert.equal((await rt.client.containerStatus({ container_id: shell })).status?.state, 'CONTAINER_RUNNING');
  });

  it('port-forward connects to a port inside the pod network namespace', async () => {
    const { url } = await rt.client.portForward({ pod_sandbox_id: sandbox, port: [8080] });
    const page = await eventually('httpd answers through the forward', async () => {
      const conn = await dialPortForward(url, 8080);
      let text = '';
      conn.on('data', (d: Buffer) => (text += d.toString()));
      conn.write('GET / HTTP/1.0\r\n\r\n');
      await new Promise((r) => conn.once('end', r));
      return text.includes('forwarded-page') ? text : undefined;
    });
    assert.match(page, /^HTTP\/1\.[01] 200/);
  });

  it('refuses exec in a container that is not running, and unknown ids', async () => {
    const err = await rt.client.exec({ container_id: 'nope', cmd: ['true'], stdout: true }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof CriError && err.code === GrpcStatus.NOT_FOUND);
    const bad = await rt.client.exec({ container_id: server, cmd: ['true'], stdout: true, stderr: true, tty: true }).then(() => undefined, (e: unknown) => e);
    assert.ok(bad instanceof CriError && bad.code === GrpcStatus.INVALID_ARGUMENT && /tty and stderr/.test(bad.message));
  });

  it('skiff crictl exec -i streams stdin and returns the exit code', async () => {
    const child = spawn(process.execPath, [skiffMain, 'crictl', '-r', rt.socket, 'exec', '-i', server.slice(0, 12), 'sh', '-c', 'cat; exit 9'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('through-crictl\n');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    assert.equal(code, 9);
    assert.equal(out, 'through-crictl\n');
  });
});
