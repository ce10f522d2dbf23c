// JSON forms of the leaf types: wire scalars and the apimachinery types that Go marshals specially
// (metav1.Time, MicroTime, Duration, resource.Quantity, intstr.IntOrString, RawExtension,
// FieldsV1). Each function takes the field's raw wire value and returns what Go's encoding/json
// prints for the decoded Go value; impossible values raise WireError (a 400 to the caller).

import { forEachField, WireError, WireType, type WireReader } from './wire.js';
import type { LeafType } from './table.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** Seconds of 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: Go's JSON time range. */
const minJsonSeconds = -62167219200n;
const maxJsonSeconds = 253402300800n;
/** Go's zero time.Time (0001-01-01T00:00:00Z), which marshals as null. */
const goZeroSeconds = -62135596800n;

export function int32Of(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

export function int64Of(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

export function stringOf(b: Uint8Array): string {
  return utf8.decode(b);
}

/** `{seconds, nanos}` of a Timestamp-shaped message; absent fields are zero. */
function timestamp(b: Uint8Array): { seconds: bigint; nanos: bigint } {
  let seconds = 0n;
  let nanos = 0n;
  forEachField(b, (tag, r) => {
    if (tag.no === 1 && tag.wire === WireType.varint) seconds = BigInt.asIntN(64, r.varint());
    else if (tag.no === 2 && tag.wire === WireType.varint) nanos = BigInt.asIntN(32, r.varint());
    else if (tag.no === 1 || tag.no === 2) throw new WireError(`wrong wire type ${tag.wire} in a timestamp`);
    else r.skip(tag.wire);
  });
  return { seconds, nanos };
}

function isoSeconds(seconds: bigint): string {
  if (seconds < minJsonSeconds || seconds >= maxJsonSeconds) throw new WireError(`time ${seconds}s is outside the years 0 to 9999`);
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
}

/** metav1.Time: whole seconds (upstream drops nanos on decode), RFC 3339, null when zero. */
export function timeJson(b: Uint8Array): string | null {
  if (b.length === 0) return null;
  const { seconds } = timestamp(b);
  if (seconds === goZeroSeconds) return null;
  return isoSeconds(seconds) + 'Z';
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, null when zero. */
export function microTimeJson(b: Uint8Array): string | null {
  if (b.length === 0) return null;
  const t = timestamp(b);
  const total = t.seconds * 1_000_000_000n + t.nanos;
  let seconds = total / 1_000_000_000n;
  let nanos = total % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    seconds -= 1n;
  }
  if (seconds === goZeroSeconds && nanos === 0n) return null;
  return `${isoSeconds(seconds)}.${String(nanos / 1000n).padStart(6, '0')}Z`;
}

const durationUnits: [bigint, string][] = [
  [3_600_000_000_000n, 'h'],
  [60_000_000_000n, 'm'],
];

/** Go's time.Duration.String(): `1h2m3.5s`, `1.5ms`, `0s`. */
export function goDurationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  const frac = (v: bigint, digits: number): string => {
    const s = v.toString().padStart(digits, '0').replace(/0+$/, '');
    return s ? '.' + s : '';
  };
  if (u < 1_000_000_000n) {
    const [unit, scale, digits] = u < 1000n ? ['ns', 1n, 0] : u < 1_000_000n ? ['µs', 1000n, 3] : ['ms', 1_000_000n, 6];
    out = (u / scale).toString() + (digits ? frac(u % scale, digits) : '') + unit;
  } else {
    out = '';
    for (const [scale, unit] of durationUnits) {
      if (u >= scale || out) {
        out += (u / scale).toString() + unit;
        u %= scale;
      }
    }
    out += (u / 1_000_000_000n).toString() + frac(u % 1_000_000_000n, 9) + 's';
  }
  return neg ? '-' + out : out;
}

/** metav1.Duration: `{duration: int64 nanoseconds}` printed as a Go duration string. */
export function durationJson(b: Uint8Array): string {
  let ns = 0n;
  forEachField(b, (tag, r) => {
    if (tag.no === 1 && tag.wire === WireType.varint) ns = BigInt.asIntN(64, r.varint());
    else r.skip(tag.wire);
  });
  return goDurationString(ns);
}

/** resource.Quantity: `{string}`; a zero Quantity prints as "0". */
export function quantityJson(b: Uint8Array): string {
  let s = '0';
  forEachField(b, (tag, r) => {
    if (tag.no === 1 && tag.wire === WireType.bytes) s = stringOf(r.bytes());
    else r.skip(tag.wire);
  });
  return s;
}

/** intstr.IntOrString: `{type, intVal, strVal}` printed as the number or the string. */
export function intOrStringJson(b: Uint8Array): number | string {
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  forEachField(b, (tag, r) => {
    if (tag.no === 1 && tag.wire === WireType.varint) type = BigInt.asIntN(64, r.varint());
    else if (tag.no === 2 && tag.wire === WireType.varint) intVal = int32Of(r.varint());
    else if (tag.no === 3 && tag.wire === WireType.bytes) strVal = stringOf(r.bytes());
    else r.skip(tag.wire);
  });
  if (type === 0n) return intVal;
  if (type === 1n) return strVal;
  throw new WireError(`IntOrString has impossible type ${type}`);
}

/**
 * RawExtension / FieldsV1: `{raw bytes}` holding JSON (or, for RawExtension, a nested
 * `k8s\x00` protobuf object, which `nested` decodes). Absent or empty prints as null.
 */
export function embeddedJson(b: Uint8Array, nested: (raw: Uint8Array) => unknown): unknown {
  let raw: Uint8Array | undefined;
  forEachField(b, (tag, r) => {
    if (tag.no === 1 && tag.wire === WireType.bytes) raw = r.bytes();
    else r.skip(tag.wire);
  });
  if (!raw || raw.length === 0) return null;
  if (raw.length >= 4 && raw[0] === 0x6b && raw[1] === 0x38 && raw[2] === 0x73 && raw[3] === 0x00) return nested(raw);
  try {
    return JSON.parse(stringOf(raw)) as unknown;
  } catch {
    throw new WireError('embedded object is neither JSON nor Kubernetes protobuf');
  }
}

/** The JSON value of a leaf carried in a length-delimited field. */
export function lengthDelimitedLeaf(leaf: LeafType, b: Uint8Array, nested: (raw: Uint8Array) => unknown): unknown {
  switch (leaf) {
    case 's':
      return stringOf(b);
    case 'bytes':
      return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64');
    case 'time':
      return timeJson(b);
    case 'microtime':
      return microTimeJson(b);
    case 'duration':
      return durationJson(b);
    case 'quantity':
      return quantityJson(b);
    case 'intstr':
      return intOrStringJson(b);
    case 'raw':
    case 'fieldsv1':
      return embeddedJson(b, nested);
    default:
      throw new WireError(`a ${leaf} cannot be length-delimited`);
  }
}

/** The JSON value of a varint leaf (int32, int64, bool). */
export function varintLeaf(leaf: LeafType, v: bigint): number | boolean {
  if (leaf === 'i32') return int32Of(v);
  if (leaf === 'i64') return int64Of(v);
  return v !== 0n;
}

/** Reads one varint-typed value. */
export function readVarintLeaf(leaf: LeafType, r: WireReader): number | boolean {
  return varintLeaf(leaf, r.varint());
}

export function isVarintLeaf(leaf: LeafType): boolean {
  return leaf === 'i32' || leaf === 'i64' || leaf === 'b';
}

/** Go's zero value of a leaf, as JSON (for non-omitempty fields that were not sent). */
export function zeroLeaf(leaf: LeafType): unknown {
  switch (leaf) {
    case 's':
    case 'bytes':
      return '';
    case 'i32':
    case 'i64':
    case 'intstr':
      return 0;
    case 'b':
      return false;
    case 'quantity':
      return '0';
    case 'duration':
      return '0s';
    default:
      return null;
  }
}
