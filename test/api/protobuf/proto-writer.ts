// Test-only protobuf writer: builds messages field by field (nested messages via callbacks) and wraps
// objects in the Kubernetes `k8s\x00` + runtime.Unknown envelope, so tests can hand-encode bodies.

export class Msg {
  private readonly parts: Buffer[] = [];

  private static varintBytes(v: bigint): Buffer {
    let u = BigInt.asUintN(64, v);
    const out: number[] = [];
    while (u > 0x7fn) {
      out.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    out.push(Number(u));
    return Buffer.from(out);
  }

  private tag(no: number, wire: number): this {
    this.parts.push(Msg.varintBytes(BigInt(no * 8 + wire)));
    return this;
  }

  /** A varint field (int32, int64, bool, enum); negative numbers use 10 bytes, as Go writes them. */
  varint(no: number, v: number | bigint | boolean): this {
    const n = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
    this.tag(no, 0);
    this.parts.push(Msg.varintBytes(n));
    return this;
  }

  bytes(no: number, b: Uint8Array | string): this {
    const buf = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
    this.tag(no, 2);
    this.parts.push(Msg.varintBytes(BigInt(buf.length)), buf);
    return this;
  }

  string(no: number, s: string): this {
    return this.bytes(no, s);
  }

  /** A nested message; written even when empty, as Go writes non-pointer structs. */
  msg(no: number, build: (m: Msg) => void = () => {}): this {
    const m = new Msg();
    build(m);
    return this.bytes(no, m.finish());
  }

  /** A map<string, string|bytes> entry. */
  entry(no: number, key: string, value: string | Uint8Array): this {
    return this.msg(no, (e) => e.string(1, key).bytes(2, value));
  }

  /** A map<string, message> entry. */
  entryMsg(no: number, key: string, value: (m: Msg) => void): this {
    return this.msg(no, (e) => e.string(1, key).msg(2, value));
  }

  /** Raw bytes appended as-is (for malformed-input tests). */
  raw(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function message(build: (m: Msg) => void): Buffer {
  const m = new Msg();
  build(m);
  return m.finish();
}

/** The Kubernetes protobuf body for an object of `apiVersion`/`kind` whose message is `raw`. */
export function envelope(apiVersion: string, kind: string, raw: Uint8Array, extra: (m: Msg) => void = () => {}): Buffer {
  const unknown = message((m) => {
    m.msg(1, (t) => t.string(1, apiVersion).string(2, kind)).bytes(2, raw);
    extra(m);
  });
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}

/** ObjectMeta as Go writes it for a new object: name, namespace and the empty creationTimestamp. */
export function objectMeta(m: Msg, name: string, namespace = '', labels: Record<string, string> = {}): void {
  m.string(1, name).string(2, '').string(3, namespace).string(4, '').string(5, '').string(6, '').varint(7, 0).msg(8);
  for (const [k, v] of Object.entries(labels)) m.entry(11, k, v);
}

/** metav1.Time / MicroTime message. */
export function timestamp(seconds: number | bigint, nanos = 0): (m: Msg) => void {
  return (m) => {
    m.varint(1, seconds);
    if (nanos) m.varint(2, nanos);
  };
}
