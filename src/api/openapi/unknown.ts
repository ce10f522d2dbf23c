// Unknown-field detection for fieldValidation=Strict|Warn, and pruning for the lenient modes:
// a field is unknown when its object's schema declares properties and the field is not one of
// them. Maps (`additionalProperties`), free-form objects (RawExtension, FieldsV1, JSON: no
// properties), and `x-kubernetes-preserve-unknown-fields` accept any key. Paths use upstream's
// strict-decoding form: `spec.containers[0].imagee`, map keys joined with a dot.

import { resolve, type Schema, type Schemas } from './schema.js';

export function findUnknownFields(schemas: Schemas, definition: string, obj: unknown, prune: boolean): string[] {
  const out: string[] = [];
  const root = schemas[definition];
  if (root) walk(schemas, root, obj, '', out, prune);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(schemas: Schemas, schema: Schema, value: unknown, path: string, out: string[], prune: boolean): void {
  const s = resolve(schemas, schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (!s.items) return;
    value.forEach((item, i) => walk(schemas, s.items as Schema, item, `${path}[${i}]`, out, prune));
    return;
  }
  if (!isPlainObject(value)) return;
  const mapValues = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  if (!s.properties) {
    if (mapValues) for (const [k, v] of Object.entries(value)) walk(schemas, mapValues, v, join(path, k), out, prune);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const p = Object.hasOwn(s.properties, k) ? s.properties[k] : mapValues;
    if (p) walk(schemas, p, v, join(path, k), out, prune);
    else if (s.additionalProperties !== true) {
      out.push(join(path, k));
      if (prune) delete value[k];
    }
  }
}
