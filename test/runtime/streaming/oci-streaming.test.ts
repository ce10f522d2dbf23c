// Real streaming sessions against busybox containers run by conmon + runc on this machine, and
// port-forward into a network namespace made for the test: exec (output, exit code, stdin, tty
// and resize, bad command, client gone), attach (tty echo through sh, pipes with stdin_once),
// port-forward to busybox httpd, 404 for a reused token, and nothing left behind.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig } from '../../../src/runtime/oci/cri-types.js';
import { detectHostFeatures } from '../../../src/runtime/oci/host.js';
import { OciRuntime, type ContainerHandle } from '../../../src/runtime/oci/runtime.js';
import { buildSpec } from '../../../src/runtime/oci/spec.js';
import { loadUserDb } from '../../../src/runtime/oci/user.js';
import { nsMounts } from '../../../src/runtime/sandbox/netns.js';
import { dialPortForward, listenPortForward, runRemoteCommand, streamAttach, streamExec } from '../../../src/runtime/streaming/client.js';
import { OciStreamingBackend, type OciContainerTarget, type SandboxTarget } from '../../../src/runtime/streaming/oci-backend.js';
import { startStreamingServer, type StreamingServer } from '../../../src/runtime/streaming/server.js';
import { makeBusyboxRootfs } from '../oci/fixtures/rootfs.js';
import { collect } from './collect.js';

const run = promisify(execFile);
const tag = randomBytes(4).toString('hex');
const cgroupParent = `/skiff-streamtest-${tag}`;

/** Collects a stream's text and lets a test wait for a pattern in it. */
function sink(): { stream: PassThrough; text: () => string; waitFor: (re: RegExp) => Promise<void> } {
  const { stream, text } = collect();
  return {
    stream,
    text,
    async waitFor(re) {
      for (let i = 0; i < 600 && !re.test(text()); i++) await sleep(50);
      assert.match(text(), re);
    },
  };
}

async function cleanupCgroups(): Promise<void> {
  const removeTree = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await removeTree(path.join(d, e.name));
    await rmdir(d).catch(() => undefined);
  };
  for (const hier of await readdir('/sys/fs/cgroup')) await removeTree(path.join('/sys/fs/cgroup', hier, cgroupParent));
}

/** Pids whose command line mentions `needle` (our temp dir): what the suite must not leave. */
async function processesMentioning(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(needle)) found.push(`${pid}: ${cmd.replace(/\0/g, ' ').slice(0, 200)}`);
  }
  return found;
}

