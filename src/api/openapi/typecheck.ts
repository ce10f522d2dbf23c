// Type checking of decoded objects against the schemas: what Go's JSON decoder refuses in
// kube-apiserver ("json: cannot unmarshal number into Go struct field ConfigMap.data of type
// string") is refused here too, before anything else looks at the object.

import { loadSchemas } from './load.js';
import { refTarget, resolve, type Schema, type Schemas } from './schema.js';

const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'object';
  return typeof v; // string, number
}

function goType(s: Schema): string {
  switch (s.type) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'integer':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'array':
      return '[]' + (s.items ? goType(s.items) : 'interface {}');
    case 'object':
      return s.properties ? 'struct' : 'map[string]' + (typeof s.additionalProperties === 'object' ? goType(s.additionalProperties) : 'interface {}');
    default:
      return 'interface {}';
  }
}

function shortName(definition: string): string {
  return definition.slice(definition.lastIndexOf('.') + 1);
}

/**
 * The first type mismatch in `obj` against `definition`, as upstream's decoder words it, or
 * undefined when the types fit. Unknown fields are not this function's concern.
 */
export function typeError(definition: string, obj: unknown): string | undefined {
  const schemas = loadSchemas();
  const root = schemas[definition];
  if (!root) return undefined;
  return check(schemas, root, obj, '', shortName(definition), definition);
}

function check(schemas: Schemas, schema: Schema, v: unknown, path: string, struct: string, def: string | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  const target = refTarget(schema);
  if (target === quantity) {
    return typeof v === 'string' || typeof v === 'number' ? undefined : mismatch(v, struct, path, 'resource.Quantity');
  }
  const s = resolve(schemas, schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields']) return undefined;
  if (s.format === 'int-or-string') {
    return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)) ? undefined : mismatch(v, struct, path, 'intstr.IntOrString');
  }
  const structName = target ? shortName(target) : struct;
  switch (s.type) {
    case 'string':
      return typeof v === 'string' ? undefined : mismatch(v, struct, path, 'string');
    case 'boolean':
      return typeof v === 'boolean' ? undefined : mismatch(v, struct, path, 'bool');
    case 'integer':
      if (typeof v !== 'number') return mismatch(v, struct, path, goType(s));
      return Number.isInteger(v) ? undefined : `json: cannot unmarshal number ${v} into Go struct field ${struct}.${path} of type ${goType(s)}`;
    case 'number':
      return typeof v === 'number' ? undefined : mismatch(v, struct, path, 'float64');
    case 'array': {
      if (!Array.isArray(v)) return mismatch(v, struct, path, goType(s));
      if (!s.items) return undefined;
      for (const item of v) {
        const err = check(schemas, s.items, item, path, structName, def);
        if (err) return err;
      }
      return undefined;
    }
    case 'object':
    case undefined: {
      if (!s.properties && typeof s.additionalProperties !== 'object') return undefined;
      if (typeof v !== 'object' || Array.isArray(v)) return mismatch(v, struct, path, target ? `${target.split('.').slice(-2).join('.')}` : goType(s));
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        const prop = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
        if (!prop) continue;
        const sub = s.properties && Object.hasOwn(s.properties, k) ? (path ? `${path}.${k}` : k) : path;
        const err = check(schemas, prop, val, sub, structName, def);
        if (err) return err;
      }
      return undefined;
    }
  }
  return undefined;
}

function mismatch(v: unknown, struct: string, path: string, want: string): string {
  return `json: cannot unmarshal ${jsonType(v)} into Go struct field ${struct}.${path} of type ${want}`;
}
