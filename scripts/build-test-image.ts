// Builds the project's test images as OCI image layouts, offline, from Debian's static busybox
// (/usr/bin/busybox from busybox-static). Output is deterministic for a given busybox binary
// (fixed mtimes, gzip without timestamps), so digests are stable between runs.
//
//   busybox   one layer: /bin/busybox + applet symlinks (sh, httpd, nc, wget, sleep, ...),
//             /etc/passwd (root, nobody, app uid 1000), /etc/group, /tmp, /var/www, /home/app.
//             Cmd ["sh"], PATH set, WorkingDir "/".
//   layered   three layers: the busybox layer (byte-identical, so it is shared), a data layer and
//             a changes layer with whiteouts and an opaque directory; see LAYERED_IMAGE.
//   pause     one layer: Debian's static /usr/bin/catatonit as /catatonit; Entrypoint
//             ["/catatonit", "-P"] (catatonit's pause mode), no Cmd — a sandbox (infra) image
//             for containerd's sandbox_image in tests.
//
// Usage: node dist/scripts/build-test-image.js OUTDIR   → OUTDIR/busybox, OUTDIR/layered, OUTDIR/pause

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Header } from 'tar-stream';

export const BUSYBOX_APPLETS = [
  'sh', 'httpd', 'nc', 'wget', 'sleep', 'echo', 'cat', 'ls', 'ps', 'nslookup', 'id',
  'env', 'true', 'false', 'test', 'mkdir', 'rm', 'touch', 'kill', 'hostname', 'head', 'tail', 'grep',
  'sed', 'date', 'tee', 'chmod', 'chown', 'cp', 'mv', 'pwd', 'uname', 'whoami', 'wc', 'dd', 'stat',
  'timeout', 'printf', 'seq', 'yes', 'sort', 'top', 'free', 'df', 'du', 'mount', 'ip', 'ping', 'netstat',
  'ifconfig', 'nproc', 'usleep', 'readlink', 'ln', 'find', 'xargs', 'awk', 'sha256sum',
];

export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n';
export const GROUP = 'root:x:0:\nusers:x:100:app\nnobody:x:65534:\napp:x:1000:\n';
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MTIME = new Date('2024-01-01T00:00:00Z');
const CREATED = MTIME.toISOString();

/** One tar entry. Files carry `content`; `xattrs` become PAX `SCHILY.xattr.*` records. */
export interface TarEntry {
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  content?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  xattrs?: Record<string, string>;
}

export interface RuntimeConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface BuildOptions {
  /** The `org.opencontainers.image.ref.name` annotation in index.json; default `latest`. */
  tag?: string;
  /** Merged over the image's default runtime config. */
  config?: RuntimeConfig;
  /** `docker` writes Docker schema 2 media types instead of OCI ones. */
  format?: 'oci' | 'docker';
  /** Adds a last layer with `/padding.bin` of this many incompressible (but deterministic) bytes. */
  paddingBytes?: number;
  busyboxPath?: string;
  architecture?: string;
}

export interface BuiltLayer {
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
}

