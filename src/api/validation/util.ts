// Helpers shared by the validators: safe access into untrusted decoded JSON, field paths, Go-style
// value printing (upstream prints structs and maps with %#v inside messages) and the API's
// "semantic" equality.
//
// Contract: every accessor tolerates any input type and never throws, so a malformed object yields
// field errors (or is skipped), never a crash.

import { field, type FieldError } from '../errors.js';

export type Obj = Record<string, unknown>;

const EMPTY: Obj = Object.freeze({}) as Obj;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object, or a frozen empty one. */
export function obj(v: unknown): Obj {
  return isObj(v) ? v : EMPTY;
}

export function optObj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function objList(v: unknown): Obj[] {
  return list(v).map(obj);
}

/**
 * Text of a scalar as the wire would carry it; objects become JSON. Never throws, even for objects
 * whose own `toString` is not a function (as decoded JSON can contain).
 */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === undefined || v === null) return '';
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function strList(v: unknown): string[] {
  return list(v).map(text);
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(v: unknown): boolean {
  return v === true;
}

/** Present and not null: the JSON analogue of a non-nil Go pointer. */
export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** Map entries as strings (a map of strings on the wire). */
export function strEntries(v: unknown): [string, string][] {
  if (!isObj(v)) return [];
  return Object.entries(v).map(([k, x]) => [k, text(x)]);
}

export function strMap(v: unknown): Record<string, string> {
  return Object.fromEntries(strEntries(v));
}

export function child(p: string, ...names: string[]): string {
  let out = p;
  for (const n of names) out = out ? `${out}.${n}` : n;
  return out;
}

export function index(p: string, i: number): string {
  return `${p}[${i}]`;
}

export function key(p: string, k: string): string {
  return `${p}[${k}]`;
}

// ---- Go %#v printing of the few composite values upstream puts in messages ----

export function goQuote(s: string): string {
  return JSON.stringify(s);
}

export function goStringSlice(v: unknown): string {
  if (!Array.isArray(v)) return '[]string(nil)';
  return `[]string{${strList(v).map(goQuote).join(', ')}}`;
}

export function goStringMap(v: unknown): string {
  if (!isObj(v)) return 'map[string]string(nil)';
  const entries = strEntries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[string]string{${entries.map(([k, x]) => `${goQuote(k)}:${goQuote(x)}`).join(', ')}}`;
}

/** intstr.IntOrString as %#v prints it (its String() has a pointer receiver, so is not used). */
export function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  const n = typeof v === 'number' ? v : 0;
  return `intstr.IntOrString{Type:0, IntVal:${n}, StrVal:""}`;
}

/** metav1.LabelSelector as %#v prints it (pointer fields are dereferenced by the error printer). */
export function goLabelSelector(v: unknown): string {
  if (!isObj(v)) return 'null';
  const exprs = v.matchExpressions;
  const exprText = Array.isArray(exprs)
    ? `[]v1.LabelSelectorRequirement{${objList(exprs)
        .map((e) => `v1.LabelSelectorRequirement{Key:${goQuote(str(e.key))}, Operator:${goQuote(str(e.operator))}, Values:${goStringSlice(e.values)}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(v.matchLabels)}, MatchExpressions:${exprText}}`;
}

// ---- equality ----

function isZeroish(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).every((k) => isZeroish(v[k]));
  return false;
}

/**
 * Upstream compares API objects with "semantic" equality after decoding into Go structs, where an
 * absent field, null, and the zero value ("", 0, false, empty list or map) are indistinguishable for
 * most fields. Deciding "unchanged" leniently only ever lets through an update upstream would
 * also reject for a pointer field set to its zero value; it never rejects a legitimate one.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isZeroish(a) && isZeroish(b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

// ---- small shared validators ----

export const isNegativeErrorMsg = 'must be greater than or equal to 0';
export const fieldImmutableErrorMsg = 'field is immutable';

/** Upstream ValidateNonnegativeField. */
export function nonNegative(v: unknown, p: string): FieldError[] {
  const n = num(v);
  return n !== undefined && n < 0 ? [field.invalid(p, n, isNegativeErrorMsg)] : [];
}

/** Upstream ValidateImmutableField with the value printed by `print` (default: JSON-ish). */
export function immutable(newV: unknown, oldV: unknown, p: string, print?: (v: unknown) => string): FieldError[] {
  if (semanticEqual(newV, oldV)) return [];
  return [print ? field.invalidRaw(p, print(newV), fieldImmutableErrorMsg) : field.invalid(p, newV, fieldImmutableErrorMsg)];
}
