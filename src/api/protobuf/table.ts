// Parses the compact wire-schema table (schema.ts) into message definitions the decoder walks.
// Parsing happens once, on first use; a malformed entry throws at that point (a programming error
// in the table, caught by the unit tests), never while decoding a request.

import { messageTable, topLevelKinds } from './schema.js';

/** Leaf types: wire scalars and the apimachinery types with their own JSON forms. */
export type LeafType = 's' | 'i32' | 'i64' | 'b' | 'bytes' | 'time' | 'microtime' | 'quantity' | 'intstr' | 'raw' | 'fieldsv1' | 'duration';

const leafTypes: ReadonlySet<string> = new Set<LeafType>(['s', 'i32', 'i64', 'b', 'bytes', 'time', 'microtime', 'quantity', 'intstr', 'raw', 'fieldsv1', 'duration']);

export interface FieldDef {
  /** The JSON name; for an embedded (inlined) struct, the proto field name. */
  readonly name: string;
  readonly no: number;
  readonly card: 'single' | 'repeated' | 'map';
  /** Exactly one of leaf / message is set. For maps this is the value type (keys are strings). */
  readonly leaf?: LeafType;
  /** Short name (`core.v1.PodSpec`) of the message type. */
  readonly message?: string;
  /** A Go pointer: presence on the wire is kept even for zero values. */
  readonly pointer: boolean;
  /** The JSON tag has no omitempty: Go prints the zero value (or null) when unset. */
  readonly always: boolean;
  /** A Go-embedded struct whose fields appear directly in this object's JSON. */
  readonly inline: boolean;
}

export interface MessageDef {
  readonly name: string;
  /** In Go declaration order, which is the JSON output order. */
  readonly fields: readonly FieldDef[];
  readonly byNumber: ReadonlyMap<number, FieldDef>;
}

let parsed: Map<string, MessageDef> | undefined;

function parseField(spec: string, owner: string): FieldDef {
  const m = /^(\^?)([A-Za-z0-9]+)=(\d+):(\[\]|\{\})?(\*)?([@A-Za-z0-9.]+)(!?)$/.exec(spec);
  if (!m) throw new Error(`protobuf table: bad field "${spec}" in ${owner}`);
  const [, inline, name, no, card, pointer, base, always] = m as unknown as [string, string, string, string, string | undefined, string | undefined, string, string];
  const group = owner.slice(0, owner.lastIndexOf('.') + 1);
  const isLeaf = leafTypes.has(base);
  return {
    name,
    no: Number(no),
    card: card === '[]' ? 'repeated' : card === '{}' ? 'map' : 'single',
    ...(isLeaf ? { leaf: base as LeafType } : { message: base.startsWith('@') ? group + base.slice(1) : base }),
    pointer: pointer === '*',
    always: always === '!',
    inline: inline === '^',
  };
}

function parseAll(): Map<string, MessageDef> {
  const out = new Map<string, MessageDef>();
  const aliases: [string, string][] = [];
  for (const [name, body] of Object.entries(messageTable)) {
    if (body.startsWith('=')) {
      aliases.push([name, body.slice(1)]);
      continue;
    }
    const fields = body.split(' ').map((f) => parseField(f, name));
    const byNumber = new Map<number, FieldDef>();
    for (const f of fields) {
      if (byNumber.has(f.no)) throw new Error(`protobuf table: ${name} repeats field number ${f.no}`);
      byNumber.set(f.no, f);
    }
    out.set(name, { name, fields, byNumber });
  }
  for (const [name, target] of aliases) {
    const def = out.get(target);
    if (!def) throw new Error(`protobuf table: ${name} aliases unknown ${target}`);
    out.set(name, { ...def, name });
  }
  for (const def of out.values()) {
    for (const f of def.fields) {
      if (f.message && !out.has(f.message)) throw new Error(`protobuf table: ${def.name}.${f.name} refers to unknown ${f.message}`);
    }
  }
  return out;
}

function table(): Map<string, MessageDef> {
  parsed ??= parseAll();
  return parsed;
}

/** The definition of a message by short name (`core.v1.Pod`), if the table has it. */
export function messageDef(name: string): MessageDef | undefined {
  return table().get(name);
}

/** The definition of a message the table itself refers to (references are validated at parse time). */
export function referencedDef(name: string | undefined): MessageDef {
  const def = name === undefined ? undefined : table().get(name);
  if (!def) throw new Error(`protobuf table: no message ${String(name)}`);
  return def;
}

/** Every message definition (for tests and tools). */
export function allMessageDefs(): MessageDef[] {
  return [...table().values()];
}

/** The OpenAPI definition name of a short name: `core.v1.Pod` → `io.k8s.api.core.v1.Pod`. */
export function openApiName(short: string): string {
  return short.startsWith('meta.v1.') ? 'io.k8s.apimachinery.pkg.apis.meta.v1.' + short.slice('meta.v1.'.length) : 'io.k8s.api.' + short;
}

/**
 * The message a top-level body of `apiVersion`/`kind` decodes as, or undefined when skiff does not
 * decode that kind. DeleteOptions is accepted in every known group version, as upstream registers it
 * in each.
 */
export function kindMessage(apiVersion: string, kind: string): MessageDef | undefined {
  const gv = topLevelKinds[apiVersion];
  if (!gv) return undefined;
  if (kind === 'DeleteOptions') return messageDef('meta.v1.DeleteOptions');
  return gv.kinds.includes(kind) ? messageDef(`${gv.prefix}.${kind}`) : undefined;
}
