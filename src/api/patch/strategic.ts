// Strategic merge patch (`application/strategic-merge-patch+json`) with upstream's semantics,
// driven by the OpenAPI schemas and their patch extensions:
// - maps merge recursively; `null` deletes a field; `$patch: replace` replaces a map,
//   `$patch: delete` empties it; `$retainKeys: [...]` drops the fields not listed;
// - lists whose field has patch strategy `merge` merge: lists of objects by the merge key
//   (`{name: x, $patch: delete}` removes an item, an item `{$patch: replace}` replaces the list),
//   lists of scalars as ordered sets; `$deleteFromPrimitiveList/<field>: [...]` removes values;
//   `$setElementOrder/<field>: [...]` fixes the order of the merged list; every other list is
//   replaced whole;
// - a directive upstream does not know is a 400 BadRequest.
// Errors are StatusErrors with upstream's messages; neither the document nor the patch is modified.

import { errors, StatusError } from '../errors.js';
import { loadSchemas } from '../openapi/load.js';
import { itemsOf, propertyOf, refTarget, resolve, type Schema, type Schemas } from '../openapi/schema.js';
import { identity, indexIn, normalizeOrder, partition } from './strategic-order.js';

type Obj = Record<string, unknown>;

const directive = '$patch';
const retainKeys = '$retainKeys';
const deleteFromPrimitiveList = '$deleteFromPrimitiveList/';
const setElementOrder = '$setElementOrder/';

