// Starts the `skiff server` under test as a child process, from the same build output the
// benchmark was compiled into (dist/ or dist-NAME/), optionally under `node --cpu-prof`.
//
// Contract: `stop()` ends the process by its PID (SIGTERM, SIGKILL after 15 s), waits for it to
// exit (so a CPU profile is written) and removes the temp data dir; it is safe to call twice.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { procCpuSeconds, procMemory, type ProcMemory } from '../proc.js';

// The build output this file was compiled into: <root>/dist or dist-NAME, holding bench/apiserver/server.js.
export const distRoot = resolve(import.meta.dirname, '..', '..');
export const repoRoot = resolve(distRoot, '..');

export interface Tls {
  ca: string;
  cert: string;
  key: string;
}

export interface BenchServer {
  pid: number;
  url: string;
  tls: Tls;
  dataDir: string;
  /** The server process's memory (RSS and its peak, PSS, USS) in bytes. */
  memory(): ProcMemory;
  /** user+system CPU seconds the server process has used so far, and the system part of it. */
  cpuSeconds(): number;
  sysSeconds(): number;
  stop(): Promise<void>;
}

export async function startServer(opts: { datastore: string; cpuProfDir?: string; log?: (m: string) => void }): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-bench-api-'));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const nodeFlags = opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : [];
  const args = [
    ...nodeFlags,
    join(distRoot, 'src', 'cli', 'main.js'),
    'server',
    '--data-dir', dataDir,
    '--bind-address', '127.0.0.1',
    '--https-listen-port', '0',
    '--write-kubeconfig', kubeconfig,
    '--disable-agent',
    '--datastore-endpoint', opts.datastore === 'sqlite' ? `sqlite://${join(dataDir, 'db', 'state.db')}` : opts.datastore,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let log = '';
  const onData = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const t = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }, 15_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
    // Errors the server logged while under load are part of the result, not noise.
    const errs = log.split('\n').filter((l) => /internal error|Error|FATAL/i.test(l));
    if (errs.length) opts.log?.(`server log had ${errs.length} error lines, last: ${errs.slice(-3).join(' | ').slice(0, 600)}`);
  };
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`skiff server did not become ready in 60 s:\n${log}`)), 60_000);
      child.stderr.on('data', () => {
        if (log.includes('skiff server ready')) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`skiff server exited with ${code} before ready:\n${log}`));
      });
    });
    const kc = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const cluster = kc.clusters[0]?.cluster;
    const user = kc.users[0]?.user;
    if (!cluster || !user) throw new Error(`kubeconfig ${kubeconfig} has no cluster or user`);
    const b64 = (s: string) => Buffer.from(s, 'base64').toString();
    const pid = child.pid as number;
    return {
      pid,
      url: cluster.server,
      tls: { ca: b64(cluster['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) },
      dataDir,
      memory: () => procMemory(pid),
      cpuSeconds: () => procCpuSeconds(pid).total,
      sysSeconds: () => procCpuSeconds(pid).sys,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
