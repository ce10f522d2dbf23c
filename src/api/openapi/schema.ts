// The shape of the OpenAPI v3 component schemas skiff serves, and the small helpers every
// consumer (documents, unknown-field detection, strategic merge patch) uses to walk them.
// Schemas follow upstream's v3 output: a property that names another definition is
// `{allOf: [{$ref}], description}`, list items and map values are `{$ref}` or
// `{allOf: [{$ref}], default: {}}`.

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
export type ListType = 'atomic' | 'set' | 'map';

export interface Schema {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  $ref?: string;
  default?: unknown;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-patch-strategy'?: PatchStrategy;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: ListType;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Definition name → schema, as in `components.schemas`. */
export type Schemas = Record<string, Schema>;

export const refPrefix = '#/components/schemas/';

export function ref(definition: string): string {
  return refPrefix + definition;
}

/** The definition a `$ref` (or a single-element `allOf` wrapping one) points at, if any. */
export function refTarget(s: Schema): string | undefined {
  const r = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]?.$ref : undefined);
  return r?.startsWith(refPrefix) ? r.slice(refPrefix.length) : undefined;
}

/**
 * Follows `$ref`/`allOf` until a schema with its own content is reached. Unknown references
 * resolve to `undefined`, which callers treat as "anything goes".
 */
export function resolve(schemas: Schemas, s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (let depth = 0; cur && depth < 8; depth++) {
    const target = refTarget(cur);
    if (target === undefined) return cur;
    cur = schemas[target];
  }
  return cur;
}

/** The schema of property `key` of an object schema (declared property or map value). */
export function propertyOf(schemas: Schemas, s: Schema | undefined, key: string): Schema | undefined {
  const obj = resolve(schemas, s);
  if (!obj) return undefined;
  if (obj.properties && Object.hasOwn(obj.properties, key)) return obj.properties[key];
  if (typeof obj.additionalProperties === 'object') return obj.additionalProperties;
  return undefined;
}

/** Element schema of a list schema. */
export function itemsOf(schemas: Schemas, s: Schema | undefined): Schema | undefined {
  return resolve(schemas, s)?.items;
}

/** Every definition name reachable from `roots` through `$ref`s, roots included, sorted. */
export function reachable(schemas: Schemas, roots: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop() as string;
    if (seen.has(name) || !schemas[name]) continue;
    seen.add(name);
    visit(schemas[name], (target) => stack.push(target));
  }
  return [...seen].sort();
}

function visit(s: Schema, onRef: (definition: string) => void): void {
  if (s.$ref?.startsWith(refPrefix)) onRef(s.$ref.slice(refPrefix.length));
  for (const sub of s.allOf ?? []) visit(sub, onRef);
  for (const p of Object.values(s.properties ?? {})) visit(p, onRef);
  if (s.items) visit(s.items, onRef);
  if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, onRef);
}
