// JSON Merge Patch (RFC 7386, `application/merge-patch+json`) as upstream applies it: objects
// merge recursively, null deletes a member, anything else replaces; nulls inside newly set
// objects are dropped. A patch that is null or a scalar is a 400 "Invalid JSON Patch".

import { errors } from '../errors.js';

type Obj = Record<string, unknown>;

/** Sets an own property even for the key "__proto__", which plain assignment would not. */
function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of a patch value with null members removed from every object in it. */
function pruneNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneNulls);
  if (!isObject(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, pruneNulls(x));
  return out;
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return pruneNulls(patch);
  const out: Obj = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setOwn(out, k, merge(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/** Applies `patch` to `doc`, returning a new value; neither argument is modified. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (patch === null || (typeof patch !== 'object' && !Array.isArray(patch))) throw errors.badRequest('Invalid JSON Patch');
  return structuredClone(merge(doc, patch));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch that turns `original` into `modified` (both objects): changed members, nulls
 * for removed ones, recursing into objects present in both. Values must not contain null object
 * members, which a merge patch cannot express.
 */
export function createMergePatch(original: Obj, modified: Obj): Obj {
  const patch: Obj = {};
  for (const k of Object.keys(original)) if (!Object.hasOwn(modified, k)) setOwn(patch, k, null);
  for (const [k, v] of Object.entries(modified)) {
    const o = original[k];
    if (!Object.hasOwn(original, k)) setOwn(patch, k, v);
    else if (isObject(o) && isObject(v)) {
      const sub = createMergePatch(o, v);
      if (Object.keys(sub).length) setOwn(patch, k, sub);
    } else if (!deepEqual(o, v)) setOwn(patch, k, v);
  }
  return patch;
}
