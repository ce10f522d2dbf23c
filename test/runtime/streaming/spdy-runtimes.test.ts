// The SPDY client (spdy-client.ts) against two real CRI streaming servers: Debian's containerd
// 1.6 — upstream's Go SPDY (spdystream + k8s remotecommand/portforward) — which proves the
// client, and skiff's own runtime, which proves skiff's server. On each, one busybox pod with
// an httpd: exec `echo`, stdin round trip (the end of stdin reaches the command), a non-zero
// exit code as the status, port-forward to the httpd (two connections on one SPDY connection),
// exec with a TTY whose size follows the client's resize, attach; and `skiff crictl exec -i`
// and `port-forward` with `--transport spdy`.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { buildBusyboxImage } from '../../../scripts/build-test-image.js';
import { CriClient } from '../../../src/cri/client.js';
import { runSpdyRemoteCommand, SpdyPortForwardSession } from '../../../src/runtime/streaming/spdy-client.js';
import { eventuallyWith } from '../../helpers/eventually.js';
import { startRegistry, type LocalRegistry } from '../../helpers/registry.js';
import { startTestRuntime } from '../../helpers/cri-runtime.js';
import { skiffMain } from '../../helpers/skiff.js';
import { startContainerdPeer } from '../containerd-peer.js';
import { collect } from './collect.js';

const eventually = eventuallyWith({ timeoutMs: 60_000, intervalMs: 250 });

interface Target {
  socket: string;
  client: CriClient;
  cgroupParent?: string;
  stop(): Promise<void>;
}

const targets: Record<string, (registry: LocalRegistry) => Promise<Target>> = {
  containerd: async (registry) => {
    const peer = await startContainerdPeer({ registry });
    const client = new CriClient(peer.socket, { timeoutMs: 120_000 });
    return { socket: peer.socket, client, stop: async () => (client.close(), await peer.stop()) };
  },
  skiff: async (registry) => {
    const rt = await startTestRuntime({ registry });
    return { socket: rt.socket, client: rt.client, cgroupParent: rt.cgroupParent, stop: () => rt.stop() };
  },
};

async function httpGet(conn: Duplex): Promise<string> {
  let text = '';
  conn.on('data', (d: Buffer) => (text += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    conn.once('end', () => resolve());
    conn.once('error', reject);
  });
  conn.write('GET / HTTP/1.0\r\n\r\n');
  await done;
  return text;
}