export interface BuiltImage {
  dir: string;
  tag: string;
  manifestDigest: string;
  manifestSize: number;
  manifestMediaType: string;
  configDigest: string;
  layers: BuiltLayer[];
}

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** An uncompressed tar of `entries`, parents before children as given. */
export async function tarLayer(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const header: Partial<Header> & { name: string } = {
      name: e.path.replace(/^\/+/, ''),
      type: e.type,
      mode: e.mode ?? (e.type === 'directory' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: MTIME,
      uname: '',
      gname: '',
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    if (e.xattrs !== undefined) header.pax = Object.fromEntries(Object.entries(e.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]));
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.type === 'file') pack.entry(header, typeof e.content === 'string' ? Buffer.from(e.content) : e.content ?? Buffer.alloc(0), cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The busybox base layer's entries. */
export async function busyboxEntries(busyboxPath = '/usr/bin/busybox'): Promise<TarEntry[]> {
  const bin = await readFile(busyboxPath);
  return [
    { path: 'bin', type: 'directory' },
    { path: 'bin/busybox', type: 'file', content: bin, mode: 0o755 },
    ...BUSYBOX_APPLETS.map((a): TarEntry => ({ path: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { path: 'dev', type: 'directory' },
    { path: 'etc', type: 'directory' },
    { path: 'etc/passwd', type: 'file', content: PASSWD },
    { path: 'etc/group', type: 'file', content: GROUP },
    { path: 'home', type: 'directory' },
    { path: 'home/app', type: 'directory', uid: 1000, gid: 1000, mode: 0o750 },
    { path: 'proc', type: 'directory' },
    { path: 'root', type: 'directory', mode: 0o700 },
    { path: 'sys', type: 'directory' },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'usr', type: 'directory' },
    { path: 'usr/bin', type: 'directory' },
    { path: 'usr/bin/env', type: 'symlink', linkname: '../../bin/busybox' },
    { path: 'var', type: 'directory' },
    { path: 'var/www', type: 'directory' },
    { path: 'var/www/index.html', type: 'file', content: 'hello from skiff busybox\n' },
  ];
}

/** Deterministic incompressible bytes (a sha256 counter stream). */
function paddingBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let off = 0, i = 0; off < n; i++, off += 32) createHash('sha256').update(`skiff-padding-${i}`).digest().copy(out, off);
  return out;
}

/**
 * Writes an OCI image layout at `dir` for the given uncompressed layer tars: gzip layers, config,
 * manifest, `index.json` (one manifest, annotated with the tag) and `oci-layout`.
 */
export async function writeImageLayout(dir: string, tars: Buffer[], config: RuntimeConfig, opts: BuildOptions = {}): Promise<BuiltImage> {
  const docker = opts.format === 'docker';
  const types = docker
    ? { manifest: 'application/vnd.docker.distribution.manifest.v2+json', config: 'application/vnd.docker.container.image.v1+json', layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }
    : { manifest: 'application/vnd.oci.image.manifest.v1+json', config: 'application/vnd.oci.image.config.v1+json', layer: 'application/vnd.oci.image.layer.v1.tar+gzip' };
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (b: Buffer): Promise<string> => {
    const d = sha256(b);
    await writeFile(join(blobs, d.slice(7)), b);
    return d;
  };
  const layers: BuiltLayer[] = [];
  for (const t of tars) {
    const gz = gzipSync(t, { level: 6 });
    layers.push({ digest: await put(gz), diffId: sha256(t), size: gz.length, mediaType: types.layer });
  }
  const configDoc = {
    created: CREATED,
    architecture: opts.architecture ?? 'amd64',
    os: 'linux',
    config: { Env: [DEFAULT_PATH], Cmd: ['sh'], WorkingDir: '/', ...config, ...(opts.config ?? {}) },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: CREATED, created_by: 'skiff scripts/build-test-image' })),
  };
  const configBytes = Buffer.from(JSON.stringify(configDoc));
  const configDigest = await put(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: configDigest, size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = await put(manifestBytes);
  const tag = opts.tag ?? 'latest';
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: types.manifest, digest: manifestDigest, size: manifestBytes.length, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir, tag, manifestDigest, manifestSize: manifestBytes.length, manifestMediaType: types.manifest, configDigest, layers };
}

/** The single-layer busybox image. */
export async function buildBusyboxImage(dir: string, opts: BuildOptions = {}): Promise<BuiltImage> {
  const tars = [await tarLayer(await busyboxEntries(opts.busyboxPath))];
  if (opts.paddingBytes !== undefined && opts.paddingBytes > 0) tars.push(await tarLayer([{ path: 'padding.bin', type: 'file', content: paddingBytes(opts.paddingBytes) }]));
  return writeImageLayout(dir, tars, {}, opts);
}

/**
 * What the layered image's root filesystem must look like after its three layers are applied.
 * Layer 2 (data) adds everything under /data and /opaque; layer 3 (changes) removes
 * /data/remove.txt and /bin/nslookup with whiteouts, makes /opaque opaque (old entries gone, only
 * new.txt), rewrites /data/sub/inner.txt and adds /data/added.txt.
 */
export const LAYERED_IMAGE = {
  files: {
    '/data/keep.txt': 'keep\n',
    '/data/hardlink.txt': 'keep\n', // a hard link to /data/keep.txt (same inode)
    '/data/owned.txt': 'owned by app\n', // uid 1000, gid 1000, mode 0640
    '/data/xattr.txt': 'has an xattr\n', // xattr user.skiff = "test"
    '/data/sub/inner.txt': 'changed\n',
    '/data/added.txt': 'added in layer 3\n',
    '/opaque/new.txt': 'new\n',
  },
  symlinks: { '/data/link': 'keep.txt', '/bin/sh': 'busybox' },
  absent: ['/data/remove.txt', '/opaque/old.txt', '/opaque/sub', '/bin/nslookup', '/data/.wh.remove.txt', '/opaque/.wh..wh..opq', '/bin/.wh.nslookup'],
  owned: { path: '/data/owned.txt', uid: 1000, gid: 1000, mode: 0o640 },
  xattr: { path: '/data/xattr.txt', name: 'user.skiff', value: 'test' },
} as const;

