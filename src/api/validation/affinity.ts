// Scheduling constraints inside a pod spec: node selectors and affinity, pod (anti-)affinity,
// tolerations, topology spread constraints.

import { field, type FieldError } from '../errors.js';
import { isLabelValue, isQualifiedName, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import { validateLabelSelector } from './meta.js';
import { child, index, isObj, isSet, list, num, obj, objList, str, strList } from './util.js';

function labelName(k: string, p: string): FieldError[] {
  return isQualifiedName(k).map((m) => field.invalid(p, k, m));
}

export function validateNodeSelectorRequirement(rq: Record<string, unknown>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq.operator);
  const values = strList(rq.values);
  if (op === 'In' || op === 'NotIn') {
    if (values.length === 0) errs.push(field.required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
  } else if (op === 'Exists' || op === 'DoesNotExist') {
    if (values.length > 0) errs.push(field.forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
  } else if (op === 'Gt' || op === 'Lt') {
    if (values.length !== 1) errs.push(field.required(child(p, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
  } else {
    errs.push(field.invalid(child(p, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...labelName(str(rq.key), child(p, 'key')));
  values.forEach((v, i) => {
    for (const m of isLabelValue(v)) errs.push(field.invalid(index(child(p, 'values'), i), v, m));
  });
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: Record<string, unknown>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq.operator);
  const values = strList(rq.values);
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) errs.push(field.required(child(p, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(field.invalid(child(p, 'operator'), op, 'not a valid selector operator'));
  }
  if (str(rq.key) !== 'metadata.name') {
    errs.push(field.invalid(child(p, 'key'), str(rq.key), 'not a valid field selector key'));
  } else {
    values.forEach((v, i) => {
      for (const m of nameIsDNSSubdomain(v, false)) errs.push(field.invalid(index(child(p, 'values'), i), v, m));
    });
  }
  return errs;
}

export function validateNodeSelectorTerm(term: unknown, p: string): FieldError[] {
  const t = obj(term);
  const errs: FieldError[] = [];
  objList(t.matchExpressions).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(r, index(child(p, 'matchExpressions'), j))));
  objList(t.matchFields).forEach((r, j) => errs.push(...validateNodeFieldSelectorRequirement(r, index(child(p, 'matchFields'), j))));
  return errs;
}

export function validateNodeSelector(ns: unknown, p: string): FieldError[] {
  const terms = list(obj(ns).nodeSelectorTerms);
  const tp = child(p, 'nodeSelectorTerms');
  if (terms.length === 0) return [field.required(tp, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, index(tp, i)));
}

function validatePodAffinityTerm(term: Record<string, unknown>, p: string): FieldError[] {
  const errs = [...validateLabelSelector(term.labelSelector, child(p, 'labelSelector')), ...validateLabelSelector(term.namespaceSelector, child(p, 'namespaceSelector'))];
  for (const ns of strList(term.namespaces)) {
    for (const m of nameIsDNSLabel(ns, false)) errs.push(field.invalid(child(p, 'namespace'), ns, m));
  }
  for (const f of ['matchLabelKeys', 'mismatchLabelKeys']) {
    const keys = strList(term[f]);
    if (keys.length > 0 && !isSet(term.labelSelector)) errs.push(field.forbidden(child(p, f), 'must not be specified when labelSelector is not set'));
    else keys.forEach((k, i) => errs.push(...labelName(k, index(child(p, f), i))));
  }
  const topologyKey = str(term.topologyKey);
  if (topologyKey === '') errs.push(field.required(child(p, 'topologyKey'), 'can not be empty'));
  errs.push(...labelName(topologyKey, child(p, 'topologyKey')));
  return errs;
}

function validatePodAffinity(a: unknown, p: string): FieldError[] {
  const pa = obj(a);
  const errs: FieldError[] = [];
  const rp = child(p, 'requiredDuringSchedulingIgnoredDuringExecution');
  objList(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, index(rp, i))));
  const pp = child(p, 'preferredDuringSchedulingIgnoredDuringExecution');
  objList(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((w, j) => {
    const weight = num(w.weight) ?? 0;
    if (weight <= 0 || weight > 100) errs.push(field.invalid(child(index(pp, j), 'weight'), weight, 'must be in the range 1-100'));
    errs.push(...validatePodAffinityTerm(obj(w.podAffinityTerm), child(index(pp, j), 'podAffinityTerm')));
  });
  return errs;
}

export function validateAffinity(aV: unknown, p: string): FieldError[] {
  if (!isObj(aV)) return [];
  const errs: FieldError[] = [];
  if (isObj(aV.nodeAffinity)) {
    const na = aV.nodeAffinity;
    const np = child(p, 'nodeAffinity');
    if (isSet(na.requiredDuringSchedulingIgnoredDuringExecution)) {
      errs.push(...validateNodeSelector(na.requiredDuringSchedulingIgnoredDuringExecution, child(np, 'requiredDuringSchedulingIgnoredDuringExecution')));
    }
    const pp = child(np, 'preferredDuringSchedulingIgnoredDuringExecution');
    objList(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      const weight = num(t.weight) ?? 0;
      if (weight <= 0 || weight > 100) errs.push(field.invalid(child(index(pp, i), 'weight'), weight, 'must be in the range 1-100'));
      errs.push(...validateNodeSelectorTerm(t.preference, child(index(pp, i), 'preference')));
    });
  }
  if (isSet(aV.podAffinity)) errs.push(...validatePodAffinity(aV.podAffinity, child(p, 'podAffinity')));
  if (isSet(aV.podAntiAffinity)) errs.push(...validatePodAffinity(aV.podAntiAffinity, child(p, 'podAntiAffinity')));
  return errs;
}

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(effect: string, allowEmpty: boolean, p: string): FieldError[] {
  if (!allowEmpty && effect === '') return [field.required(p, '')];
  return taintEffects.includes(effect) ? [] : [field.notSupported(p, effect, taintEffects)];
}

export function validateTolerations(tolV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  objList(tolV).forEach((t, i) => {
    const ip = index(p, i);
    const k = str(t.key);
    const op = str(t.operator);
    const effect = str(t.effect);
    if (k !== '') errs.push(...labelName(k, child(ip, 'key')));
    if (k === '' && op !== 'Exists') {
      errs.push(field.invalid(child(ip, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (isSet(t.tolerationSeconds) && effect !== 'NoExecute') {
      errs.push(field.invalid(child(ip, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Equal' || op === '') {
      const msgs = isLabelValue(str(t.value));
      if (msgs.length > 0) errs.push(field.invalid(child(ip, 'operator'), str(t.value), msgs.join(';')));
    } else if (op === 'Exists') {
      if (str(t.value) !== '') errs.push(field.invalid(child(ip, 'operator'), str(t.value), "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(field.notSupported(child(ip, 'operator'), op, ['Equal', 'Exists']));
    }
    if (effect !== '') errs.push(...validateTaintEffect(effect, true, child(ip, 'effect')));
  });
  return errs;
}

export function validateTopologySpreadConstraints(cV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const constraints = objList(cV);
  constraints.forEach((c, i) => {
    const ip = index(p, i);
    const maxSkew = num(c.maxSkew) ?? 0;
    if (maxSkew <= 0) errs.push(field.invalid(child(ip, 'maxSkew'), maxSkew, 'must be greater than zero'));
    if (str(c.topologyKey) === '') errs.push(field.required(child(ip, 'topologyKey'), 'can not be empty'));
    const when = str(c.whenUnsatisfiable);
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(when)) errs.push(field.notSupported(child(ip, 'whenUnsatisfiable'), when, ['DoNotSchedule', 'ScheduleAnyway']));
    const dup = constraints.slice(i + 1).some((o) => str(o.topologyKey) === str(c.topologyKey) && str(o.whenUnsatisfiable) === when);
    if (dup) errs.push(field.duplicate(child(ip, '{topologyKey, whenUnsatisfiable}'), `{${str(c.topologyKey)}, ${when}}`));
    if (isSet(c.minDomains)) {
      const md = num(c.minDomains) ?? 0;
      if (md <= 0) errs.push(field.invalid(child(ip, 'minDomains'), md, 'must be greater than zero'));
      if (when !== 'DoNotSchedule') errs.push(field.invalid(child(ip, 'minDomains'), md, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy']) {
      if (isSet(c[f]) && !['Honor', 'Ignore'].includes(str(c[f]))) errs.push(field.notSupported(child(ip, f), str(c[f]), ['Honor', 'Ignore']));
    }
    errs.push(...validateLabelSelector(c.labelSelector, child(ip, 'labelSelector')));
  });
  return errs;
}
