// `skiff server` and `skiff agent` start skiff's CRI runtime (the node agent, for now), as real
// processes: the server answers kubectl and the CRI socket at once, --disable-agent leaves the
// runtime out, the agent runs it alone, and SIGTERM stops each cleanly, taking the socket away.
// No pods are made here (the runtime suites cover them), so no bridge or registry is needed.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../src/cri/client.js';
import { runSkiff } from '../helpers/run-skiff.js';
import { kubectlPath, skiffMain, untilReady } from '../helpers/skiff.js';

interface Proc {
  child: ChildProcess;
  output(): string;
}

const running = new Set<ChildProcess>();

/** Starts `skiff ARGS` and waits for its `<what> ready` line. */
async function startSkiffProcess(args: string[], what: string): Promise<Proc> {
  const child = spawn(process.execPath, [skiffMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const r = untilReady(child, what, 60_000);
  await r.ready;
  return { child, output: r.output };
}

/** SIGTERM by PID, then the exit code (a signal death counts as a failure: 128 + its number). */
async function terminate(p: Proc): Promise<number> {
  const { child } = p;
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? 128;
  child.kill('SIGTERM');
  const code = await exited;
  running.delete(child);
  return code;
}

function kubectl(kubeconfig: string, home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(kubectlPath('1.33'), ['--kubeconfig', kubeconfig, ...args], { env: { ...process.env, HOME: home }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The runtime options of server and agent, all inside `dir`. */
function runtimeArgs(dir: string): string[] {
  return ['--runtime-socket', join(dir, 'cri.sock'), '--runtime-root', join(dir, 'root'), '--runtime-state', join(dir, 'state'), '--private-registry', join(dir, 'registries.yaml')];
}

async function criAnswers(socket: string): Promise<void> {
  const client = new CriClient(socket);
  try {
    const v = await client.version({});
    assert.equal(v.runtime_name, 'skiff');
    assert.equal(v.runtime_api_version, 'v1');
    const s = await client.status({});
    const ready = s.status?.conditions.find((c) => c.type === 'RuntimeReady');
    assert.equal(ready?.status, true, `RuntimeReady: ${JSON.stringify(s.status)}`);
  } finally {
    client.close();
  }
}

describe('skiff server and skiff agent run the CRI runtime', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-agent-test-'));
  });
  after(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('skiff server serves kubectl and the CRI socket; SIGTERM exits 0 and removes the socket', async () => {
    const d = join(dir, 'server');
    const socket = join(d, 'cri.sock');
    const server = await startSkiffProcess(['server', '--data-dir', join(d, 'data'), '--bind-address', '127.0.0.1', '--https-listen-port', '0', ...runtimeArgs(d)], 'skiff server');
    assert.match(server.output(), /skiff runtime ready: listening on .*cri\.sock \(0 sandboxes, 0 containers recovered\)/);
    assert.match(server.output(), new RegExp(`skiff server ready in \\d+ ms: .*; CRI runtime ${socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const ns = await kubectl(join(d, 'data', 'kubeconfig.yaml'), d, ['get', 'namespaces', '-o', 'name']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /^namespace\/default$/m);
    await criAnswers(socket);

    assert.equal(await terminate(server), 0, server.output());
    assert.equal(existsSync(socket), false, 'the CRI socket is removed on stop');
  });

  it('skiff server --disable-agent starts no runtime', async () => {
    const d = join(dir, 'control-plane');
    const server = await startSkiffProcess(['server', '--data-dir', join(d, 'data'), '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--disable-agent', ...runtimeArgs(d)], 'skiff server');
    assert.match(server.output(), /skiff server ready in \d+ ms: .*; agent disabled/);
    assert.doesNotMatch(server.output(), /skiff runtime/);
    const ns = await kubectl(join(d, 'data', 'kubeconfig.yaml'), d, ['get', 'namespaces', '-o', 'name']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(existsSync(join(d, 'cri.sock')), false, 'no CRI socket');
    assert.equal(existsSync(join(d, 'root')), false, 'no runtime root');
    assert.equal(await terminate(server), 0, server.output());
  });

  it('skiff agent runs the runtime alone; SIGTERM exits 0 and removes the socket', async () => {
    const d = join(dir, 'agent');
    const socket = join(d, 'cri.sock');
    const agent = await startSkiffProcess(['agent', ...runtimeArgs(d)], 'skiff agent');
    assert.match(agent.output(), /skiff runtime ready: listening on /);
    await criAnswers(socket);
    assert.equal(await terminate(agent), 0, agent.output());
    assert.equal(existsSync(socket), false, 'the CRI socket is removed on stop');
  });

  it('a runtime that cannot start fails the server, with the reason', async () => {
    const d = join(dir, 'bad-runtime');
    // The registries file exists but is not registries.yaml: the runtime refuses to start.
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'registries.yaml'), 'mirrors: [not, a, map]\n');
    const r = await runSkiff(['server', '--data-dir', join(d, 'data'), '--bind-address', '127.0.0.1', '--https-listen-port', '0', ...runtimeArgs(d)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /the node agent's container runtime did not start .*: .*registries\.yaml.*mirrors must be a mapping/);
    assert.doesNotMatch(r.stderr, /skiff server ready/);
  });

  it('a control plane that cannot start stops the runtime it started', async () => {
    const d = join(dir, 'bad-control-plane');
    // The API port is taken, so the HTTPS listener fails after the runtime is up.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const r = await runSkiff(['server', '--data-dir', join(d, 'data'), '--bind-address', '127.0.0.1', '--https-listen-port', String(port), ...runtimeArgs(d)]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /port is in use/);
      assert.match(r.stderr, /skiff runtime ready/, 'the runtime had started');
      assert.equal(existsSync(join(d, 'cri.sock')), false, `the runtime was stopped (its socket removed):\n${r.stderr}`);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
