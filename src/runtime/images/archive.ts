// Import and export of image archives, for air-gapped nodes (`skiff images import|export`).
//
// Import reads an OCI image layout (a directory or a tar of one, optionally gzip-compressed:
// `oci-layout`, `index.json`, `blobs/<alg>/<hex>`; Docker 25+ `docker save` output is one too) or
// a docker-archive (`docker save` before Docker 25: `manifest.json` with Config/RepoTags/Layers),
// copies the blobs an image needs into a BlobStore (which verifies every digest), and returns one
// ImportedImage per image. For a docker-archive, whose layers are usually uncompressed tars, an
// image manifest is synthesised (Docker schema 2 media types, as containerd does) and stored too.
// For a multi-platform index only the wanted platform's manifest and blobs are imported.
//
// Export writes an OCI layout tar of the given images (manifest or index, config, layers) with
// `index.json` entries annotated as containerd and Docker do (`io.containerd.image.name` = the
// full name, `org.opencontainers.image.ref.name` = the tag), plus a Docker-compatible
// `manifest.json`, so `docker load`, `ctr import` and skiff's own import all read it.
//
// Tars are unpacked to a temporary directory first (archives list their metadata anywhere, often
// last). Only regular files and directories are written there; symlinks and hard links (Docker's
// legacy format links duplicate layers) are kept as a map and resolved inside the archive, so no
// archive entry can make us read or write outside it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  DEFAULT_PLATFORM, MediaType, detectManifestType, isIndexMediaType, isManifestMediaType, parseImageConfig, parseIndex,
  parseManifest, selectPlatform, type Descriptor, type ImageConfig, type ImageManifest, type PlatformWanted,
} from './oci-image.js';
import { ImageError } from './registry-errors.js';
import { LayerMediaType, cleanEntryName } from './layer-stream.js';

/** The content store as import/export need it; the runtime's ContentStore implements it. */
export interface BlobStore {
  /** Stores the stream under `digest`, verifying digest and size; nothing is kept on mismatch. */
  put(source: AsyncIterable<Buffer>, digest: string, size?: number): Promise<unknown>;
  /** A stream of the blob (it errors with ENOENT when absent). */
  open(digest: string): Readable;
  has(digest: string): Promise<boolean>;
}

export interface ImportedImage {
  /** Names as the archive gives them (`busybox:latest`, a full reference, or a bare tag); not normalised. */
  names: string[];
  /** The digest the archive lists the image by: an index for multi-platform images, else the manifest. */
  digest: string;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  /** manifest.layers, so an ImportedImage is what Snapshotter.prepare takes. */
  layers: Descriptor[];
}

export interface ImportOptions {
  platform?: PlatformWanted;
  /** Where a tar is unpacked while importing; defaults to the OS temp directory. */
  tmpDir?: string;
}

const MAX_JSON = 8 << 20;
const ANN_NAME = 'io.containerd.image.name';
const ANN_REF = 'org.opencontainers.image.ref.name';

function invalid(msg: string): ImageError {
  return new ImageError('InvalidManifest', msg);
}

function sha256(bytes: Buffer): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