/** Sets an own property even for the key "__proto__", which plain assignment would not. */
function setOwn(o: Obj, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Go's %v rendering, which upstream's messages embed (`map[name:x]`). */
function goFmt(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFmt).join(' ')}]`;
  if (isObject(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${goFmt(v[k])}`).join(' ')}]`;
  return String(v);
}

const bad = (msg: string): StatusError => errors.badRequest(msg);
const invalid = (msg: string): StatusError => new StatusError(422, 'Invalid', msg);

interface Field {
  /** Strategy of the list or map field, from `x-kubernetes-patch-strategy`. */
  merge: boolean;
  replace: boolean;
  mergeKey: string | undefined;
  /** The field's schema (for maps) and its items' schema (for lists). */
  schema: Schema | undefined;
  items: Schema | undefined;
}

class Patcher {
  constructor(private readonly schemas: Schemas) {}

  private field(parent: Schema | undefined, key: string): Field {
    const p = propertyOf(this.schemas, parent, key);
    const strategy = p?.['x-kubernetes-patch-strategy'] ?? '';
    return {
      merge: strategy.split(',').includes('merge'),
      replace: strategy === 'replace',
      mergeKey: p?.['x-kubernetes-patch-merge-key'],
      schema: p,
      items: itemsOf(this.schemas, p),
    };
  }

  private declares(schema: Schema | undefined, key: string): boolean {
    return Object.hasOwn(resolve(this.schemas, schema)?.properties ?? {}, key);
  }

  mergeMap(original: Obj, patch: Obj, schema: Schema | undefined): Obj {
    if (Object.hasOwn(patch, directive)) {
      const d = patch[directive];
      if (d === 'replace') {
        const rest = { ...patch };
        delete rest[directive];
        return this.mergeMap({}, rest, schema);
      }
      if (d === 'delete') return {};
      throw bad(`unknown patch type: ${goFmt(d)} in map: ${goFmt(patch)}`);
    }
    const out: Obj = { ...original };
    const todo: Obj = { ...patch };

    if (Object.hasOwn(todo, retainKeys)) {
      const keep = todo[retainKeys];
      delete todo[retainKeys];
      if (!Array.isArray(keep)) throw bad('invalid patch format of retainKeys');
      for (const [k, v] of Object.entries(todo)) {
        if (v === null || k.startsWith(deleteFromPrimitiveList) || k.startsWith(setElementOrder)) continue;
        if (!keep.includes(k)) throw bad('invalid patch format of retainKeys');
      }
      for (const k of Object.keys(out)) if (!keep.includes(k)) delete out[k];
    }

    for (const key of Object.keys(todo)) {
      if (!key.startsWith(setElementOrder)) continue;
      this.applySetElementOrder(out, todo, key, schema);
    }

    for (const [rawKey, patchV] of Object.entries(todo)) {
      let key = rawKey;
      const isDeleteList = rawKey.startsWith(deleteFromPrimitiveList);
      if (isDeleteList) {
        key = rawKey.slice(deleteFromPrimitiveList.length);
        if (!Array.isArray(patchV)) throw bad('invalid patch format of primitive list');
      } else if (key.startsWith('$') && !this.declares(schema, key)) {
        throw bad(`unknown patch directive: ${key}`);
      }
      if (patchV === null) {
        delete out[key];
        continue;
      }
      const f = this.field(schema, key);
      const cur = Object.hasOwn(out, key) ? out[key] : undefined;
      if (cur === undefined || cur === null || Array.isArray(cur) !== Array.isArray(patchV) || isObject(cur) !== isObject(patchV)) {
        if (!isDeleteList) setOwn(out, key, this.materialize(patchV, f));
        continue;
      }
      if (isObject(cur) && isObject(patchV)) setOwn(out, key, f.replace ? this.materialize(patchV, f) : this.mergeMap(cur, patchV, f.schema));
      else if (Array.isArray(cur) && Array.isArray(patchV)) setOwn(out, key, this.mergeList(cur, patchV, f, isDeleteList));
      else setOwn(out, key, patchV);
    }
    return out;
  }

  /** A value from the patch that meets nothing in the document: directives applied, nulls dropped. */
  private materialize(v: unknown, f: Field): unknown {
    if (isObject(v)) return this.mergeMap({}, v, f.schema);
    if (Array.isArray(v)) return f.merge ? this.mergeList([], v, f, false) : v.map((x) => this.dropNulls(x));
    return v;
  }

  private dropNulls(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.dropNulls(x));
    if (!isObject(v)) return v;
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) setOwn(out, k, this.dropNulls(x));
    return out;
  }

  mergeList(original: unknown[], patch: unknown[], f: Field, isDeleteList: boolean): unknown[] {
    if (!f.merge && !isDeleteList) return patch.map((x) => this.dropNulls(x));
    if (original.length === 0 && patch.length === 0) return original;
    const kind = elementKind([...original, ...patch]);
    if (kind !== 'object') {
      if (isDeleteList) return original.filter((x) => !patch.includes(x));
      const merged: unknown[] = [];
      for (const x of [...original, ...patch]) if (!merged.includes(x)) merged.push(x);
      const [inPatch, serverOnly] = partition(merged, patch, undefined);
      return normalizeOrder(inPatch, serverOnly, patch, original, undefined);
    }
    const key = f.mergeKey;
    if (!key) throw bad(`cannot merge lists without merge key for ${(f.items && refTarget(f.items)) ?? 'type map'}`);
    // Items carrying `$patch`: deletions by key, or a request to replace the whole list.
    let base = original as Obj[];
    const items: Obj[] = [];
    let replace = false;
    for (const item of patch as Obj[]) {
      if (!Object.hasOwn(item, directive)) {
        items.push(item);
        continue;
      }
      const d = item[directive];
      if (d === 'delete') {
        if (!Object.hasOwn(item, key)) throw bad(`map: ${goFmt(item)} does not contain declared merge key: ${key}`);
        base = base.filter((x) => identity(x, key) !== item[key]);
      } else if (d === 'replace') replace = true;
      else if (d === 'merge') throw bad('merging lists cannot yet be specified in the patch');
      else throw bad(`unknown patch type: ${goFmt(d)} in map: ${goFmt(item)}`);
    }
    const itemField: Field = { merge: false, replace: false, mergeKey: undefined, schema: f.items, items: undefined };
    if (replace) return items.map((x) => this.materialize(x, itemField));
    const merged: unknown[] = [...base];
    for (const item of items) {
      if (!Object.hasOwn(item, key)) throw bad(`map: ${goFmt(item)} does not contain declared merge key: ${key}`);
      const at = indexIn(merged, item, key);
      if (at >= 0) merged[at] = this.mergeMap(merged[at] as Obj, item, f.items);
      else merged.push(this.materialize(item, itemField));
    }
    const [inPatch, serverOnly] = partition(merged, items, key);
    return normalizeOrder(inPatch, serverOnly, items, base, key);
  }

  /** `$setElementOrder/<field>`: merge the field's list (if patched) and order it by the directive. */
  private applySetElementOrder(out: Obj, todo: Obj, directiveKey: string, schema: Schema | undefined): void {
    const order = todo[directiveKey];
    delete todo[directiveKey];
    const key = directiveKey.slice(setElementOrder.length);
    if (!Array.isArray(order) || key === '') throw bad('invalid patch format of setElementOrder list');
    const f = this.field(schema, key);
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    const hasOriginal = Array.isArray(existing);
    const hasPatch = Object.hasOwn(todo, key);
    const patchList = todo[key];
    if (hasPatch && !Array.isArray(patchList)) throw bad('invalid patch format of setElementOrder list');
    const original = hasOriginal ? (existing as unknown[]) : [];
    const patched = hasPatch ? (patchList as unknown[]) : [];
    validateOrder(patched, order, f.mergeKey);
    let merged: unknown[];
    if (hasOriginal && hasPatch) merged = this.mergeList(original, patched, f, false);
    else if (hasPatch) merged = this.materialize(patched, f) as unknown[];
    else if (hasOriginal) merged = original;
    else return;
    const [inOrder, serverOnly] = partition(merged, order, f.mergeKey);
    setOwn(out, key, normalizeOrder(inOrder, serverOnly, order, original, f.mergeKey));
    delete todo[key];
  }
}

function elementKind(list: unknown[]): 'object' | 'scalar' {
  let kind: string | undefined;
  for (const x of list) {
    if (Array.isArray(x)) throw invalid('lists of lists are not supported');
    const k = isObject(x) ? 'object' : x === null ? 'null' : typeof x;
    if (kind !== undefined && k !== kind) throw bad(`list element types are not identical: ${goFmt(list)}`);
    kind = k;
  }
  return kind === 'object' ? 'object' : 'scalar';
}

/** The patch list's items (deletions aside) must appear in `$setElementOrder` in the same relative order. */
function validateOrder(patchList: unknown[], order: unknown[], mergeKey: string | undefined): void {
  const items = patchList.filter((x) => !(isObject(x) && Object.hasOwn(x, directive)));
  let i = 0;
  for (const o of order) {
    if (i >= items.length) break;
    if (mergeKey) {
      for (const m of [items[i], o]) {
        if (!isObject(m) || !Object.hasOwn(m, mergeKey)) throw bad(`map: ${goFmt(m)} does not contain declared merge key: ${mergeKey}`);
      }
    }
    if (identity(items[i], mergeKey) === identity(o, mergeKey)) i++;
  }
  if (i < items.length) {
    throw bad(`The order in patch list:\n${goFmt(patchList)}\n doesn't match $setElementOrder list:\n${goFmt(order)}\n`);
  }
}

/**
 * Applies a strategic merge patch (the decoded request body) to `doc`, an object of the type
 * named by `definition` (e.g. 'io.k8s.api.core.v1.Pod'). Returns a new object.
 */
export function applyStrategicMergePatch(doc: unknown, patch: unknown, definition: string): unknown {
  if (!isObject(patch)) {
    const t = Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch;
    throw bad(`json: cannot unmarshal ${t} into Go value of type map[string]interface {}`);
  }
  const schemas = loadSchemas();
  const original = isObject(doc) ? structuredClone(doc) : {};
  return structuredClone(new Patcher(schemas).mergeMap(original, patch, schemas[definition]));
}
