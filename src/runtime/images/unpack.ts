// Applies one OCI / Docker layer tar to a fresh directory that becomes an overlay lower layer.
//
// Representation (overlay-native, as containerd's overlay snapshotter and Docker's overlay2 do):
// each layer is unpacked on its own into a directory; the image's layers are stacked later as
// overlay lowerdirs. So whiteouts are not applied by deleting lower files (the lower layers are
// shared, read-only snapshots) but converted to what overlayfs understands:
//   `.wh.<name>`   → a character device 0/0 named <name> (hard links to one template device per
//                    layer, so a layer with thousands of whiteouts costs one mknod spawn);
//   `.wh..wh..opq` → xattr `trusted.overlay.opaque=y` on its directory;
//   other `.wh..wh.*` (AUFS bookkeeping) → ignored.
// Directories that a layer writes into without listing them are created with the attributes of
// the same directory in the layers below (`parents`), so the merged view keeps their mode/owner.
// A hard link to a file that only exists in a lower layer copies that file up first (xattrs of
// the copied file are not carried over).
//
// Devices and fifos are created with mknod(1) (coreutils); xattrs need setfattr or python3 (see
// xattr.ts); `trusted.overlay.*` xattrs found in a layer are dropped so that an image cannot steer
// overlayfs (redirects, metacopy). Compression is detected from the stream's magic bytes (gzip or
// none); zstd is rejected as unsupported (Node 20's zlib has no zstd).
//
// Security: entry names that are absolute or contain `..` are rejected, as is any entry whose
// parent directory inside the layer is a symlink (it would be written outside the target); files
// are created with O_EXCL after removing what was there, so a symlink is never followed.
// The diffID (sha256 of the uncompressed tar) is computed while unpacking; on any failure,
// including a diffID mismatch, the target directory is removed.
import type { Stats } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { runTool } from '../mount.js';
import { GUNZIP_CHUNK_BYTES, writeInBatches } from './coalesce.js';
import { Digester, LayerUnpackError, checkLayerMediaType, cleanEntryName, sniff } from './layer-stream.js';
import { PaxXattrScanner, setXattrs, type XattrSet, type XattrWrite } from './xattr.js';

export interface ApplyLayerOptions {
  mediaType: string;
  /** Expected diffID (`sha256:<hex>` from the config's rootfs.diff_ids). */
  diffId?: string;
  /** The fs directories of the layers below, top first. */
  parents?: readonly string[];
  signal?: AbortSignal;
}

export interface ApplyLayerResult {
  /** `sha256:<hex>` of the uncompressed tar. */
  diffId: string;
  /** Bytes of the uncompressed tar. */
  size: number;
  /** Things skipped or tolerated, for logs. */
  notes: string[];
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

function parentOf(rel: string): string {
  const d = path.posix.dirname(rel);
  return d === '.' ? '' : d;
}

function isWhiteoutDevice(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Applies a layer tar stream to `target`, which must not exist yet (its parent must). */
export async function applyLayer(input: Readable, target: string, opts: ApplyLayerOptions): Promise<ApplyLayerResult> {
  checkLayerMediaType(opts.mediaType);
  const applier = new LayerApplier(path.resolve(target), opts.parents ?? []);
  await fsp.mkdir(applier.target, { mode: 0o755 });
  try {
    const result = await applier.run(input, opts.signal);
    if (opts.diffId !== undefined && opts.diffId !== result.diffId) {
      throw new LayerUnpackError('diffid-mismatch', `layer diffID mismatch: the uncompressed layer has digest ${result.diffId}, the image config expects ${opts.diffId}`);
    }
    return result;
  } catch (err) {
    await fsp.rm(applier.target, { recursive: true, force: true });
    throw err;
  } finally {
    await applier.dispose();
  }
}

/** mtime in seconds (fractional: PAX times are finer than a Date's milliseconds). */
interface DirTime { abs: string; mtime: number }

class LayerApplier {
  private readonly safeDirs = new Set<string>(['']);
  private dirTimes: DirTime[] = [];
  private readonly xattrs = new Map<string, XattrWrite[]>();
  private readonly notes: string[] = [];
  private whiteoutTemplate: string | undefined;
  private templates = 0;

  constructor(readonly target: string, private readonly parents: readonly string[]) {}

  async run(input: Readable, signal: AbortSignal | undefined): Promise<ApplyLayerResult> {
    const { head, stream } = await sniff(input, 4);
    if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
      stream.destroy();
      throw new LayerUnpackError('unsupported', 'layer is zstd-compressed, which is unsupported: zstd decompression is not available in Node.js 20');
    }
    const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const digester = new Digester();
    const scanner = new PaxXattrScanner();
    const extract = tar.extract();
    // 128 KiB output chunks instead of zlib's 16 KiB: every chunk crosses four stream stages.
    const stages: NodeJS.ReadWriteStream[] = gzip ? [createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), digester, scanner] : [digester, scanner];
    // tar-stream's extract is a streamx Writable; Node's pipeline drives it fine.
    const done = pipeline([stream, ...stages, extract as unknown as NodeJS.WritableStream]);
    done.catch(() => { /* observed below */ });
    // The first error of a stage (corrupt or truncated input) also fails the entry being written;
    // it is recorded here so the archive, not the entry, is reported as the cause.
    let streamError: Error | undefined;
    for (const s of [stream, ...stages, extract] as NodeJS.EventEmitter[]) s.on('error', (e: Error) => { streamError ??= e; });
    // Errors of the stream stages mean a corrupt archive; errors of applying an entry say which.
    let applying: string | undefined;
    try {
      for await (const entry of extract) {
        signal?.throwIfAborted();
        applying = entry.header.name;
        // streamx Readables are async-iterable at runtime; its typings omit it.
        await this.entry(entry.header, entry as unknown as AsyncIterable<Buffer>, scanner.next());
        applying = undefined;
      }
      await done;
    } catch (err) {
      const cause = streamError;
      extract.destroy();
      await done.catch(() => undefined);
      if (err instanceof LayerUnpackError || signal?.aborted) throw err;
      if (cause) err = cause;
      else if (applying !== undefined) throw new Error(`applying layer entry ${JSON.stringify(applying)}: ${(err as Error).message}`);
      throw new LayerUnpackError('invalid', `layer is not a valid ${gzip ? 'gzip-compressed ' : ''}tar archive: ${(err as Error).message}`);
    }
    await this.finish();
    return { diffId: 'sha256:' + digester.hash.digest('hex'), size: digester.size, notes: this.notes };
  }