async function streamToBuffer(s: AsyncIterable<Buffer>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s) {
    n += c.length;
    if (n > limit) throw invalid(`${what} is larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** An unpacked archive: files under `root`, links resolved through `links` (rel → rel). */
class ArchiveDir {
  constructor(readonly root: string, private readonly links = new Map<string, string>()) {}

  /** The file for an archive-relative path, following the archive's own links. */
  file(name: string): string {
    let rel = cleanEntryName(name);
    for (let hops = 0; this.links.has(rel); hops++) {
      if (hops > 32) throw invalid(`archive path ${name} has a link loop`);
      rel = this.links.get(rel) as string;
    }
    return path.join(this.root, rel);
  }

  async exists(name: string): Promise<boolean> {
    return fsp.access(this.file(name)).then(() => true, () => false);
  }

  async read(name: string, limit = MAX_JSON): Promise<Buffer> {
    try {
      return await streamToBuffer(createReadStream(this.file(name)), limit, name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw invalid(`archive has no ${name}`);
      throw err;
    }
  }

  static async unpackTar(file: string, dest: string): Promise<ArchiveDir> {
    const links = new Map<string, string>();
    const fh = await fsp.open(file, 'r');
    const head = Buffer.alloc(2);
    try {
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
    const extract = tar.extract();
    const input = createReadStream(file);
    const stages = head[0] === 0x1f && head[1] === 0x8b ? [input, createGunzip(), extract] : [input, extract];
    const done = pipeline(stages as unknown as NodeJS.ReadWriteStream[]);
    done.catch(() => undefined);
    try {
      for await (const entry of extract) {
        const data = entry as unknown as AsyncIterable<Buffer>;
        const rel = cleanEntryName(entry.header.name);
        const abs = path.join(dest, rel);
        if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
          await fsp.mkdir(path.dirname(abs), { recursive: true });
          await fsp.rm(abs, { force: true, recursive: true });
          await pipeline(Readable.from(data), (await fsp.open(abs, 'wx', 0o600)).createWriteStream());
          continue;
        }
        for await (const _ of data) { /* drain */ }
        if (entry.header.type === 'directory') await fsp.mkdir(abs, { recursive: true });
        else if (entry.header.type === 'symlink') {
          const target = entry.header.linkname;
          if (target.startsWith('/')) throw invalid(`archive symlink ${rel} points outside the archive`);
          links.set(rel, cleanEntryName(path.posix.join(path.posix.dirname(rel), target)));
        } else if (entry.header.type === 'link') links.set(rel, cleanEntryName(entry.header.linkname));
      }
      await done;
    } catch (err) {
      extract.destroy();
      await done.catch(() => undefined);
      if (err instanceof ImageError) throw err;
      throw invalid(`${file} is not a readable image archive: ${(err as Error).message}`);
    }
    return new ArchiveDir(dest, links);
  }
}

/** Imports an OCI layout or docker-archive, given as a directory or a (gzipped) tar file. */
export async function importArchive(source: string, store: BlobStore, opts: ImportOptions = {}): Promise<ImportedImage[]> {
  const st = await fsp.stat(source).catch(() => undefined);
  if (!st) throw new ImageError('NotFound', `image archive ${source} does not exist`);
  if (st.isDirectory()) return importDir(new ArchiveDir(path.resolve(source)), store, opts);
  const tmp = await fsp.mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'skiff-import-'));
  try {
    return await importDir(await ArchiveDir.unpackTar(source, tmp), store, opts);
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

async function importDir(dir: ArchiveDir, store: BlobStore, opts: ImportOptions): Promise<ImportedImage[]> {
  if (await dir.exists('index.json')) return importOciLayout(dir, store, opts.platform ?? DEFAULT_PLATFORM);
  if (await dir.exists('manifest.json')) return importDockerArchive(dir, store);
  throw invalid('not an OCI image layout or docker-archive: it has neither index.json nor manifest.json');
}

function blobPath(digest: string): string {
  const m = /^([a-z0-9]+):([a-f0-9]{64})$/.exec(digest);
  if (!m) throw invalid(`descriptor digest ${JSON.stringify(digest)} is not <algorithm>:<hex>`);
  return `blobs/${m[1]}/${m[2]}`;
}

async function copyBlob(dir: ArchiveDir, store: BlobStore, d: Descriptor): Promise<void> {
  if (await store.has(d.digest)) return;
  if (!(await dir.exists(blobPath(d.digest)))) throw new ImageError('NotFound', `archive is missing blob ${d.digest} (${d.mediaType})`);
  await store.put(createReadStream(dir.file(blobPath(d.digest))), d.digest, d.size);
}

async function readBlob(dir: ArchiveDir, d: Descriptor): Promise<Buffer> {
  const bytes = await dir.read(blobPath(d.digest));
  if (sha256(bytes) !== d.digest || bytes.length !== d.size) throw new ImageError('DigestMismatch', `archive blob ${d.digest} does not match its digest or size`);
  return bytes;
}

async function importOciLayout(dir: ArchiveDir, store: BlobStore, platform: PlatformWanted): Promise<ImportedImage[]> {
  const layout = JSON.parse((await dir.read('oci-layout')).toString()) as { imageLayoutVersion?: string };
  if (!layout.imageLayoutVersion?.startsWith('1.')) throw invalid(`unsupported OCI layout version ${JSON.stringify(layout.imageLayoutVersion)}`);
  const index = parseIndex(await dir.read('index.json'), MediaType.ociIndex, 'index.json');
  const byDigest = new Map<string, ImportedImage>();
  for (const top of index.manifests) {
    let image = byDigest.get(top.digest);
    if (!image) {
      let manifestDesc: Descriptor | undefined = top;
      for (let depth = 0; manifestDesc && isIndexMediaType(manifestDesc.mediaType); depth++) {
        if (depth > 4) throw invalid(`image index ${top.digest} nests too deeply`);
        const bytes = await readBlob(dir, manifestDesc);
        manifestDesc = selectPlatform(parseIndex(bytes, manifestDesc.mediaType), platform);
      }
      if (!manifestDesc) throw new ImageError('NotFound', `image index ${top.digest} has no manifest for ${platform.os}/${platform.architecture}`);
      if (!isManifestMediaType(manifestDesc.mediaType)) continue; // artifacts and unknown documents
      const manifestBytes = await readBlob(dir, manifestDesc);
      const manifest = parseManifest(manifestBytes, manifestDesc.mediaType);
      const config = parseImageConfig(await readBlob(dir, manifest.config), manifest.layers.length);
      for (const l of manifest.layers) await copyBlob(dir, store, l);
      await copyBlob(dir, store, manifest.config);
      await copyBlob(dir, store, manifestDesc);
      // Index documents between the top and the manifest are stored so the top digest resolves.
      if (top.digest !== manifestDesc.digest) await copyBlob(dir, store, top);
      image = { names: [], digest: top.digest, manifestDigest: manifestDesc.digest, manifest, config, layers: manifest.layers };
      byDigest.set(top.digest, image);
    }
    const name = top.annotations?.[ANN_NAME] ?? top.annotations?.[ANN_REF];
    if (name && !image.names.includes(name)) image.names.push(name);
  }
  return [...byDigest.values()];
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function importDockerArchive(dir: ArchiveDir, store: BlobStore): Promise<ImportedImage[]> {
  let entries: DockerManifestEntry[];
  try {
    entries = JSON.parse((await dir.read('manifest.json')).toString()) as DockerManifestEntry[];
  } catch (err) {
    throw invalid(`docker-archive manifest.json is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(entries)) throw invalid('docker-archive manifest.json is not a list');
  const images: ImportedImage[] = [];
  for (const [i, e] of entries.entries()) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers)) throw invalid(`docker-archive manifest.json entry ${i} has no Config or Layers`);
    const configBytes = await dir.read(e.Config);
    const config = parseImageConfig(configBytes, e.Layers.length, `config ${e.Config}`);
    const configDesc: Descriptor = { mediaType: MediaType.dockerConfig, digest: sha256(configBytes), size: configBytes.length };
    const layers: Descriptor[] = [];
    for (const [n, layerPath] of e.Layers.entries()) {
      const file = dir.file(layerPath);
      const hash = createHash('sha256');
      let size = 0;
      let head = Buffer.alloc(0);
      for await (const c of createReadStream(file) as AsyncIterable<Buffer>) {
        if (head.length < 2) head = Buffer.concat([head, c.subarray(0, 2)]);
        hash.update(c);
        size += c.length;
      }
      const digest = 'sha256:' + hash.digest('hex');
      const gzip = head[0] === 0x1f && head[1] === 0x8b;
      if (!gzip && digest !== config.rootfs.diff_ids[n]) {
        throw new ImageError('DigestMismatch', `docker-archive layer ${layerPath} hashes to ${digest}, but the config's diff_id ${n} is ${config.rootfs.diff_ids[n]}`);
      }
      if (!(await store.has(digest))) await store.put(createReadStream(file), digest, size);
      layers.push({ mediaType: gzip ? LayerMediaType.dockerTarGzip : LayerMediaType.dockerTar, digest, size });
    }
    await store.put(Readable.from([configBytes]), configDesc.digest, configDesc.size);
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config: configDesc, layers };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha256(manifestBytes);
    await store.put(Readable.from([manifestBytes]), manifestDigest, manifestBytes.length);
    images.push({ names: [...(e.RepoTags ?? [])], digest: manifestDigest, manifestDigest, manifest, config, layers });
  }
  return images;
}

