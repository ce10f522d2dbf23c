// Starts a real `skiff server` process for integration tests (on loopback, a free port and a
// temporary data dir; the control plane only, --disable-agent, so no container runtime needs a
// socket or root) and offers kubectl and raw HTTPS clients against it. Everything it starts
// it stops by PID in `stop()`, and the data dir is removed.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { eventually } from './eventually.js';

export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
/** The CLI compiled next to this helper (so a private outDir such as dist-NAME runs its own build). */
export const skiffMain = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');
/** The CLI's entry script (runs repoRoot's dist/): what users run, with its per-command Node flags. */
export const skiffBin = resolve(repoRoot, 'bin', 'skiff');

export function kubectlPath(version: string): string {
  const p = `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`;
  if (!existsSync(p)) throw new Error(`kubectl ${version} not found at ${p}: integration tests need kubectl 1.27 and 1.33 there`);
  return p;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SkiffServer {
  dataDir: string;
  kubeconfig: string;
  url: string;
  pid: number;
  /** Runs kubectl (default 1.33) against this server. */
  kubectl(args: string[], opts?: { input?: string; version?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Result>;
  /** A raw HTTPS request with the admin client certificate. */
  request(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>;
  tls: { ca: string; cert: string; key: string };
  /** Stops the server; removes the data dir unless `keepData` (to start again on it). */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startSkiff(opts: { datastore?: string; extraArgs?: string[]; dataDir?: string } = {}): Promise<SkiffServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-test-'));
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const args = [skiffMain, 'server', '--data-dir', dataDir, '--bind-address', '127.0.0.1', '--https-listen-port', '0', '--write-kubeconfig', kubeconfig, '--disable-agent'];
  if (opts.datastore) args.push('--datastore-endpoint', opts.datastore);
  args.push(...(opts.extraArgs ?? []));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await untilReady(child, 'skiff server').ready;
  } catch (err) {
    // A server that never became ready leaves nothing behind either.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const kc = parseYaml(readFileSync(kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b64 = (s: string) => Buffer.from(s, 'base64').toString();
  const tls = {
    ca: b64(kc.clusters[0]!.cluster['certificate-authority-data']),
    cert: b64(kc.users[0]!.user['client-certificate-data']),
    key: b64(kc.users[0]!.user['client-key-data']),
  };
  const url = kc.clusters[0]!.cluster.server;
  const agent = new https.Agent({ ...tls, keepAlive: true });
  let stopped = false;
  return {
    dataDir,
    kubeconfig,
    url,
    pid: child.pid!,
    tls,
    kubectl(kargs, o = {}) {
      return new Promise((res) => {
        const p = execFile(
          kubectlPath(o.version ?? '1.33'),
          ['--kubeconfig', kubeconfig, ...kargs],
          { env: { ...process.env, HOME: dataDir, KUBECACHEDIR: join(dataDir, 'kubecache'), ...(o.env ?? {}) }, timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
          (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        if (o.input !== undefined) p.stdin!.end(o.input);
        else p.stdin!.end();
      });
    },
    request(method, path, body, headers = {}) {
      return new Promise((res, rej) => {
        const u = new URL(path, url);
        // An explicit length: node sends DELETE bodies neither chunked nor sized otherwise.
        const sized = body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {};
        const req = https.request(u, { method, agent, headers: { Accept: 'application/json', ...sized, ...headers } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }));
          r.on('error', rej);
        });
        req.on('error', rej);
        req.end(body);
      });
    },
    async stop(o = {}) {
      if (stopped) return;
      stopped = true;
      agent.destroy();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects a skiff process's output (stdout and stderr, drained for its whole life) and waits for
 * `<what> ready` on stderr; `ready` rejects if the process exits first or is not ready in time.
 */
export function untilReady(child: ChildProcess, what: string, timeoutMs = 30_000): { ready: Promise<void>; output: () => string } {
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} was not ready in ${timeoutMs / 1000} s:\n${log}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes(`${what} ready`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before ready:\n${log}`));
    });
  });
  return { ready, output: () => log };
}

/**
 * Waits until the controllers have furnished a new namespace (its `default` ServiceAccount and
 * `kube-root-ca.crt` ConfigMap exist), so a test that compares store revisions sees no writes
 * of theirs.
 */
export async function namespaceSettled(server: SkiffServer, ns: string, timeoutMs = 10_000): Promise<void> {
  await eventually(
    `the controllers to furnish namespace ${ns}`,
    async () => {
      const sa = await server.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`);
      const cm = await server.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
      return sa.status === 200 && cm.status === 200;
    },
    timeoutMs,
  );
}