export function layeredDataEntries(): TarEntry[] {
  return [
    { path: 'data', type: 'directory' },
    { path: 'data/keep.txt', type: 'file', content: 'keep\n' },
    { path: 'data/hardlink.txt', type: 'link', linkname: 'data/keep.txt' },
    { path: 'data/remove.txt', type: 'file', content: 'remove me\n' },
    { path: 'data/owned.txt', type: 'file', content: 'owned by app\n', uid: 1000, gid: 1000, mode: 0o640 },
    { path: 'data/xattr.txt', type: 'file', content: 'has an xattr\n', xattrs: { 'user.skiff': 'test' } },
    { path: 'data/link', type: 'symlink', linkname: 'keep.txt' },
    { path: 'data/sub', type: 'directory' },
    { path: 'data/sub/inner.txt', type: 'file', content: 'inner\n' },
    { path: 'opaque', type: 'directory' },
    { path: 'opaque/old.txt', type: 'file', content: 'old\n' },
    { path: 'opaque/sub', type: 'directory' },
    { path: 'opaque/sub/old2.txt', type: 'file', content: 'old2\n' },
  ];
}

export function layeredChangeEntries(): TarEntry[] {
  return [
    { path: 'bin', type: 'directory' },
    { path: 'bin/.wh.nslookup', type: 'file', content: '' },
    { path: 'data', type: 'directory' },
    { path: 'data/.wh.remove.txt', type: 'file', content: '' },
    { path: 'data/added.txt', type: 'file', content: 'added in layer 3\n' },
    { path: 'data/sub', type: 'directory' },
    { path: 'data/sub/inner.txt', type: 'file', content: 'changed\n' },
    { path: 'opaque', type: 'directory' },
    { path: 'opaque/.wh..wh..opq', type: 'file', content: '' },
    { path: 'opaque/new.txt', type: 'file', content: 'new\n' },
  ];
}

/** The three-layer image for unpack tests (see LAYERED_IMAGE). Cmd: cat /data/keep.txt. */
export async function buildLayeredImage(dir: string, opts: BuildOptions = {}): Promise<BuiltImage> {
  const tars = [await tarLayer(await busyboxEntries(opts.busyboxPath)), await tarLayer(layeredDataEntries()), await tarLayer(layeredChangeEntries())];
  return writeImageLayout(dir, tars, { Cmd: ['cat', '/data/keep.txt'] }, opts);
}

export const CATATONIT_PATH = '/usr/bin/catatonit';

/** The pause image: /catatonit (static) run as `catatonit -P`, which only reaps and waits. */
export async function buildPauseImage(dir: string, opts: BuildOptions & { catatonitPath?: string } = {}): Promise<BuiltImage> {
  const bin = await readFile(opts.catatonitPath ?? CATATONIT_PATH);
  const layer = await tarLayer([
    { path: 'catatonit', type: 'file', content: bin, mode: 0o755 },
    { path: 'dev', type: 'directory' },
    { path: 'etc', type: 'directory' },
    { path: 'proc', type: 'directory' },
    { path: 'sys', type: 'directory' },
  ]);
  // Cmd undefined drops the default ["sh"]: the entrypoint alone is the process.
  return writeImageLayout(dir, [layer], { Entrypoint: ['/catatonit', '-P'], Cmd: undefined, Env: [DEFAULT_PATH] }, opts);
}

async function main(): Promise<void> {
  const out = process.argv[2];
  if (out === undefined) {
    process.stderr.write('usage: build-test-image OUTDIR\n');
    process.exit(2);
  }
  const busybox = await buildBusyboxImage(join(out, 'busybox'));
  const layered = await buildLayeredImage(join(out, 'layered'));
  const pause = await buildPauseImage(join(out, 'pause'));
  process.stdout.write(`${JSON.stringify({ busybox, layered, pause }, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`build-test-image: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
