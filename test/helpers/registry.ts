// A real local registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with a
// free port and a temp storage dir, plus `push` of an OCI image layout into it.
//
// Contract: `startRegistry()` resolves once `GET /v2/` answers 200; `stop()` ends the process it
// started (by PID: SIGTERM, then SIGKILL after 5 s) and removes its temp dir. Nothing else is touched.

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRegistry {
  /** host:port, e.g. `127.0.0.1:41234`. */
  host: string;
  /** `http://host:port`. */
  url: string;
  pid: number;
  /** Pushes an image layout (blobs, then manifests) as `name:tag`; returns the top manifest's digest. */
  push(layoutDir: string, nameTag: string): Promise<string>;
  /** The registry's log so far (for failure messages). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '',
      ].join('\n'),
    );
    const logFile = join(dir, 'registry.log');
    const fd = openSync(logFile, 'a');
    try {
      child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const proc = child;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const pid = proc.pid;
    if (pid === undefined) throw new Error('docker-registry did not start');
    const url = `http://${host}`;
    const log = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');

    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`docker-registry exited (${proc.exitCode ?? proc.signalCode}): ${await log()}`);
      try {
        const r = await fetch(`${url}/v2/`);
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url}/v2/ within 20s: ${await log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const stop = async (): Promise<void> => {
      if (proc.exitCode === null && proc.signalCode === null) {
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => {
          if (proc.exitCode === null && proc.signalCode === null) process.kill(pid, 'SIGKILL');
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    };
    return { host, url, pid, push: (layoutDir, nameTag) => pushLayout(url, layoutDir, nameTag), log, stop };
  } catch (e) {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

interface LayoutDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/**
 * Pushes the layout's image to `registryUrl` as `name:tag`: every blob with a monolithic upload
 * (POST, then PUT ?digest=) unless the registry has it, child manifests of an index by digest, and
 * the top manifest under the tag. The layout's entry is the one annotated with the tag, else its
 * only entry.
 */
export async function pushLayout(registryUrl: string, layoutDir: string, nameTag: string): Promise<string> {
  const colon = nameTag.lastIndexOf(':');
  const [name, tag] = colon > nameTag.lastIndexOf('/') ? [nameTag.slice(0, colon), nameTag.slice(colon + 1)] : [nameTag, 'latest'];
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as { manifests: LayoutDescriptor[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag) ?? (index.manifests.length === 1 ? index.manifests[0] : undefined);
  if (entry === undefined) throw new Error(`${layoutDir}: no manifest for tag ${tag} and more than one entry`);
  const blob = (d: string): Promise<Buffer> => readFile(join(layoutDir, 'blobs', 'sha256', d.slice('sha256:'.length)));

  const pushBlob = async (d: string): Promise<void> => {
    const head = await fetch(`${registryUrl}/v2/${name}/blobs/${d}`, { method: 'HEAD' });
    if (head.status === 200) return;
    const start = await fetch(`${registryUrl}/v2/${name}/blobs/uploads/`, { method: 'POST' });
    await start.arrayBuffer();
    const location = start.headers.get('location');
    if (start.status !== 202 || location === null) throw new Error(`push ${name}: starting upload of ${d}: ${start.status}`);
    const u = new URL(location, registryUrl);
    u.searchParams.set('digest', d);
    const put = await fetch(u, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(await blob(d)) });
    if (put.status !== 201) throw new Error(`push ${name}: uploading ${d}: ${put.status} ${await put.text()}`);
  };
  const pushManifest = async (desc: LayoutDescriptor, ref: string): Promise<void> => {
    const bytes = await blob(desc.digest);
    const doc = JSON.parse(bytes.toString('utf8')) as { manifests?: LayoutDescriptor[]; config?: LayoutDescriptor; layers?: LayoutDescriptor[] };
    for (const child of doc.manifests ?? []) await pushManifest(child, child.digest);
    for (const b of [...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) await pushBlob(b.digest);
    const r = await fetch(`${registryUrl}/v2/${name}/manifests/${ref}`, { method: 'PUT', headers: { 'content-type': desc.mediaType }, body: new Uint8Array(bytes) });
    if (r.status !== 201) throw new Error(`push ${name}: manifest ${desc.digest} as ${ref}: ${r.status} ${await r.text()}`);
  };
  await pushManifest(entry, tag);
  return entry.digest;
}
