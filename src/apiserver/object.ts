// The shape every stored API object has once decoded: apiVersion, kind and metadata with a name.

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { errors } from '../api/errors.js';

/** ObjectMeta with its fields writable: the server sets the system fields. */
export type Meta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

export type KObject = {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  [field: string]: unknown;
};

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks the decoded body is an object of the endpoint's apiVersion and kind. Like upstream's
 * decoder, the endpoint's group/version/kind fills in what the body leaves out.
 */
export function asKObject(body: unknown, apiVersion: string, kind: string): KObject {
  if (!isPlainObject(body)) throw errors.badRequest(`the body of the request must be a JSON object, not ${Array.isArray(body) ? 'an array' : typeof body}`);
  const av = body.apiVersion ?? '';
  const k = body.kind ?? '';
  if (typeof k !== 'string') throw errors.badRequest(`json: cannot unmarshal ${jsonType(k)} into Go struct field .kind of type string`);
  if (typeof av !== 'string') throw errors.badRequest(`json: cannot unmarshal ${jsonType(av)} into Go struct field .apiVersion of type string`);
  if (k !== '' && k !== kind) throw errors.badRequest(`${k} in version "${av}" cannot be handled as a ${kind}: no kind "${k}" is registered for version "${av}" in scheme`);
  if (av !== '' && av !== apiVersion) throw errors.badRequest(`the API version in the data (${av}) does not match the expected API version (${apiVersion})`);
  body.apiVersion = apiVersion;
  body.kind = kind;
  if (body.metadata === undefined || body.metadata === null) body.metadata = {};
  if (!isPlainObject(body.metadata)) throw errors.badRequest(`${kind} in version "${apiVersion}" cannot be handled as a ${kind}: json: cannot unmarshal ${jsonType(body.metadata)} into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
  return body as KObject;
}

function jsonType(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

export function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** RFC 3339 with second precision, as Kubernetes serializes metav1.Time. */
export function nowRfc3339(now = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The stored JSON of an object (as ResourceStore encodes it: apiVersion, kind, then metadata
 * without a resourceVersion) with metadata.resourceVersion added, without parsing it.
 */
export function injectResourceVersion(stored: string, rv: number): string {
  const at = stored.indexOf('"metadata":{');
  if (at < 0) throw new Error('stored object has no metadata');
  const open = at + '"metadata":{'.length;
  const field = `"resourceVersion":"${rv}"`;
  return stored.slice(0, open) + field + (stored[open] === '}' ? '' : ',') + stored.slice(open);
}
