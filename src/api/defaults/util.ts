// Helpers for defaulting decoded JSON in place. Upstream defaults Go structs, where "unset" means
// the zero value for plain fields and nil for pointers; these helpers express the three cases on
// JSON, where absent and null both mean unset.

import { canonicalQuantity, parseQuantity } from '../quantity.js';
import { isObj, type Obj } from '../validation/util.js';

export type { Obj };
export { isObj };

/** The object at `o[k]`, created when absent (a Go struct field is never nil). */
export function ensure(o: Obj, k: string): Obj {
  const v = o[k];
  if (isObj(v)) return v;
  const created: Obj = {};
  o[k] = created;
  return created;
}

/** The object at `o[k]` when present; undefined otherwise (a Go pointer field). */
export function maybe(o: Obj, k: string): Obj | undefined {
  const v = o[k];
  return isObj(v) ? v : undefined;
}

export function objects(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** A Go string field: defaults when absent, null or "". */
export function defStr(o: Obj, k: string, value: string): void {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = value;
}

/** A Go pointer field: defaults when absent or null. */
export function defPtr(o: Obj, k: string, value: unknown): void {
  if (o[k] === undefined || o[k] === null) o[k] = value;
}

/** A Go integer field defaulted when zero: defaults when absent, null or 0. */
export function defZero(o: Obj, k: string, value: number): void {
  if (o[k] === undefined || o[k] === null || o[k] === 0) o[k] = value;
}

/**
 * Rewrites every valid quantity of a resource list in canonical form, as a decode and re-encode
 * does upstream. `roundMilli` also rounds up to thousandths, as core/v1's SetDefaults_ResourceList.
 * Invalid entries are left for validation to report.
 */
export function canonicalizeResourceList(list: unknown, roundMilli: boolean): void {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    if (!roundMilli) {
      const c = canonicalQuantity(v);
      if (c !== undefined) list[k] = c;
      continue;
    }
    const q = parseQuantity(v);
    if (q) list[k] = q.roundUpMilli().toString();
  }
}

/** A single quantity field (e.g. emptyDir.sizeLimit) in canonical form. */
export function canonicalizeQuantityField(o: Obj | undefined, k: string): void {
  if (!o) return;
  const c = canonicalQuantity(o[k]);
  if (c !== undefined) o[k] = c;
}
