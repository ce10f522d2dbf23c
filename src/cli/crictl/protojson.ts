// CRI messages as crictl prints and reads them.
//
// Output: crictl prints messages with protojson (EmitDefaultValues, two-space indent): field
// names in lowerCamelCase, 64-bit integers as strings, enums by name, bytes in base64, empty
// lists/maps and zero scalars present, unset message fields absent. YAML is the same document
// converted with sigs.k8s.io/yaml, which sorts keys. `inspect`-style commands instead print a
// "status data" document re-marshalled through Go maps: keys sorted at every level, and Go's
// HTML-safe escaping of <, > and &.
//
// Input: crictl decodes pod and container config files (JSON or YAML) into the Go structs, whose
// JSON names are the .proto names (snake_case); it also matches them case-insensitively.
// fromConfigDocument() accepts those, and lowerCamelCase too, and says which field is unknown.

import { stringify as yamlStringify } from 'yaml';
import { criDefinition, CRI_PACKAGE } from '../../cri/proto.js';
import type { FieldDesc, MessageDesc } from '../../cri/typegen.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const INT64_TYPES = new Set(['TYPE_INT64', 'TYPE_UINT64', 'TYPE_SINT64', 'TYPE_FIXED64', 'TYPE_SFIXED64']);
const NUMBER_TYPES = new Set([
  ...INT64_TYPES, 'TYPE_INT32', 'TYPE_UINT32', 'TYPE_SINT32', 'TYPE_FIXED32', 'TYPE_SFIXED32', 'TYPE_DOUBLE', 'TYPE_FLOAT',
]);

/** The descriptor of `runtime.v1.<name>`. */
export function messageDesc(name: string): MessageDesc {
  const def = criDefinition().pkg[`${CRI_PACKAGE}.${name}`] as { type?: MessageDesc } | undefined;
  if (def?.type?.field === undefined) throw new Error(`CRI message ${name} is not in api.proto`);
  return def.type;
}

/** protoc's JSON name of a field: underscores removed, the letter after each one upper-cased. */
export function jsonName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/_/g, '');
}

function mapEntry(parent: MessageDesc, f: FieldDesc): MessageDesc | undefined {
  if (f.type !== 'TYPE_MESSAGE' || f.label !== 'LABEL_REPEATED') return undefined;
  return parent.nestedType.find((n) => n.name === f.typeName && n.options?.mapEntry === true);
}

function scalarToJson(f: FieldDesc, v: unknown): JsonValue {
  if (INT64_TYPES.has(f.type)) return String(v ?? 0);
  if (f.type === 'TYPE_BYTES') return Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'string' ? v : '';
  if (v === undefined) return null;
  return v as JsonValue;
}

/** A decoded CRI message (as CriClient returns it) in protojson's shape; `{}` for a nil message. */
export function toProtoJson(value: unknown, typeName: string): JsonObject {
  const desc = messageDesc(typeName);
  if (value === null || value === undefined) return {};
  const src = (value ?? {}) as Record<string, unknown>;
  const out: JsonObject = {};
  for (const f of desc.field) {
    const v = src[f.name];
    const key = jsonName(f.name);
    const entry = mapEntry(desc, f);
    if (entry !== undefined) {
      const valueField = entry.field.find((x) => x.name === 'value') as FieldDesc;
      const m: JsonObject = {};
      for (const [k, mv] of Object.entries((v ?? {}) as Record<string, unknown>)) {
        m[k] = valueField.type === 'TYPE_MESSAGE' ? toProtoJson(mv, valueField.typeName) : scalarToJson(valueField, mv);
      }
      out[key] = m;
    } else if (f.label === 'LABEL_REPEATED') {
      const list = Array.isArray(v) ? v : [];
      out[key] = list.map((x) => (f.type === 'TYPE_MESSAGE' ? toProtoJson(x, f.typeName) : scalarToJson(f, x)));
    } else if (f.type === 'TYPE_MESSAGE') {
      if (v !== null && v !== undefined) out[key] = toProtoJson(v, f.typeName);
    } else {
      out[key] = scalarToJson(f, v);
    }
  }
  return out;
}

/** Keys sorted at every level, as a Go map re-marshals them. */
export function sortKeysDeep(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v !== null && typeof v === 'object') {
    const out: JsonObject = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeysDeep(v[k] as JsonValue);
    return out;
  }
  return v;
}

