// Decodes one Kubernetes protobuf message into the JSON object Go's encoding/json prints for the
// same Go value. The rules that make the output match upstream exactly:
//   - proto2 presence: Go writes every non-pointer field, so a zero non-pointer scalar is present on
//     the wire; it is printed only when the JSON tag lacks omitempty (`always`). Pointer fields are
//     written only when set, so a present pointer zero is kept (replicas: 0, storageClassName: "").
//   - messages present on the wire are printed, even empty ({}); Go prints non-pointer structs always.
//   - unset non-omitempty fields print as Go's zero value: null for pointers, slices, maps and times.
//   - embedded structs (`^name`) contribute their fields to the enclosing object.
//   - a message field seen twice is merged (the wire chunks are concatenated), a scalar's last
//     occurrence wins, and map entries with a repeated key keep the last value — as in Go.
//   - unknown field numbers are skipped; a known field with the wrong wire type is an error.

import { isVarintLeaf, lengthDelimitedLeaf, readVarintLeaf, stringOf, varintLeaf, zeroLeaf } from './leaf.js';
import { referencedDef, type FieldDef, type MessageDef } from './table.js';
import { forEachField, WireError, WireReader, WireType } from './wire.js';

/** Nesting deeper than any real object needs; guards the stack against hostile input. */
const maxDepth = 64;

/** A decoding failure with the JSON path of the field being read. */
export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    readonly reason: string,
    readonly path: string,
  ) {
    super(path ? `${reason} (at ${path})` : reason);
  }
}

export interface DecodeContext {
  /** Decodes a nested `k8s\x00` envelope found in a RawExtension. */
  nested: (raw: Uint8Array) => unknown;
}

/** Wire chunks of one field, in arrival order. */
type Collected = Map<number, { field: FieldDef; values: (Uint8Array | bigint)[] }>;

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

function collect(def: MessageDef, buf: Uint8Array, path: string): Collected {
  const out: Collected = new Map();
  forEachField(buf, (tag, r) => {
    const field = def.byNumber.get(tag.no);
    if (!field) {
      r.skip(tag.wire);
      return;
    }
    let entry = out.get(tag.no);
    if (!entry) out.set(tag.no, (entry = { field, values: [] }));
    const varintOk = field.card !== 'map' && field.leaf !== undefined && isVarintLeaf(field.leaf);
    if (tag.wire === WireType.varint && varintOk) entry.values.push(r.varint());
    else if (tag.wire === WireType.bytes && (!varintOk || field.card === 'repeated')) entry.values.push(r.bytes());
    else throw new DecodeError(`wrong wire type ${tag.wire} for field number ${tag.no}`, join(path, field.name));
  });
  return out;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** A single value of `field` from one wire occurrence (a varint or a length-delimited chunk). */
function single(field: FieldDef, chunk: Uint8Array | bigint, path: string, depth: number, ctx: DecodeContext): unknown {
  if (field.leaf) {
    if (typeof chunk === 'bigint') return varintLeaf(field.leaf, chunk);
    return lengthDelimitedLeaf(field.leaf, chunk, ctx.nested);
  }
  return decodeInto(referencedDef(field.message), chunk as Uint8Array, path, depth + 1, ctx);
}

function repeated(field: FieldDef, values: (Uint8Array | bigint)[], path: string, depth: number, ctx: DecodeContext): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if (field.leaf && isVarintLeaf(field.leaf) && v instanceof Uint8Array) {
      // Packed encoding: a run of varints in one length-delimited chunk.
      const r = new WireReader(v);
      while (!r.done) out.push(readVarintLeaf(field.leaf, r));
    } else {
      out.push(single(field, v, `${path}[${out.length}]`, depth, ctx));
    }
  }
  return out;
}

