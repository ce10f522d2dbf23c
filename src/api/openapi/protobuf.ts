// A minimal protocol-buffers writer: enough to encode the gnostic `openapi.v2.Document` message
// that kubectl 1.27 and older fetch from /openapi/v2. Messages are built bottom-up: a nested
// message is finished (its bytes known) before it is written into its parent.

export class ProtoWriter {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  private varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.push(Buffer.from(bytes));
  }

  private tag(field: number, wireType: 0 | 2): void {
    this.varint(field * 8 + wireType);
  }

  string(field: number, s: string | undefined): this {
    if (s === undefined || s === '') return this;
    const b = Buffer.from(s, 'utf8');
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  strings(field: number, list: readonly string[] | undefined): this {
    for (const s of list ?? []) {
      const b = Buffer.from(s, 'utf8');
      this.tag(field, 2);
      this.varint(b.length);
      this.push(b);
    }
    return this;
  }

  bool(field: number, v: boolean | undefined): this {
    if (!v) return this;
    this.tag(field, 0);
    this.varint(1);
    return this;
  }

  /** A nested message; written even when empty, since presence can matter (oneof members). */
  message(field: number, m: ProtoWriter): this {
    const b = m.finish();
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}