let work = '';
let registry: LocalRegistry | undefined;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'skiff-spdy-'));
  registry = await startRegistry();
  const busybox = await buildBusyboxImage(join(work, 'busybox'));
  await registry.push(busybox.dir, 'library/busybox:latest');
});
after(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

for (const [name, start] of Object.entries(targets)) {
  describe(`SPDY streaming against ${name}`, { concurrency: false }, () => {
    let target: Target | undefined;
    let sandbox = '';
    let server = '';
    let shell = '';
    const client = (): CriClient => (target as Target).client;

    before(async () => {
      target = await start(registry as LocalRegistry);
      await client().pullImage({ image: { image: 'docker.io/library/busybox:latest' } });
      const config = {
        metadata: { name: `spdy-${name}`, namespace: 'skiff-test', uid: `spdy-${name}-${process.pid}`, attempt: 0 },
        log_directory: join(work, `logs-${name}`),
        ...(target.cgroupParent ? { linux: { cgroup_parent: target.cgroupParent } } : {}),
      };
      sandbox = (await client().runPodSandbox({ config })).pod_sandbox_id;
      const run = async (cname: string, command: string[], extra = {}): Promise<string> => {
        const { container_id } = await client().createContainer({
          pod_sandbox_id: sandbox,
          config: { metadata: { name: cname }, image: { image: 'docker.io/library/busybox:latest' }, command, log_path: `${cname}.log`, ...extra },
          sandbox_config: config,
        });
        await client().startContainer({ container_id });
        return container_id;
      };
      server = await run('web', ['sh', '-c', 'mkdir -p /www && echo spdy-page > /www/index.html && exec httpd -f -p 8080 -h /www']);
      shell = await run('shell', ['sh'], { stdin: true, tty: true });
    });
    after(async () => {
      if (target && sandbox) {
        await client().stopPodSandbox({ pod_sandbox_id: sandbox }).catch(() => undefined);
        await client().removePodSandbox({ pod_sandbox_id: sandbox }).catch(() => undefined);
      }
      await target?.stop();
    });

    it('exec echo: output on stdout, exit code 0', async () => {
      const { url } = await client().exec({ container_id: server, cmd: ['echo', 'hello', 'spdy'], stdout: true, stderr: true });
      const out = collect();
      const err = collect();
      const outcome = await runSpdyRemoteCommand(url, { stdout: out.stream, stderr: err.stream });
      assert.deepEqual(outcome, { exitCode: 0 });
      assert.equal(out.text(), 'hello spdy\n');
      assert.equal(err.text(), '');
    });

    it('stdin round trip: the end of stdin reaches the command', async () => {
      const { url } = await client().exec({ container_id: server, cmd: ['sh', '-c', 'cat; echo done >&2'], stdin: true, stdout: true, stderr: true });
      const out = collect();
      const err = collect();
      const outcome = await runSpdyRemoteCommand(url, { stdin: Readable.from([Buffer.from('line one\n'), Buffer.from('line two\n')]), stdout: out.stream, stderr: err.stream });
      assert.deepEqual(outcome, { exitCode: 0 });
      assert.equal(out.text(), 'line one\nline two\n');
      assert.equal(err.text(), 'done\n');
    });

    it('a non-zero exit code comes back as the status', async () => {
      const { url } = await client().exec({ container_id: server, cmd: ['sh', '-c', 'echo before; exit 7'], stdout: true });
      const out = collect();
      assert.deepEqual(await runSpdyRemoteCommand(url, { stdout: out.stream }), { exitCode: 7 });
      assert.equal(out.text(), 'before\n');
    });

    it('port-forward reaches the httpd, twice on one connection; a closed port is an error', async () => {
      const { url } = await client().portForward({ pod_sandbox_id: sandbox, port: [8080] });
      const session = await SpdyPortForwardSession.open(url);
      try {
        const first = await eventually('httpd answers through the forward', async () => {
          const page = await httpGet(await session.dial(8080)).catch(() => '');
          return page.includes('spdy-page') ? page : undefined;
        });
        assert.match(first, /^HTTP\/1\.[01] 200/);
        assert.match(await httpGet(await session.dial(8080)), /spdy-page/);
        await assert.rejects(httpGet(await session.dial(8081)), /8081/);
      } finally {
        await session.close();
      }
    });

    it('exec with a TTY: the terminal takes the size the client sends', async () => {
      const { url } = await client().exec({
        container_id: server,
        cmd: ['sh', '-c', 'for i in $(seq 1 100); do s=$(busybox stty size); [ "$s" = "31 101" ] && break; sleep 0.1; done; test -t 0 && echo "tty $s"'],
        stdin: true,
        stdout: true,
        tty: true,
      });
      const out = collect();
      const stdin = new PassThrough();
      const outcome = await runSpdyRemoteCommand(url, { stdin, stdout: out.stream, tty: true, resize: { initial: { width: 101, height: 31 } } });
      assert.deepEqual(outcome, { exitCode: 0 });
      assert.match(out.text(), /tty 31 101/);
    });

    it('attach reaches the main process of a tty container', async () => {
      const { url } = await client().attach({ container_id: shell, stdin: true, stdout: true, tty: true });
      const out = collect();
      const stdin = new PassThrough();
      const ac = new AbortController();
      const session = runSpdyRemoteCommand(url, { stdin, stdout: out.stream, tty: true, signal: ac.signal }).catch(() => undefined);
      stdin.write('echo attached-$((6*7))\n');
      await eventually('the shell answered', () => out.text().includes('attached-42'));
      ac.abort();
      await session;
    });

    it('skiff crictl exec -i --transport spdy streams stdin and returns the exit code', async () => {
      const child = spawn(process.execPath, [skiffMain, 'crictl', '-r', `unix://${(target as Target).socket}`, 'exec', '-i', '--transport', 'spdy', server, 'sh', '-c', 'cat; exit 9'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdin.end('through-crictl\n');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 9, err);
      assert.equal(out, 'through-crictl\n');
    });

    it('skiff crictl port-forward --transport spdy serves the pod port on a local one', async () => {
      const child = spawn(process.execPath, [skiffMain, 'crictl', '-r', `unix://${(target as Target).socket}`, 'port-forward', '--transport', 'spdy', sandbox, '0:8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = once(child, 'exit');
      try {
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const port = await eventually('the forwarding line', () => /Forwarding from 127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1]);
        const page = await new Promise<string>((resolve, reject) => {
          request({ host: '127.0.0.1', port: Number(port), path: '/' }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${body}`));
          })
            .on('error', reject)
            .end();
        });
        assert.equal(page, '200 spdy-page\n');
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    });
  });
}