export interface ExportImage {
  /** The manifest or index digest to export, as the image record holds it. */
  digest: string;
  /** Full references (`docker.io/library/busybox:latest`); each becomes an index.json entry. */
  names: readonly string[];
}

function tagOf(name: string): string | undefined {
  if (name.includes('@')) return undefined;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : undefined;
}

/**
 * Writes an OCI layout tar of `images` to `out`. Children of an index that are not in the store
 * (other platforms never pulled) are left out, as containerd's export does for a single platform.
 */
export async function exportOciArchive(images: readonly ExportImage[], store: BlobStore, out: Writable): Promise<void> {
  const pack = tar.pack();
  const piping = pipeline(pack as unknown as NodeJS.ReadableStream, out);
  piping.catch(() => undefined);
  const mtime = new Date(0);
  const written = new Set<string>();
  const addBytes = (name: string, bytes: Buffer): Promise<void> =>
    new Promise((resolve, reject) => pack.entry({ name, size: bytes.length, mode: 0o644, mtime }, bytes, (err) => (err ? reject(err) : resolve())));
  const addBlob = async (d: Descriptor, bytes?: Buffer): Promise<void> => {
    if (written.has(d.digest)) return;
    written.add(d.digest);
    if (bytes) return addBytes(blobPath(d.digest), bytes);
    const entry = pack.entry({ name: blobPath(d.digest), size: d.size, mode: 0o644, mtime });
    await pipeline(store.open(d.digest), entry as unknown as NodeJS.WritableStream);
  };
  const readJson = async (digest: string): Promise<Buffer> => {
    try {
      return await streamToBuffer(store.open(digest), MAX_JSON, `blob ${digest}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageError('NotFound', `blob ${digest} is not in the content store`);
      throw err;
    }
  };
  /** Writes a manifest or index and everything it references; returns its descriptor. */
  const addTree = async (digest: string, depth = 0): Promise<{ desc: Descriptor; manifest?: ImageManifest }> => {
    const bytes = await readJson(digest);
    const desc: Descriptor = { mediaType: detectManifestType(bytes, undefined), digest, size: bytes.length };
    if (isIndexMediaType(desc.mediaType)) {
      if (depth > 4) throw invalid(`image index ${digest} nests too deeply`);
      let any = false;
      for (const child of parseIndex(bytes, desc.mediaType).manifests) {
        if (!(await store.has(child.digest))) continue;
        await addTree(child.digest, depth + 1);
        any = true;
      }
      if (!any) throw new ImageError('NotFound', `none of the manifests of image index ${digest} are in the content store`);
      await addBlob(desc, bytes);
      return { desc };
    }
    const manifest = parseManifest(bytes, desc.mediaType);
    await addBlob(manifest.config);
    for (const l of manifest.layers) await addBlob(l);
    await addBlob(desc, bytes);
    return { desc, manifest };
  };
  try {
    await addBytes('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    const indexEntries: Descriptor[] = [];
    const dockerManifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
    for (const img of images) {
      const { desc, manifest } = await addTree(img.digest);
      if (img.names.length === 0) indexEntries.push(desc);
      for (const name of img.names) {
        const tag = tagOf(name);
        indexEntries.push({ ...desc, annotations: { [ANN_NAME]: name, ...(tag ? { [ANN_REF]: tag } : {}) } });
      }
      if (manifest) {
        dockerManifest.push({
          Config: blobPath(manifest.config.digest),
          RepoTags: img.names.filter((n) => tagOf(n) !== undefined),
          Layers: manifest.layers.map((l) => blobPath(l.digest)),
        });
      }
    }
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexEntries };
    await addBytes('index.json', Buffer.from(JSON.stringify(index)));
    await addBytes('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
    pack.finalize();
    await piping;
  } catch (err) {
    pack.destroy(err as Error);
    await piping.catch(() => undefined);
    throw err;
  }
}