describe('streaming with conmon + runc containers', { concurrency: false }, () => {
  let base = '';
  let rootfs = '';
  let runtime: OciRuntime;
  let runsc: OciRuntime;
  const runscHandles: ContainerHandle[] = [];
  let server: StreamingServer<OciContainerTarget, SandboxTarget>;
  let makeSpec: (id: string, config: Partial<ContainerConfig>) => Promise<ReturnType<typeof buildSpec>['spec']>;
  const handles: ContainerHandle[] = [];
  let seq = 0;
  let netnsPath = '';
  let httpd: ChildProcess | undefined;

  async function startContainer(config: Partial<ContainerConfig>): Promise<OciContainerTarget> {
    const id = `skiff-st-${tag}-${++seq}`;
    const spec = await makeSpec(id, config);
    const bundle = path.join(base, 'c', id);
    handles.push({ id, bundle, persistDir: bundle });
    const handle = await runtime.create({ id, bundle, spec, stdin: config.stdin === true, stdinOnce: config.stdin_once === true });
    await runtime.start(handle);
    return { runtime, handle, stdin: config.stdin === true, tty: config.tty === true };
  }

  let sleeper: OciContainerTarget;
  const exec = (cmd: string[], more: Partial<{ stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }> = {}, target = sleeper): string =>
    server.getExec({ container_id: target.handle.id, cmd, stdin: false, stdout: true, stderr: true, tty: false, ...more }, target).url;

  before(async () => {
    base = await mkdtemp('/tmp/skiff-stream-');
    rootfs = await makeBusyboxRootfs(path.join(base, 'rootfs'));
    const host = await detectHostFeatures();
    const userDb = await loadUserDb(rootfs);
    makeSpec = async (id, config) =>
      buildSpec({
        id,
        container: { metadata: { name: `c${seq}` }, ...config },
        sandbox: { hostname: `st-${seq}` },
        rootfs,
        userDb,
        namespaces: { network: 'new', ipc: 'new', uts: 'new', pid: 'new' },
        cgroupParent,
        host,
      }).spec;
    runtime = new OciRuntime({ handler: 'runc', runtimePath: '/usr/sbin/runc', runtimeRoot: path.join(base, 'runc'), exitDir: path.join(base, 'exits'), socketDir: path.join(base, 's') });
    // gVisor with the host network stack, so the test needs no netns of its own.
    runsc = new OciRuntime({ handler: 'runsc', runtimePath: '/usr/bin/runsc', runtimeArgs: ['--network=host'], runtimeRoot: path.join(base, 'runsc'), exitDir: path.join(base, 'exits'), socketDir: path.join(base, 's') });
    server = await startStreamingServer({ backend: new OciStreamingBackend() });
    sleeper = await startContainer({ command: ['/bin/sleep', '100000'] });
  });

  after(async () => {
    await server?.close();
    if (httpd?.pid && httpd.exitCode === null) httpd.kill('SIGKILL');
    for (const h of handles) await runtime.delete(h, { force: true }).catch(() => undefined);
    for (const h of runscHandles) await runsc.delete(h, { force: true }).catch(() => undefined);
    const leftover = [...(await runtime.list().catch(() => [])), ...(await runsc.list().catch(() => []))];
    await cleanupCgroups();
    for (const m of await nsMounts()) if (m.startsWith(base + '/')) await run('umount', ['--lazy', m]).catch(() => undefined);
    const execDirs = (await Promise.all([...handles, ...runscHandles].map(async (h) => (await readdir(h.bundle).catch(() => [])).filter((n) => n.startsWith('exec-'))))).flat();
    await sleep(100);
    const procs = await processesMentioning(base);
    await rm(base, { recursive: true, force: true });
    assert.deepEqual(leftover.map((c) => c.id), [], 'runc state left behind');
    assert.deepEqual(execDirs, [], 'exec session directories left behind');
    assert.deepEqual(procs, [], 'processes left behind');
  });

  it('exec: stdout, stderr and the exit code', async () => {
    const out = sink();
    const err = sink();
    const res = await streamExec(exec(['/bin/sh', '-c', 'echo out; echo err >&2; exit 3']), { stdout: out.stream, stderr: err.stream });
    assert.deepEqual(res, { exitCode: 3 });
    assert.equal(out.text(), 'out\n');
    assert.equal(err.text(), 'err\n');
    assert.deepEqual(await streamExec(exec(['/bin/true'])), { exitCode: 0 });
  });

  it('exec: stdin piped in and closed (v5 close signal reaches the command as EOF)', async () => {
    const out = sink();
    const stdin = new PassThrough();
    stdin.end('hello\nworld\n');
    const res = await streamExec(exec(['/bin/sh', '-c', 'cat; echo done'], { stdin: true, stderr: false }), { stdin, stdout: out.stream });
    assert.deepEqual(res, { exitCode: 0 });
    assert.equal(out.text(), 'hello\nworld\ndone\n');
  });

  it('exec with a TTY: the initial size and a later resize are visible to the process', async () => {
    const out = sink();
    const stdin = new PassThrough();
    const listeners: ((s: { width: number; height: number }) => void)[] = [];
    const script = 'echo ready; read x; stty size; trap "stty size; exit 7" WINCH; echo armed; while :; do sleep 0.1; done';
    const done = streamExec(exec(['/bin/sh', '-c', script], { stdin: true, tty: true, stderr: false }), {
      stdin,
      stdout: out.stream,
      tty: true,
      resize: { initial: { width: 100, height: 30 }, subscribe: (l) => (listeners.push(l), () => undefined) },
    });
    await out.waitFor(/ready\r\n/);
    stdin.write('go\n');
    await out.waitFor(/armed\r\n/);
    assert.match(out.text(), /^30 100\r$/m);
    for (const l of listeners) l({ width: 120, height: 40 });
    assert.deepEqual(await done, { exitCode: 7 });
    assert.match(out.text(), /^40 120\r$/m);
    assert.equal(listeners.length, 1);
  });

  it('exec of a missing command fails with the runtime error as an InternalError', async () => {
    await assert.rejects(streamExec(exec(['/no/such/binary'])), /Internal error occurred: error executing command in container: exec in container .* failed: .*no such file or directory/);
  });

  it('exec: a client that goes away gets its command killed', async () => {
    const ac = new AbortController();
    const out = sink();
    const session = runRemoteCommand(exec(['/bin/sh', '-c', 'echo started; exec sleep 4242']), { stdout: out.stream, signal: ac.signal });
    await out.waitFor(/started/);
    ac.abort();
    await session;
    const count = async (): Promise<string> => (await runtime.execSync(sleeper.handle, ['/bin/sh', '-c', 'ps | grep -c "[s]leep 4242" || true'])).stdout.toString().trim();
    for (let i = 0; i < 100 && (await count()) !== '0'; i++) await sleep(100);
    assert.equal(await count(), '0');
  });

  it('attach to a container created with stdin and tty: sh echoes through the terminal, resize applies', async () => {
    const target = await startContainer({ command: ['/bin/sh'], stdin: true, tty: true });
    const out = sink();
    const stdin = new PassThrough();
    const listeners: ((s: { width: number; height: number }) => void)[] = [];
    const { url } = server.getAttach({ container_id: target.handle.id, stdin: true, stdout: true, stderr: false, tty: true }, target);
    const done = streamAttach(url, { stdin, stdout: out.stream, tty: true, resize: { subscribe: (l) => (listeners.push(l), () => undefined) } });
    stdin.write('echo hi-$((40+2))\n');
    await out.waitFor(/hi-42\r\n/);
    for (const l of listeners) l({ width: 101, height: 33 });
    // The resize travels through conmon's control fifo; ask until the shell sees it.
    for (let i = 0; i < 50 && !/33 101/.test(out.text()); i++) {
      stdin.write('stty size\n');
      await sleep(100);
    }
    assert.match(out.text(), /33 101\r\n/);
    stdin.write('exit 0\n');
    await done;
    assert.equal((await runtime.waitExit(target.handle, 30_000))?.exitCode, 0);
  });

  it('attach without a tty: stdout and stderr apart, and closing stdin ends a stdin_once container', async () => {
    const target = await startContainer({
      command: ['/bin/sh', '-c', 'while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo bye'],
      stdin: true,
      stdin_once: true,
    });
    const out = sink();
    const err = sink();
    const stdin = new PassThrough();
    const { url } = server.getAttach({ container_id: target.handle.id, stdin: true, stdout: true, stderr: true, tty: false }, target);
    const done = streamAttach(url, { stdin, stdout: out.stream, stderr: err.stream });
    stdin.write('one\n');
    await err.waitFor(/err:one\n/);
    stdin.end('two\n');
    await done;
    assert.equal(out.text(), 'out:one\nout:two\nbye\n');
    assert.equal(err.text(), 'err:one\nerr:two\n');
    assert.equal((await runtime.waitExit(target.handle, 30_000))?.exitCode, 0);
  });

  it('attach to a container that has exited is an InternalError', async () => {
    const target = await startContainer({ command: ['/bin/true'] });
    await runtime.waitExit(target.handle, 30_000);
    const { url } = server.getAttach({ container_id: target.handle.id, stdin: false, stdout: true, stderr: false, tty: false }, target);
    await assert.rejects(streamAttach(url), /error attaching to container: container .* cannot be attached to \(is it running\?\)/);
  });

  it('port-forward into a network namespace reaches busybox httpd on localhost; a closed port reports the error', async () => {
    netnsPath = path.join(base, 'netns');
    await writeFile(netnsPath, '');
    await run('unshare', [`--net=${netnsPath}`, 'true']);
    await run('nsenter', [`--net=${netnsPath}`, 'ip', 'link', 'set', 'lo', 'up']);
    const www = path.join(base, 'www');
    await mkdir(www);
    await writeFile(path.join(www, 'index.html'), 'hello from the pod\n');
    httpd = spawn('nsenter', [`--net=${netnsPath}`, '/usr/bin/busybox', 'httpd', '-f', '-p', '127.0.0.1:8080', '-h', www], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const probe = await run('nsenter', [`--net=${netnsPath}`, '/usr/bin/busybox', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']).catch(() => undefined);
      if (probe) break;
      await sleep(50);
    }
    const target: SandboxTarget = { netnsPath };
    const conn = await dialPortForward(server.getPortForward({ pod_sandbox_id: 'pod-1', port: [8080] }, target).url, 8080);
    conn.end('GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n');
    let response = '';
    for await (const chunk of conn) response += String(chunk);
    assert.match(response, /^HTTP\/1\.[01] 200 OK/);
    assert.match(response, /hello from the pod\n$/);

    // Through a local listener, as `crictl port-forward` offers it.
    const l = await listenPortForward({ getUrl: async () => server.getPortForward({ pod_sandbox_id: 'pod-1', port: [8080] }, target).url, remotePort: 8080 });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`http://127.0.0.1:${l.port}/index.html`, { headers: { connection: 'close' } });
        assert.equal(await res.text(), 'hello from the pod\n');
      }
    } finally {
      await l.close();
    }

    const refused = await dialPortForward(server.getPortForward({ pod_sandbox_id: 'pod-1', port: [8081] }, target).url, 8081);
    const [e] = (await once(refused, 'error')) as [Error];
    assert.match(e.message, /error forwarding port 8081 to pod sandbox pod-1: failed to connect to localhost:8081 inside the pod network namespace .*Connection refused/);
  });

  it('port-forward for a host-network sandbox connects on the host', async () => {
    const web = createServer((_req, res) => res.end('host hello'));
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
    const port = (web.address() as AddressInfo).port;
    try {
      const conn = await dialPortForward(server.getPortForward({ pod_sandbox_id: 'host-pod', port: [port] }, {}).url, port);
      conn.end('GET / HTTP/1.0\r\n\r\n');
      let response = '';
      for await (const chunk of conn) response += String(chunk);
      assert.match(response, /host hello$/);
    } finally {
      web.close();
    }
  });

  it('exec in a gVisor (runsc) container, with and without a TTY', async () => {
    const id = `skiff-st-${tag}-gv`;
    const bundle = path.join(base, 'c', id);
    runscHandles.push({ id, bundle, persistDir: bundle });
    const handle = await runsc.create({ id, bundle, spec: await makeSpec(id, { command: ['/bin/sleep', '100000'] }) });
    await runsc.start(handle);
    const target: OciContainerTarget = { runtime: runsc, handle, stdin: false, tty: false };
    const out = sink();
    const err = sink();
    assert.deepEqual(await streamExec(exec(['/bin/sh', '-c', 'echo out; echo err >&2; exit 4'], {}, target), { stdout: out.stream, stderr: err.stream }), { exitCode: 4 });
    assert.deepEqual([out.text(), err.text()], ['out\n', 'err\n']);

    const tty = sink();
    const stdin = new PassThrough();
    const done = streamExec(exec(['/bin/sh', '-c', 'echo ready; read x; echo "got $x"; stty size'], { stdin: true, tty: true, stderr: false }, target), {
      stdin,
      stdout: tty.stream,
      tty: true,
      resize: { initial: { width: 90, height: 20 } },
    });
    await tty.waitFor(/ready\r\n/);
    stdin.write('hi\n');
    assert.deepEqual(await done, { exitCode: 0 });
    assert.match(tty.text(), /got hi\r\n20 90\r\n/);
  });

  it('a used token answers 404', async () => {
    const url = exec(['/bin/true']);
    await streamExec(url);
    await assert.rejects(streamExec(url), /answered 404 Not Found/);
  });
});
