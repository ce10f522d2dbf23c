// ObjectMeta, labels, annotations, owner references, finalizers and label selectors, as
// apimachinery's ValidateObjectMeta(Update) plus core's extra finalizer-name rule.

import { field, type FieldError } from '../errors.js';
import { isDNS1123Label, isLabelValue, isQualifiedName } from './names.js';
import { child, goStringSlice, immutable, index, isObj, isSet, list, nonNegative, obj, objList, str, strEntries, strList, text, type Obj } from './util.js';

export type NameFn = (name: string, prefix: boolean) => string[];

const totalAnnotationSizeLimit = 256 * 1024;
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateLabels(labels: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of strEntries(labels)) {
    for (const m of isQualifiedName(k)) errs.push(field.invalid(p, k, m));
    for (const m of isLabelValue(v)) errs.push(field.invalid(p, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of strEntries(annotations)) {
    // The rule is QualifiedName except that case doesn't matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(p, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size > totalAnnotationSizeLimit) errs.push(field.tooLong(p, '', totalAnnotationSizeLimit));
  return errs;
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  if (apiVersion === '' || parts.length > 2) return { group: '', version: '' };
  return parts.length === 1 ? { group: '', version: parts[0]! } : { group: parts[0]!, version: parts[1]! };
}

export function validateOwnerReferences(refs: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of objList(refs)) {
    const gv = parseGroupVersion(str(ref.apiVersion));
    const kind = str(ref.kind);
    if (gv.version === '') errs.push(field.invalid(child(p, 'apiVersion'), str(ref.apiVersion), 'version must not be empty'));
    if (kind === '') errs.push(field.invalid(child(p, 'kind'), kind, 'must not be empty'));
    if (str(ref.name) === '') errs.push(field.invalid(child(p, 'name'), str(ref.name), 'must not be empty'));
    if (str(ref.uid) === '') errs.push(field.invalid(child(p, 'uid'), str(ref.uid), 'must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(field.invalid(p, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const name = `${kind}/${str(ref.name)}`;
      if (firstController !== '') {
        errs.push(field.invalid(p, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`));
      } else {
        firstController = name;
      }
    }
  }
  return errs;
}

/** core's extra rule: an unqualified finalizer name must be one of the standard ones. */
function validateKubeFinalizerName(f: string, p: string): FieldError[] {
  if (f.includes('/') || standardFinalizers.has(f)) return [];
  return [field.invalid(p, f, 'name is neither a standard finalizer name nor is it fully qualified')];
}

/** A qualified name that is standard or fully qualified, all reported at `p`. */
export function validateFinalizerName(f: string, p: string): FieldError[] {
  return [...isQualifiedName(f).map((m) => field.invalid(p, f, m)), ...validateKubeFinalizerName(f, p)];
}

export function validateFinalizers(finalizers: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = strList(finalizers);
  names.forEach((f, i) => {
    for (const m of isQualifiedName(f)) errs.push(field.invalid(p, f, m));
    errs.push(...validateKubeFinalizerName(f, index(p, i)));
  });
  if (names.includes('orphan') && names.includes('foregroundDeletion')) {
    errs.push(field.invalidRaw(p, goStringSlice(finalizers), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/**
 * Create-time metadata checks. `namespaced` selects whether metadata.namespace is required or
 * forbidden. An empty name with a generateName is accepted: the server fills the name in.
 */
export function validateObjectMeta(metaV: unknown, namespaced: boolean, nameFn: NameFn, p = 'metadata'): FieldError[] {
  const meta = obj(metaV);
  const errs: FieldError[] = [];
  const name = str(meta.name);
  const generateName = str(meta.generateName);
  if (generateName !== '') {
    for (const m of nameFn(generateName, true)) errs.push(field.invalid(child(p, 'generateName'), generateName, m));
  }
  if (name === '') {
    if (generateName === '') errs.push(field.required(child(p, 'name'), 'name or generateName is required'));
  } else {
    for (const m of nameFn(name, false)) errs.push(field.invalid(child(p, 'name'), name, m));
  }
  errs.push(...validateNamespaceField(meta, namespaced, p));
  errs.push(...nonNegative(meta.generation, child(p, 'generation')));
  errs.push(...validateMetaCommon(meta, p));
  return errs;
}

function validateNamespaceField(meta: Obj, namespaced: boolean, p: string): FieldError[] {
  const ns = str(meta.namespace);
  if (namespaced) {
    if (ns === '') return [field.required(child(p, 'namespace'), '')];
    return isDNS1123Label(ns).map((m) => field.invalid(child(p, 'namespace'), ns, m));
  }
  return ns !== '' ? [field.forbidden(child(p, 'namespace'), 'not allowed on this type')] : [];
}

function validateMetaCommon(meta: Obj, p: string): FieldError[] {
  return [
    ...validateLabels(meta.labels, child(p, 'labels')),
    ...validateAnnotations(meta.annotations, child(p, 'annotations')),
    ...validateOwnerReferences(meta.ownerReferences, child(p, 'ownerReferences')),
    ...validateFinalizers(meta.finalizers, child(p, 'finalizers')),
  ];
}

/** Update-time metadata checks: identity fields are immutable; the rest is re-validated. */
export function validateObjectMetaUpdate(newV: unknown, oldV: unknown, p = 'metadata'): FieldError[] {
  const n = obj(newV);
  const o = obj(oldV);
  const errs: FieldError[] = [];
  if (isSet(o.deletionTimestamp)) {
    const old = new Set(strList(o.finalizers));
    const extra = [...new Set(strList(n.finalizers).filter((f) => !old.has(f)))].sort();
    if (extra.length > 0) {
      errs.push(field.forbidden(child(p, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`));
    }
  }
  const gen = typeof n.generation === 'number' ? n.generation : 0;
  if (gen < (typeof o.generation === 'number' ? o.generation : 0)) errs.push(field.invalid(child(p, 'generation'), gen, 'must not be decremented'));
  errs.push(...immutable(n.name, o.name, child(p, 'name'), (v) => JSON.stringify(str(v))));
  errs.push(...immutable(n.namespace, o.namespace, child(p, 'namespace'), (v) => JSON.stringify(str(v))));
  errs.push(...immutable(n.uid, o.uid, child(p, 'uid'), (v) => JSON.stringify(str(v))));
  errs.push(...immutable(n.creationTimestamp, o.creationTimestamp, child(p, 'creationTimestamp'), goTime));
  errs.push(...immutable(n.deletionTimestamp, o.deletionTimestamp, child(p, 'deletionTimestamp'), (v) => (isSet(v) ? goTime(v) : 'null')));
  errs.push(...immutable(n.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds, child(p, 'deletionGracePeriodSeconds'), (v) => (isSet(v) ? text(v) : 'null')));
  errs.push(...validateMetaCommon(n, p));
  return errs;
}

/** metav1.Time as Go prints it: "2024-01-02 03:04:05 +0000 UTC" (the zero time when unset). */
export function goTime(v: unknown): string {
  const d = typeof v === 'string' ? new Date(v) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  return d.toISOString().replace('T', ' ').replace(/\.000Z$/, '').replace(/Z$/, '') + ' +0000 UTC';
}

/** Metadata of an embedded template (e.g. a PVC template): only labels and annotations may be set. */
export function validateTemplateObjectMeta(metaV: unknown, p: string): FieldError[] {
  const meta = obj(metaV);
  const errs = [...validateAnnotations(meta.annotations, child(p, 'annotations')), ...validateLabels(meta.labels, child(p, 'labels'))];
  for (const k of Object.keys(meta)) {
    if (k !== 'labels' && k !== 'annotations' && isSet(meta[k])) errs.push(field.forbidden(child(p, k), 'cannot be set'));
  }
  return errs;
}

// ---- label selectors ----

export function validateLabelSelector(selV: unknown, p: string): FieldError[] {
  if (!isObj(selV)) return [];
  const errs = validateLabels(selV.matchLabels, child(p, 'matchLabels'));
  objList(selV.matchExpressions).forEach((e, i) => {
    const ep = index(child(p, 'matchExpressions'), i);
    const op = str(e.operator);
    const values = list(e.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(field.required(child(ep, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(field.forbidden(child(ep, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(field.invalid(child(ep, 'operator'), op, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(str(e.key))) errs.push(field.invalid(child(ep, 'key'), str(e.key), m));
    values.forEach((v, j) => {
      for (const m of isLabelValue(text(v))) errs.push(field.invalid(index(child(ep, 'values'), j), text(v), m));
    });
  });
  return errs;
}

/** True when the selector has neither matchLabels nor matchExpressions. */
export function isEmptySelector(selV: unknown): boolean {
  const sel = obj(selV);
  return strEntries(sel.matchLabels).length + list(sel.matchExpressions).length === 0;
}

/**
 * Whether a label selector selects the given labels (metav1.LabelSelectorAsSelector + Matches).
 * A missing selector selects nothing, an empty one everything. Undefined for an invalid selector.
 */
export function labelSelectorMatches(selV: unknown, labels: Record<string, string>): boolean | undefined {
  if (!isObj(selV)) return false;
  for (const [k, v] of strEntries(selV.matchLabels)) {
    if (isQualifiedName(k).length > 0 || isLabelValue(v).length > 0) return undefined;
    if (labels[k] !== v) return false;
  }
  let result = true;
  for (const e of objList(selV.matchExpressions)) {
    const k = str(e.key);
    const values = strList(e.values);
    if (isQualifiedName(k).length > 0) return undefined;
    const has = Object.prototype.hasOwnProperty.call(labels, k);
    switch (str(e.operator)) {
      case 'In':
        if (values.length === 0) return undefined;
        if (!has || !values.includes(labels[k]!)) result = false;
        break;
      case 'NotIn':
        if (values.length === 0) return undefined;
        if (has && values.includes(labels[k]!)) result = false;
        break;
      case 'Exists':
        if (!has) result = false;
        break;
      case 'DoesNotExist':
        if (has) result = false;
        break;
      default:
        return undefined;
    }
  }
  return result;
}

