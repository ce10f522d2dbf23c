// Extended attributes for layer unpacking.
//
// Reading them from tar: layers carry xattrs as PAX records `SCHILY.xattr.<name>=<raw bytes>`
// (Go's archive/tar, used by Docker, BuildKit and containerd) or `LIBARCHIVE.xattr.<urlencoded
// name>=<base64>` (bsdtar). tar-stream decodes PAX values as UTF-8, which corrupts binary values
// such as `security.capability`, so PaxXattrScanner reads the raw PAX records from the byte stream
// itself (a pass-through Transform in front of tar-stream) and queues one xattr set per archive
// entry, in archive order; the unpacker takes one set per entry tar-stream yields.
//
// Writing them: Node has no xattr API. We use `setfattr` (Debian package `attr`) when it is
// installed, else Debian's `python3` (os.setxattr), batching all of a layer's xattrs into one
// spawn. Neither is needed for layers without xattrs or opaque directories.
import { Transform, type TransformCallback } from 'node:stream';
import { access } from 'node:fs/promises';
import { runTool } from '../mount.js';

export type XattrSet = Map<string, Buffer>;

const BLOCK = 512;

function parseOctalOrBinary(field: Buffer): number {
  // GNU base-256 encoding for large values: high bit of the first byte set.
  if (field[0] & 0x80) {
    let v = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i];
    return v;
  }
  const s = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** Parses PAX records (`<len> <key>=<value>\n`) keeping values as raw bytes. */
export function parsePaxRecords(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(buf.toString('latin1', off, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.toString('utf8', 0, eq), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

/** Extracts xattrs from one entry's PAX records. */
export function xattrsFromPax(records: Map<string, Buffer>): XattrSet {
  const xattrs: XattrSet = new Map();
  for (const [key, value] of records) {
    if (key.startsWith('SCHILY.xattr.')) xattrs.set(key.slice('SCHILY.xattr.'.length), value);
    else if (key.startsWith('LIBARCHIVE.xattr.')) {
      xattrs.set(decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value.toString('latin1'), 'base64'));
    }
  }
  return xattrs;
}

/**
 * Pass-through that follows the tar block structure and records, for every entry that tar-stream
 * will emit (every header that is not a PAX or GNU long-name meta header), the xattrs from the
 * PAX header preceding it. Contract: `next()` is called once per entry tar-stream yields, in
 * order; since this stream sits before tar-stream, the entry's set is always already queued.
 */
export class PaxXattrScanner extends Transform {
  private pending = Buffer.alloc(0);
  private skip = 0; // bytes of entry data (plus padding) still to pass unparsed
  private paxWanted = 0; // bytes of the current PAX header's data still to collect
  private paxChunks: Buffer[] = [];
  private paxSize: number | undefined; // `size` record overriding the next header's size
  private paxXattrs: XattrSet | undefined;
  private readonly queue: XattrSet[] = [];
  private readonly empty: XattrSet = new Map();

  next(): XattrSet {
    return this.queue.shift() ?? this.empty;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.push(chunk);
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length > 0) {
      if (this.paxWanted > 0) {
        const take = Math.min(this.paxWanted, buf.length);
        this.paxChunks.push(buf.subarray(0, take));
        this.paxWanted -= take;
        buf = buf.subarray(take);
        if (this.paxWanted === 0) this.finishPax();
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, buf.length);
        this.skip -= take;
        buf = buf.subarray(take);
        continue;
      }
      if (buf.length < BLOCK) break;
      this.header(buf.subarray(0, BLOCK));
      buf = buf.subarray(BLOCK);
    }
    this.pending = Buffer.from(buf);
    cb();
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) return; // end-of-archive blocks
    const type = String.fromCharCode(h[156]);
    let size = parseOctalOrBinary(h.subarray(124, 136));
    const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;
    if (type === 'x') {
      this.paxWanted = size;
      this.paxChunks = [];
      this.skip = padded(size) - size;
      if (size === 0) this.finishPax();
      return;
    }
    if (type === 'g' || type === 'L' || type === 'K' || type === 'N') {
      this.skip = padded(size);
      return;
    }
    if (this.paxSize !== undefined) size = this.paxSize;
    this.queue.push(this.paxXattrs ?? this.empty);
    this.paxXattrs = undefined;
    this.paxSize = undefined;
    // Entries whose data tar-stream skips still occupy blocks (directories normally have size 0).
    this.skip = padded(size);
  }

  private finishPax(): void {
    const records = parsePaxRecords(Buffer.concat(this.paxChunks));
    this.paxChunks = [];
    const size = records.get('size');
    this.paxSize = size ? parseInt(size.toString('latin1'), 10) : undefined;
    const xattrs = xattrsFromPax(records);
    this.paxXattrs = xattrs.size > 0 ? xattrs : undefined;
  }
}

