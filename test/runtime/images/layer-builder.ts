// Builds layer tars for the unpack/snapshot/rootfs/archive tests, byte by byte (ustar headers plus
// PAX records with raw binary values, as Go's archive/tar writes them), so tests control exactly
// what a layer contains: whiteouts, devices, xattrs, hostile names.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface EntryOpts {
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number; // seconds
  xattrs?: Record<string, Buffer | string>;
}

type TypeFlag = '0' | '1' | '2' | '3' | '4' | '5' | '6';

function field(buf: Buffer, off: number, len: number, value: string): void {
  buf.write(value.slice(0, len), off, len, 'utf8');
}
function octal(buf: Buffer, off: number, len: number, n: number): void {
  field(buf, off, len, n.toString(8).padStart(len - 1, '0') + '\0');
}

function header(name: string, type: TypeFlag, size: number, o: EntryOpts, linkname = '', dev: [number, number] = [0, 0]): Buffer {
  const h = Buffer.alloc(512);
  field(h, 0, 100, name);
  octal(h, 100, 8, o.mode ?? (type === '5' ? 0o755 : 0o644));
  octal(h, 108, 8, o.uid ?? 0);
  octal(h, 116, 8, o.gid ?? 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, o.mtime ?? 1_700_000_000);
  h.fill(0x20, 148, 156);
  h.write(type, 156);
  field(h, 157, 100, linkname);
  h.write('ustar\0' + '00', 257, 'latin1');
  octal(h, 329, 8, dev[0]);
  octal(h, 337, 8, dev[1]);
  let sum = 0;
  for (const b of h) sum += b;
  field(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

function pad(data: Buffer): Buffer[] {
  const rest = data.length % 512;
  return rest === 0 ? [data] : [data, Buffer.alloc(512 - rest)];
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

export class LayerBuilder {
  private readonly blocks: Buffer[] = [];

  private add(name: string, type: TypeFlag, data: Buffer, o: EntryOpts, linkname = '', dev?: [number, number]): this {
    const records: Buffer[] = [];
    for (const [k, v] of Object.entries(o.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.isBuffer(v) ? v : Buffer.from(v)));
    if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', Buffer.from(name)));
    if (records.length > 0) {
      const pax = Buffer.concat(records);
      this.blocks.push(header('PaxHeaders/' + name.slice(0, 80), 'x' as TypeFlag, pax.length, {}), ...pad(pax));
    }
    this.blocks.push(header(name, type, data.length, o, linkname, dev), ...pad(data));
    return this;
  }

  file(name: string, content: string | Buffer, o: EntryOpts = {}): this {
    return this.add(name, '0', Buffer.isBuffer(content) ? content : Buffer.from(content), o);
  }
  dir(name: string, o: EntryOpts = {}): this {
    return this.add(name.endsWith('/') ? name : name + '/', '5', Buffer.alloc(0), o);
  }
  symlink(name: string, target: string, o: EntryOpts = {}): this {
    return this.add(name, '2', Buffer.alloc(0), { mode: 0o777, ...o }, target);
  }
  hardlink(name: string, target: string): this {
    return this.add(name, '1', Buffer.alloc(0), {}, target);
  }
  charDevice(name: string, major: number, minor: number, o: EntryOpts = {}): this {
    return this.add(name, '3', Buffer.alloc(0), o, '', [major, minor]);
  }
  fifo(name: string, o: EntryOpts = {}): this {
    return this.add(name, '6', Buffer.alloc(0), o);
  }
  /** An OCI whiteout deleting `path` from the layers below. */
  whiteout(path: string): this {
    const i = path.lastIndexOf('/');
    return this.file(`${path.slice(0, i + 1)}.wh.${path.slice(i + 1)}`, '');
  }
  /** Marks `dir` opaque: nothing below it in lower layers shows. */
  opaque(dir: string): this {
    return this.file(`${dir}/.wh..wh..opq`, '');
  }

  tar(): Buffer {
    return Buffer.concat([...this.blocks, Buffer.alloc(1024)]);
  }
  gzip(): Buffer {
    return gzipSync(this.tar());
  }
}

export const layer = (): LayerBuilder => new LayerBuilder();

export function digest(bytes: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}