  async dispose(): Promise<void> {
    if (this.whiteoutTemplate) await fsp.rm(this.whiteoutTemplate, { force: true });
  }

  private async entry(h: tar.Header, data: AsyncIterable<Buffer>, xattrs: XattrSet): Promise<void> {
    const rel = cleanEntryName(h.name);
    const base = path.posix.basename(rel);
    if (h.type !== 'file' && h.type !== 'contiguous-file') await drain(data);
    if (base.startsWith('.wh.')) {
      await drain(data);
      return this.whiteout(rel, base);
    }
    if (rel === '' && h.type !== 'directory') throw new LayerUnpackError('invalid', `layer entry ${JSON.stringify(h.name)} replaces the layer root with a non-directory`);
    const parentAbs = await this.ensureDir(parentOf(rel));
    const abs = rel === '' ? this.target : path.join(parentAbs, base);
    const mode = (h.mode ?? 0o644) & 0o7777;
    switch (h.type) {
      case 'directory': {
        const st = await lstatOrUndefined(abs);
        if (st && !st.isDirectory()) await this.remove(rel, abs);
        if (!st || !st.isDirectory()) await fsp.mkdir(abs, { mode: 0o700 });
        this.safeDirs.add(rel);
        break;
      }
      case 'file':
      case 'contiguous-file':
        await this.remove(rel, abs);
        await writeNewFile(abs, data);
        break;
      case 'symlink':
        await this.remove(rel, abs);
        await fsp.symlink(h.linkname ?? '', abs);
        break;
      case 'link':
        return this.hardlink(rel, abs, h.linkname ?? '');
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        await this.remove(rel, abs);
        const kind = h.type === 'fifo' ? ['p'] : [h.type === 'block-device' ? 'b' : 'c', String(h.devmajor ?? 0), String(h.devminor ?? 0)];
        await runTool('mknod', ['-m', mode.toString(8), abs, ...kind]);
        break;
      }
      default:
        this.notes.push(`skipped entry ${JSON.stringify(h.name)} of unsupported tar type ${String(h.type)}`);
        return;
    }
    const pax = (h.pax ?? {}) as Record<string, string | undefined>;
    const uid = pax.uid !== undefined ? Number(pax.uid) : h.uid ?? 0;
    const gid = pax.gid !== undefined ? Number(pax.gid) : h.gid ?? 0;
    await fsp.lchown(abs, uid, gid);
    // chmod after chown: chown clears the setuid/setgid bits.
    if (h.type !== 'symlink') await fsp.chmod(abs, mode);
    const mtime = pax.mtime !== undefined ? Number(pax.mtime) : (h.mtime?.getTime() ?? 0) / 1000;
    if (h.type === 'directory') this.dirTimes.push({ abs, mtime });
    else await fsp.lutimes(abs, mtime, mtime);
    for (const [name, value] of xattrs) {
      if (name.startsWith('trusted.overlay.')) {
        this.notes.push(`dropped xattr ${name} on ${rel}: overlay attributes are set only by the unpacker`);
        continue;
      }
      this.addXattr(abs, name, value);
    }
  }

  private addXattr(abs: string, name: string, value: Buffer): void {
    const list = this.xattrs.get(abs) ?? [];
    list.push({ path: abs, name, value });
    this.xattrs.set(abs, list);
  }

  private async whiteout(rel: string, base: string): Promise<void> {
    const dirRel = parentOf(rel);
    const dirAbs = await this.ensureDir(dirRel);
    if (base === '.wh..wh..opq') {
      this.addXattr(dirAbs, 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    if (base.startsWith('.wh..wh.')) {
      this.notes.push(`ignored AUFS metadata entry ${rel}`);
      return;
    }
    const name = base.slice('.wh.'.length);
    if (name === '' || name === '.' || name === '..') throw new LayerUnpackError('invalid', `layer has an invalid whiteout entry ${JSON.stringify(rel)}`);
    const abs = path.join(dirAbs, name);
    // Anything already at this path came from this same layer and hides the lower entry anyway.
    if (await lstatOrUndefined(abs)) return;
    await this.linkWhiteout(abs);
  }

  private async linkWhiteout(abs: string): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (!this.whiteoutTemplate) {
        const tpl = `${this.target}.whiteout-${this.templates++}`;
        await fsp.rm(tpl, { force: true });
        await runTool('mknod', ['-m', '0', tpl, 'c', '0', '0']);
        this.whiteoutTemplate = tpl;
      }
      try {
        await fsp.link(this.whiteoutTemplate, abs);
        return;
      } catch (err) {
        if (errno(err) !== 'EMLINK') throw err;
        await fsp.rm(this.whiteoutTemplate, { force: true });
        this.whiteoutTemplate = undefined; // too many links: start a new template
      }
    }
  }

  /** Ensures the directory `rel` exists in the layer as a real directory; returns its path. */
  private async ensureDir(rel: string): Promise<string> {
    const abs = rel === '' ? this.target : path.join(this.target, rel);
    if (this.safeDirs.has(rel)) return abs;
    await this.ensureDir(parentOf(rel));
    const st = await lstatOrUndefined(abs);
    if (st?.isSymbolicLink()) throw new LayerUnpackError('invalid', `layer entry under ${JSON.stringify(rel)} would be written through a symlink`);
    if (st && !st.isDirectory()) throw new LayerUnpackError('invalid', `layer entry under ${JSON.stringify(rel)} needs a directory where the layer has a file`);
    if (!st) {
      const lower = await this.lowerDir(rel);
      await fsp.mkdir(abs, { mode: 0o700 });
      await fsp.lchown(abs, lower?.uid ?? 0, lower?.gid ?? 0);
      await fsp.chmod(abs, lower ? lower.mode & 0o7777 : 0o755);
      this.dirTimes.push({ abs, mtime: (lower?.mtimeMs ?? Date.now()) / 1000 });
    }
    this.safeDirs.add(rel);
    return abs;
  }

  /** The topmost lower entry at `rel` reached through real directories only (no symlinks). */
  private async lowerEntry(rel: string): Promise<{ root: string; st: Stats } | undefined> {
    const parts = rel.split('/');
    for (const root of this.parents) {
      let p = root;
      let st: Stats | undefined;
      for (let i = 0; i < parts.length; i++) {
        p = path.join(p, parts[i]);
        st = await lstatOrUndefined(p);
        if (!st || (i < parts.length - 1 && !st.isDirectory())) break;
      }
      if (st === undefined) continue; // absent here: look further down
      if (p !== path.join(root, rel) || isWhiteoutDevice(st)) return undefined; // hidden at this layer
      return { root, st };
    }
    return undefined;
  }

  private async lowerDir(rel: string): Promise<Stats | undefined> {
    const found = await this.lowerEntry(rel);
    return found?.st.isDirectory() ? found.st : undefined;
  }

  private async hardlink(rel: string, abs: string, linkname: string): Promise<void> {
    const targetRel = cleanEntryName(linkname);
    if (targetRel === '') throw new LayerUnpackError('invalid', `hard link ${JSON.stringify(rel)} points at the layer root`);
    const targetAbs = path.join(this.target, targetRel);
    let st: Stats | undefined;
    // The link target's directories must be real directories of this layer (no symlink hops).
    let dirsOk = true;
    for (let d = parentOf(targetRel); d !== ''; d = parentOf(d)) {
      const ds = await lstatOrUndefined(path.join(this.target, d));
      if (ds?.isSymbolicLink()) throw new LayerUnpackError('invalid', `hard link ${JSON.stringify(rel)} points through a symlink at ${JSON.stringify(d)}`);
      if (!ds?.isDirectory()) { dirsOk = false; break; }
    }
    if (dirsOk) st = await lstatOrUndefined(targetAbs);
    if (!st) await this.copyUp(targetRel, rel);
    else if (st.isDirectory()) throw new LayerUnpackError('invalid', `hard link ${JSON.stringify(rel)} points at directory ${JSON.stringify(linkname)}`);
    if (targetAbs === abs) return;
    await this.remove(rel, abs);
    await fsp.link(targetAbs, abs);
  }

  /** Copies a lower layer's file into this layer so a hard link can share its inode. */
  private async copyUp(targetRel: string, linkRel: string): Promise<void> {
    const found = await this.lowerEntry(targetRel);
    if (!found || !(found.st.isFile() || found.st.isSymbolicLink())) {
      throw new LayerUnpackError('invalid', `hard link ${JSON.stringify(linkRel)} points at ${JSON.stringify(targetRel)}, which is neither a file in this layer nor in the layers below`);
    }
    const src = path.join(found.root, targetRel);
    const dst = path.join(await this.ensureDir(parentOf(targetRel)), path.posix.basename(targetRel));
    if (found.st.isSymbolicLink()) await fsp.symlink(await fsp.readlink(src), dst);
    else await fsp.copyFile(src, dst, 1 /* COPYFILE_EXCL */);
    await fsp.lchown(dst, found.st.uid, found.st.gid);
    if (!found.st.isSymbolicLink()) await fsp.chmod(dst, found.st.mode & 0o7777);
    await fsp.lutimes(dst, found.st.mtime, found.st.mtime);
    this.notes.push(`copied ${targetRel} up from a lower layer for hard link ${linkRel}`);
  }

  /** Removes whatever this layer has at `rel` (a later entry replaces an earlier one). */
  private async remove(rel: string, abs: string): Promise<void> {
    const st = await lstatOrUndefined(abs);
    if (!st) return;
    if (st.isDirectory()) {
      await fsp.rm(abs, { recursive: true, force: true });
      for (const d of [...this.safeDirs]) if (d === rel || d.startsWith(rel + '/')) this.safeDirs.delete(d);
      for (const p of [...this.xattrs.keys()]) if (p === abs || p.startsWith(abs + '/')) this.xattrs.delete(p);
      // A symlink may take the directory's place: nothing may later be applied through it.
      this.dirTimes = this.dirTimes.filter((d) => d.abs !== abs && !d.abs.startsWith(abs + '/'));
    } else {
      await fsp.unlink(abs);
      this.xattrs.delete(abs);
    }
  }

  private async finish(): Promise<void> {
    const writes = [...this.xattrs.values()].flat();
    const failures = await setXattrs(writes);
    for (const f of failures) {
      if (f.name.startsWith('trusted.overlay.')) {
        throw new Error(`cannot mark ${f.path} opaque for overlayfs (xattr ${f.name}): ${f.reason}`);
      }
      this.notes.push(`could not set xattr ${f.name} on ${path.relative(this.target, f.path)}: ${f.reason}`);
    }
    // Deepest first: setting a child's times does not touch its parent's afterwards.
    // The last time recorded for a directory wins (its own entry after an implicit creation).
    const seen = new Set<string>();
    const times = [...this.dirTimes].reverse().filter((d) => !seen.has(d.abs) && seen.add(d.abs));
    times.sort((a, b) => b.abs.length - a.abs.length);
    for (const d of times) {
      if ((await lstatOrUndefined(d.abs))?.isDirectory()) await fsp.lutimes(d.abs, d.mtime, d.mtime);
    }
  }
}

/** Creates `abs` exclusively (never following a symlink) and writes the entry's data to it. */
async function writeNewFile(abs: string, data: AsyncIterable<Buffer>): Promise<void> {
  const fh = await fsp.open(abs, 'wx', 0o600);
  try {
    await writeInBatches(fh, data);
  } finally {
    await fh.close();
  }
}

async function drain(data: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of data) { /* discard */ }
}