function mapEntries(field: FieldDef, values: (Uint8Array | bigint)[], path: string, depth: number, ctx: DecodeContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    let key = '';
    const valueChunks: Uint8Array[] = [];
    let valueVarint: bigint | undefined;
    forEachField(v as Uint8Array, (tag, r) => {
      if (tag.no === 1 && tag.wire === WireType.bytes) key = stringOf(r.bytes());
      else if (tag.no === 2 && tag.wire === WireType.bytes) valueChunks.push(r.bytes());
      else if (tag.no === 2 && tag.wire === WireType.varint) valueVarint = r.varint();
      else if (tag.no === 1 || tag.no === 2) throw new DecodeError(`wrong wire type ${tag.wire} in a map entry`, path);
      else r.skip(tag.wire);
    });
    const at = `${path}[${JSON.stringify(key)}]`;
    const varintValue = field.leaf !== undefined && isVarintLeaf(field.leaf);
    if ((valueVarint !== undefined && !varintValue) || (valueChunks.length > 0 && varintValue)) throw new DecodeError('wrong wire type for a map value', at);
    let value: unknown;
    if (valueVarint !== undefined && field.leaf) value = varintLeaf(field.leaf, valueVarint);
    else if (valueChunks.length > 0) value = single(field, field.message ? concat(valueChunks) : valueChunks[valueChunks.length - 1]!, at, depth, ctx);
    else value = field.leaf ? zeroLeaf(field.leaf) : {};
    // Define rather than assign: a key named "__proto__" must stay an ordinary property.
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function valueOf(field: FieldDef, values: (Uint8Array | bigint)[], path: string, depth: number, ctx: DecodeContext): { value: unknown } | undefined {
  if (field.card === 'repeated') {
    const list = repeated(field, values, path, depth, ctx);
    return list.length > 0 ? { value: list } : undefined;
  }
  if (field.card === 'map') return { value: mapEntries(field, values, path, depth, ctx) };
  // Messages merge across occurrences; Quantity and Time replace (their Go Unmarshal is custom).
  const mergeable = field.message !== undefined || field.leaf === 'intstr' || field.leaf === 'raw' || field.leaf === 'fieldsv1';
  const chunk = mergeable ? concat(values as Uint8Array[]) : values[values.length - 1]!;
  const value = single(field, chunk, path, depth, ctx);
  const scalar = field.leaf === 's' || field.leaf === 'i32' || field.leaf === 'i64' || field.leaf === 'b' || field.leaf === 'bytes';
  if (scalar && !field.pointer && !field.always && isZeroScalar(value)) return undefined;
  return { value };
}

/** Go's JSON for a non-omitempty field that was not sent. */
function absentValue(field: FieldDef): unknown {
  if (field.pointer || field.card !== 'single' || field.message) return null;
  return field.leaf ? zeroLeaf(field.leaf) : null;
}

function decodeInto(def: MessageDef, buf: Uint8Array, path: string, depth: number, ctx: DecodeContext, out: Record<string, unknown> = {}): Record<string, unknown> {
  if (depth > maxDepth) throw new DecodeError(`objects nest deeper than ${maxDepth} levels`, path);
  const collected = located(path, () => collect(def, buf, path));
  for (const field of def.fields) {
    const got = collected.get(field.no);
    if (field.inline) {
      // Absent embedded structs still contribute their non-omitempty zero fields, as in Go.
      decodeInto(referencedDef(field.message), got ? concat(got.values as Uint8Array[]) : new Uint8Array(0), path, depth + 1, ctx, out);
      continue;
    }
    const at = join(path, field.name);
    if (got) {
      const v = located(at, () => valueOf(field, got.values, at, depth, ctx));
      if (v) out[field.name] = v.value;
      else if (field.always) out[field.name] = absentValue(field);
    } else if (field.always) {
      out[field.name] = absentValue(field);
    }
  }
  return out;
}

/** Runs `f`, attaching `path` to wire-level errors raised directly inside it. */
function located<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof WireError) throw new DecodeError(e.message, path);
    throw e;
  }
}

/** Decodes `buf` as message `def`; failures are DecodeErrors naming the JSON path. */
export function decodeMessage(def: MessageDef, buf: Uint8Array, ctx: DecodeContext): Record<string, unknown> {
  return located('', () => decodeInto(def, buf, '', 0, ctx));
}
