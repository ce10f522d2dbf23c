// Starts a real, throwaway etcd server for tests and benchmarks.
//
// The server gets a fresh temp data dir and free loopback ports for its client and peer URLs;
// `stop()` ends it by PID and removes the dir. A missing binary is an error that says how to
// install it, never a silent skip.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.SKIFF_ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdServer {
  /** The client endpoint, "127.0.0.1:PORT". */
  endpoint: string;
  /** Stops and starts the server again with the same data and ports (for reconnect tests). */
  restart(): Promise<void>;
  /** Stops the server (by PID) and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdServer> {
  if (!existsSync(ETCD_BIN)) {
    throw new Error(`etcd server not found at ${ETCD_BIN}: run scripts/install-deps.sh (it installs Debian's etcd-server)`);
  }
  let lastError: unknown;
  // A free port can be taken between probing and etcd binding it; try again with new ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnce(): Promise<EtcdServer> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'skiff-test',
    '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `skiff-test=${peer}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-level', 'error',
  ];
  let proc = await spawnHealthy(args, client).catch((err: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    async restart() {
      await kill(proc);
      proc = await spawnHealthy(args, client);
    },
    async stop() {
      await kill(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Spawns etcd and resolves once /health answers; on failure the process is gone. */
async function spawnHealthy(args: string[], client: string): Promise<Proc> {
  const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const proc: Proc = { child, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  try {
    await waitHealthy(client, proc.exited, () => stderr);
  } catch (err) {
    await kill(proc);
    throw err;
  }
  return proc;
}

async function waitHealthy(client: string, exited: Promise<number | null>, stderr: () => string): Promise<void> {
  let done = false;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    done = true;
  });
  const deadline = Date.now() + 20_000;
  while (!done && Date.now() < deadline) {
    try {
      const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (done) throw new Error(`etcd exited with code ${exitCode} before becoming healthy:\n${stderr()}`);
  throw new Error(`etcd did not become healthy at ${client} within 20s:\n${stderr()}`);
}

async function kill({ child, exited }: Proc): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
