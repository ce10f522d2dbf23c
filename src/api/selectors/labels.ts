// Label selectors: the `labelSelector` query syntax (`a=b,c in (x,y),!d,e>3`), the meta/v1
// LabelSelector object form, and matching. Both forms compile to one internal shape that is
// parsed and validated once and then matched with plain loops (lists filter 10^5 objects).
// Parse errors carry upstream's wording (apimachinery labels.Parse) as 400 BadRequest.

import type { LabelSelector as MetaLabelSelector } from 'kubernetes-types/meta/v1.js';
import { StatusError } from '../errors.js';
import { newRequirement, parseInt64, parseRequirements } from './label-parser.js';

/** Upstream's selection.Operator spellings. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted and unique for parsed selectors; one value for =, ==, !=, gt, lt; none for exists, !. */
  readonly values: readonly string[];
  /** The integer bound of a gt / lt requirement. */
  readonly bound?: bigint;
}

export interface LabelSelector {
  /** ANDed, ordered by key. Empty means "everything". */
  readonly requirements: readonly LabelRequirement[];
  /** A nil meta/v1 selector selects nothing (labels.Nothing()). */
  readonly matchesNothing: boolean;
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

export const everything: LabelSelector = Object.freeze({ requirements: [], matchesNothing: false });
export const nothing: LabelSelector = Object.freeze({ requirements: [], matchesNothing: true });

function byKey(reqs: LabelRequirement[]): LabelRequirement[] {
  // Array.prototype.sort is stable, so equal keys keep their written order.
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function badRequest(msg: string): StatusError {
  return new StatusError(400, 'BadRequest', msg);
}

// ---------------------------------------------------------------- public API

/** Parses the `labelSelector` query parameter. The empty string selects everything. */
export function parseLabelSelector(s: string): LabelSelector {
  let reqs: LabelRequirement[];
  try {
    reqs = parseRequirements(s);
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  return reqs.length === 0 ? everything : { requirements: byKey(reqs), matchesNothing: false };
}

/**
 * metav1.LabelSelectorAsSelector: a missing selector selects nothing, an empty one everything.
 * matchLabels become '=' requirements, matchExpressions In / NotIn / Exists / DoesNotExist.
 * Throws StatusError 400 for an invalid key, value or operator.
 */
export function labelSelectorFromObject(sel: MetaLabelSelector | undefined | null): LabelSelector {
  if (sel === undefined || sel === null) return nothing;
  const matchLabels = sel.matchLabels ?? {};
  const exprs = sel.matchExpressions ?? [];
  const reqs: LabelRequirement[] = [];
  try {
    for (const k of Object.keys(matchLabels)) reqs.push(newRequirement(k, '=', [String(matchLabels[k])]));
    for (const e of exprs) {
      const op = Object.hasOwn(META_OPERATORS, e.operator) ? META_OPERATORS[e.operator] : undefined;
      if (op === undefined) throw new Error(`"${e.operator}" is not a valid label selector operator`);
      reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
    }
  } catch (e) {
    throw badRequest((e as Error).message);
  }
  return reqs.length === 0 ? everything : { requirements: byKey(reqs), matchesNothing: false };
}

const META_OPERATORS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/** An equality selector for a label map, unvalidated (labels.SelectorFromSet), e.g. a Service's spec.selector. */
export function labelSelectorFromSet(set: Labels): LabelSelector {
  if (!set) return everything;
  const keys = Object.keys(set);
  if (keys.length === 0) return everything;
  return { requirements: byKey(keys.map((k) => ({ key: k, operator: '=' as const, values: [String(set[k])] }))), matchesNothing: false };
}

export function isEverything(sel: LabelSelector): boolean {
  return !sel.matchesNothing && sel.requirements.length === 0;
}

/** True when every requirement holds for the labels (absent labels = no labels). */
export function matchesLabels(sel: LabelSelector, labels: Labels): boolean {
  if (sel.matchesNothing) return false;
  const reqs = sel.requirements;
  for (let i = 0; i < reqs.length; i++) {
    if (!matchesRequirement(reqs[i] as LabelRequirement, labels)) return false;
  }
  return true;
}

function lookup(labels: Labels, key: string): string | undefined {
  if (!labels) return undefined;
  // typeof filters out inherited members such as 'constructor' on JSON-parsed objects.
  const v = (labels as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

function matchesRequirement(r: LabelRequirement, labels: Labels): boolean {
  const v = lookup(labels, r.key);
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return v !== undefined && hasValue(r.values, v);
    case 'notin':
    case '!=':
      return v === undefined || !hasValue(r.values, v);
    case 'exists':
      return v !== undefined;
    case '!':
      return v === undefined;
    case 'gt':
    case 'lt': {
      if (v === undefined || r.bound === undefined) return false;
      const n = parseInt64(v);
      if (n === undefined) return false;
      return r.operator === 'gt' ? n > r.bound : n < r.bound;
    }
  }
}

function hasValue(values: readonly string[], v: string): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] === v) return true;
  return false;
}

/** Requirement.String: 'a=b', 'a in (x,y)', '!a', 'a>1'. */
export function requirementToString(r: LabelRequirement): string {
  const vals = r.values.length === 1 ? (r.values[0] as string) : [...r.values].sort().join(',');
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return '!' + r.key;
    case 'in':
      return `${r.key} in (${vals})`;
    case 'notin':
      return `${r.key} notin (${vals})`;
    case 'gt':
      return `${r.key}>${vals}`;
    case 'lt':
      return `${r.key}<${vals}`;
    default:
      return `${r.key}${r.operator}${vals}`;
  }
}

/** Selector.String: requirements joined by ','; '' for everything and for nothing. */
export function selectorToString(sel: LabelSelector): string {
  return sel.requirements.map(requirementToString).join(',');
}

/** labels.FormatLabels: 'a=b,c=d' sorted by key, '<none>' when empty. */
export function formatLabels(set: Labels): string {
  if (!set) return '<none>';
  const keys = Object.keys(set).sort();
  return keys.length === 0 ? '<none>' : keys.map((k) => `${k}=${set[k]}`).join(',');
}

/** metav1.FormatLabelSelector: the selector string, '<none>' when empty or missing, '<error>' when invalid. */
export function formatLabelSelector(sel: MetaLabelSelector | undefined | null): string {
  let parsed: LabelSelector;
  try {
    parsed = labelSelectorFromObject(sel);
  } catch {
    return '<error>';
  }
  const s = selectorToString(parsed);
  return s === '' ? '<none>' : s;
}
