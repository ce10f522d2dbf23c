// Protocol-buffers wire format, read side: tags, varints, fixed-width and length-delimited values.
// Every read is bounds-checked; malformed input raises WireError (the caller turns it into a 400),
// never a RangeError or an out-of-bounds read.

export class WireError extends Error {
  override name = 'WireError';
}

export const WireType = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

export interface Tag {
  no: number;
  wire: number;
}

export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as an unsigned 64-bit value (callers reinterpret it as int32/int64/bool). */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new WireError(`truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      // Like Go, bits beyond the 64th in a 10th byte are dropped rather than rejected.
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** A varint that must fit a non-negative JS number (tags and lengths). */
  private smallVarint(what: string): number {
    const start = this.pos;
    const v = this.varint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`${what} too large at byte ${start}`);
    return Number(v);
  }

  tag(): Tag {
    const start = this.pos;
    const key = this.smallVarint('field tag');
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (no < 1 || no > 536870911) throw new WireError(`illegal field number ${no} at byte ${start}`);
    return { no, wire };
  }

  bytes(): Uint8Array {
    const start = this.pos;
    const len = this.smallVarint('length');
    if (len > this.buf.length - this.pos) throw new WireError(`length ${len} at byte ${start} runs past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  private fixed(n: number): void {
    if (this.buf.length - this.pos < n) throw new WireError(`truncated ${n * 8}-bit value at byte ${this.pos}`);
    this.pos += n;
  }

  /** Skips a field the schema does not know, as Go's generated code does. */
  skip(wire: number): void {
    switch (wire) {
      case WireType.varint:
        this.varint();
        return;
      case WireType.fixed64:
        this.fixed(8);
        return;
      case WireType.bytes:
        this.bytes();
        return;
      case WireType.fixed32:
        this.fixed(4);
        return;
      default:
        throw new WireError(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }
}

/** Reads every field of a message: calls `each` per occurrence, with a reader positioned at its value. */
export function forEachField(buf: Uint8Array, each: (tag: Tag, r: WireReader) => void): void {
  const r = new WireReader(buf);
  while (!r.done) each(r.tag(), r);
}