/** JSON with two-space indent and Go's encoding/json HTML-safe escapes. */
export function goJson(v: JsonValue): string {
  return JSON.stringify(v, null, 2)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** YAML as sigs.k8s.io/yaml writes it: keys sorted, sequences not indented under their key. */
export function goYaml(v: JsonValue): string {
  return yamlStringify(v, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

/**
 * What crictl prints for a message with `-o json|yaml` (fmt.Println of the marshalled text: JSON
 * gets one newline, YAML, which already ends in one, gets a blank line).
 */
export function renderMessage(value: unknown, typeName: string, format: 'json' | 'yaml'): string {
  const doc = toProtoJson(value, typeName);
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : `${goYaml(doc)}\n`;
}

/** One entry of crictl's "status data" output (inspect, inspectp, inspecti, info). */
export interface StatusData {
  status?: JsonValue;
  runtimeHandlers?: JsonValue;
  features?: JsonValue;
  /** The response's verbose info: values that look like JSON objects are embedded as objects. */
  info: Record<string, string>;
}

/**
 * crictl's outputStatusData: `{status, info keys...}` per entry, a single entry bare and several
 * as a list, keys sorted, as JSON (Go escaping) or YAML. Empty when there are no entries.
 */
export function renderStatusData(entries: readonly StatusData[], format: 'json' | 'yaml'): string {
  if (entries.length === 0) return '';
  const docs = entries.map((e) => {
    const doc: JsonObject = {};
    if (e.status !== undefined) doc.status = e.status;
    if (e.runtimeHandlers !== undefined && e.runtimeHandlers !== null) doc.runtimeHandlers = e.runtimeHandlers;
    if (e.features !== undefined && e.features !== null) doc.features = e.features;
    for (const k of Object.keys(e.info).sort()) {
      const val = e.info[k] as string;
      if (val.startsWith('{')) {
        try {
          doc[k] = JSON.parse(val) as JsonValue;
        } catch (err) {
          throw new Error(`the runtime's info "${k}" looks like a JSON object but is not valid JSON: ${(err as Error).message}`);
        }
      } else {
        doc[k] = val.replace(/^"+|"+$/g, '');
      }
    }
    return doc;
  });
  const result = sortKeysDeep(docs.length === 1 ? (docs[0] as JsonObject) : docs);
  return format === 'json' ? `${goJson(result)}\n` : `${goYaml(result)}\n`;
}

/**
 * A pod or container config document (parsed JSON/YAML) as a CRI input message of `typeName`:
 * keys matched to fields by .proto name, JSON name or case-insensitively; 64-bit numbers given as
 * strings become numbers. Unknown fields are reported through `warn` and dropped (crictl's
 * decoder ignores them too); a value of the wrong kind throws naming its path.
 */
export function fromConfigDocument(doc: unknown, typeName: string, warn: (msg: string) => void, path = ''): Record<string, unknown> {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${path || typeName}: expected an object`);
  const desc = messageDesc(typeName);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(doc as Record<string, unknown>)) {
    const f =
      desc.field.find((x) => x.name === key || jsonName(x.name) === key) ??
      desc.field.find((x) => x.name.toLowerCase() === key.toLowerCase() || jsonName(x.name).toLowerCase() === key.toLowerCase());
    const where = path ? `${path}.${key}` : key;
    if (f === undefined) {
      warn(`ignoring unknown field "${where}" (not a field of ${typeName})`);
      continue;
    }
    if (v === null || v === undefined) continue;
    out[f.name] = configValue(desc, f, v, where, warn);
  }
  return out;
}

function configValue(parent: MessageDesc, f: FieldDesc, v: unknown, where: string, warn: (msg: string) => void): unknown {
  const entry = mapEntry(parent, f);
  if (entry !== undefined) {
    if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where}: expected a map of key: value`);
    const valueField = entry.field.find((x) => x.name === 'value') as FieldDesc;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, configValue(entry, valueField, x, `${where}.${k}`, warn)]));
  }
  if (f.label === 'LABEL_REPEATED') {
    if (!Array.isArray(v)) throw new Error(`${where}: expected a list`);
    const single = { ...f, label: 'LABEL_OPTIONAL' };
    return v.map((x, i) => configValue(parent, single, x, `${where}[${i}]`, warn));
  }
  if (f.type === 'TYPE_MESSAGE') return fromConfigDocument(v, f.typeName, warn, where);
  if (NUMBER_TYPES.has(f.type)) {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${where}: expected a number, got ${JSON.stringify(v)}`);
    return n;
  }
  if (f.type === 'TYPE_BOOL') {
    if (typeof v !== 'boolean') throw new Error(`${where}: expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  if (f.type === 'TYPE_ENUM') {
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${where}: expected an enum name or number, got ${JSON.stringify(v)}`);
    return v;
  }
  if (f.type === 'TYPE_BYTES') {
    if (typeof v !== 'string') throw new Error(`${where}: expected base64 text`);
    return Buffer.from(v, 'base64');
  }
  if (typeof v !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}
