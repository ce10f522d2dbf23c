// SPDY/3 name/value header blocks (draft 3, section 2.6.10) and their compression.
//
// A block is: the number of pairs (uint32 BE), then per pair the name's length and bytes and the
// value's length and bytes; names are lowercase and unique, and several values of one name are
// joined with NUL. Blocks are zlib-compressed with the SPDY/3 dictionary, and all blocks a peer
// sends on a connection form ONE zlib stream (each block ends with a sync flush), so each
// direction keeps one compression context for the life of the connection and blocks must be
// (de)compressed in the order they are sent and received.

import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError, uint32s } from './frames.js';

/** Header names (lowercase) to their values. */
export type SpdyHeaders = Record<string, string[]>;

/** Headers as callers give them: one value or several per name, names in any case. */
export type HeaderInput = Readonly<Record<string, string | readonly string[]>>;

/** A decompressed block larger than this is refused (a compression bomb, not headers). */
export const MAX_HEADER_BLOCK = 256 * 1024;

/** The first value of `name` (case-insensitive), or undefined. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}

/** The headers as the wire carries them: names lowercased (as the spec requires), names that differ only in case merged, values as lists. */
export function normalizeHeaders(headers: HeaderInput): Map<string, string[]> {
  const merged = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    merged.set(key, [...(merged.get(key) ?? []), ...(typeof value === 'string' ? [value] : value)]);
  }
  return merged;
}

/** Builds a block from names and values (normalized first); throws on an empty name. */
export function encodeHeaderBlock(headers: HeaderInput): Buffer {
  const merged = normalizeHeaders(headers);
  if (merged.has('')) throw new SpdyProtocolError('a SPDY header name cannot be empty');
  const parts: Buffer[] = [uint32s(merged.size)];
  for (const [name, values] of merged) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(uint32s(n.length), n, uint32s(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Parses a decompressed block; throws SpdyProtocolError when it is truncated or malformed. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let off = 0;
  const take = (what: string): Buffer => {
    if (block.length < off + 4) throw new SpdyProtocolError(`truncated SPDY header block: no room for the ${what} length at byte ${off}`);
    const len = block.readUInt32BE(off);
    off += 4;
    if (block.length < off + len) throw new SpdyProtocolError(`truncated SPDY header block: ${what} of ${len} bytes at byte ${off} runs past the end (${block.length})`);
    const out = block.subarray(off, off + len);
    off += len;
    return out;
  };
  if (block.length < 4) throw new SpdyProtocolError(`truncated SPDY header block: ${block.length} bytes, need at least 4`);
  const count = block.readUInt32BE(0);
  off = 4;
  // Each pair takes at least 8 bytes: a bigger count is a lie, not a reason to loop.
  if (count > (block.length - 4) / 8) throw new SpdyProtocolError(`SPDY header block claims ${count} pairs in ${block.length} bytes`);
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = take('name').toString('utf8');
    const value = take('value').toString('utf8');
    if (name === '') throw new SpdyProtocolError('SPDY header block has an empty name');
    if (name !== name.toLowerCase()) throw new SpdyProtocolError(`SPDY header name ${JSON.stringify(name)} is not lowercase`);
    if (Object.hasOwn(headers, name)) throw new SpdyProtocolError(`SPDY header block repeats the name ${JSON.stringify(name)}`);
    headers[name] = value.split('\0');
  }
  if (off !== block.length) throw new SpdyProtocolError(`SPDY header block has ${block.length - off} bytes after its last pair`);
  return headers;
}

/**
 * One direction's zlib context: `run` feeds input and sync-flushes, resolving with everything
 * that came out. Calls must not overlap (the connection serialises them). After a failure
 * (corrupt input, output over the limit) the context is dead and every later call rejects.
 */
class ZlibContext {
  private out: Buffer[] = [];
  private size = 0;
  private failure: Error | undefined;
  private pending: ((err?: Error) => void) | undefined;

  constructor(
    private readonly z: Deflate | Inflate,
    private readonly what: string,
    private readonly limit: number,
  ) {
    z.on('data', (chunk: Buffer) => {
      this.out.push(chunk);
      this.size += chunk.length;
      if (this.size > this.limit) this.fail(new SpdyProtocolError(`${what} produced more than ${limit} bytes for one header block`));
    });
    z.on('error', (err: Error) => this.fail(new SpdyProtocolError(`${what} failed: ${err.message}`)));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.z.destroy();
    this.pending?.(err);
  }

  run(input: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.out = [];
      this.size = 0;
      this.pending = (err) => {
        this.pending = undefined;
        if (err) return reject(err);
        let rest: Buffer | null;
        while ((rest = this.z.read() as Buffer | null) !== null) this.out.push(rest);
        resolve(Buffer.concat(this.out));
      };
      this.z.write(input);
      this.z.flush(constants.Z_SYNC_FLUSH, () => this.pending?.(this.failure));
    });
  }

  close(): void {
    if (!this.failure) this.failure = new Error(`${this.what} is closed`);
    this.z.destroy();
  }
}

/** Compresses the blocks this side sends, in order, in one zlib stream. */
export class HeaderCompressor {
  private readonly ctx = new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY }), 'SPDY header compression', Number.MAX_SAFE_INTEGER);

  compress(headers: HeaderInput): Promise<Buffer> {
    return this.ctx.run(encodeHeaderBlock(headers));
  }

  close(): void {
    this.ctx.close();
  }
}

/** Decompresses the blocks the peer sends, in the order received. */
export class HeaderDecompressor {
  private readonly ctx = new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY }), 'SPDY header decompression', MAX_HEADER_BLOCK);

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await this.ctx.run(block));
  }

  close(): void {
    this.ctx.close();
  }
}