export interface XattrWrite {
  path: string;
  name: string;
  value: Buffer;
}

let toolChoice: Promise<'setfattr' | 'python3' | undefined> | undefined;

async function executable(p: string): Promise<boolean> {
  try {
    await access(p, 1);
    return true;
  } catch {
    return false;
  }
}

function chooseTool(): Promise<'setfattr' | 'python3' | undefined> {
  toolChoice ??= (async () => {
    for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) if (await executable(`${dir}/setfattr`)) return 'setfattr';
    for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) if (await executable(`${dir}/python3`)) return 'python3';
    return undefined;
  })();
  return toolChoice;
}

// Reads JSON [[path, name, hexValue], ...] on stdin; sets each without following symlinks; prints
// one JSON error per failed write so the caller decides which failures matter.
const PY_SET = `import json, os, sys
for p, n, v in json.load(sys.stdin):
    try:
        os.setxattr(p, n, bytes.fromhex(v), follow_symlinks=False)
    except OSError as e:
        print(json.dumps([p, n, e.strerror]))
`;

/** A write that failed, with the OS reason. */
export interface XattrFailure extends XattrWrite {
  reason: string;
}

/** Sets xattrs (not following symlinks); returns the writes that failed instead of throwing. */
export async function setXattrs(writes: readonly XattrWrite[]): Promise<XattrFailure[]> {
  if (writes.length === 0) return [];
  const tool = await chooseTool();
  if (tool === undefined) {
    throw new Error('cannot set extended attributes: neither setfattr (Debian package attr) nor python3 is installed');
  }
  const failures: XattrFailure[] = [];
  if (tool === 'python3') {
    const input = JSON.stringify(writes.map((w) => [w.path, w.name, w.value.toString('hex')]));
    const { stdout } = await runTool('python3', ['-c', PY_SET], { input });
    for (const line of stdout.split('\n')) {
      if (line.trim() === '') continue;
      const [p, n, reason] = JSON.parse(line) as [string, string, string];
      const w = writes.find((x) => x.path === p && x.name === n);
      if (w) failures.push({ ...w, reason });
    }
    return failures;
  }
  for (const w of writes) {
    try {
      await runTool('setfattr', ['-h', '-n', w.name, '-v', '0x' + w.value.toString('hex'), w.path]);
    } catch (err) {
      failures.push({ ...w, reason: (err as Error).message });
    }
  }
  return failures;
}

const PY_GET = `import os, sys
try:
    sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())
except OSError as e:
    if e.errno != 61: raise
`;

/** Reads one xattr (not following symlinks); undefined when absent. For tests and diagnostics. */
export async function getXattr(path: string, name: string): Promise<Buffer | undefined> {
  const tool = await chooseTool();
  if (tool === 'setfattr') {
    try {
      const { stdout } = await runTool('getfattr', ['-h', '-e', 'hex', '-n', name, path]);
      const m = /=0x([0-9a-f]*)\s*$/m.exec(stdout);
      return m ? Buffer.from(m[1], 'hex') : Buffer.alloc(0);
    } catch (err) {
      if (/No such attribute/.test((err as Error).message)) return undefined;
      throw err;
    }
  }
  if (tool === undefined) throw new Error('cannot read extended attributes: neither getfattr nor python3 is installed');
  const { stdout } = await runTool('python3', ['-c', PY_GET, path, name]);
  return stdout === '' ? undefined : Buffer.from(stdout, 'hex');
}
