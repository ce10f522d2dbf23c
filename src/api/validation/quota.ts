// LimitRange and ResourceQuota (core/v1).

import { field, type FieldError } from '../errors.js';
import type { Quantity } from '../quantity.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isQualifiedName, nameIsDNSSubdomain } from './names.js';
import { isOvercommitAllowed, quantityAt, validateContainerResourceName, validateQuotaResourceName, validateResourceName, validateResourceQuantityValue } from './resources.js';
import { child, index, isObj, key, list, obj, objList, str, strList, type Obj } from './util.js';

const standardLimitTypes = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function q(v: Quantity): string {
  return JSON.stringify(v.toString());
}

function limitItemMap(listV: unknown, type: string, p: string, errs: FieldError[], keys: Set<string>): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!isObj(listV)) return out;
  const nameFn = type === 'Pod' || type === 'Container' ? validateContainerResourceName : validateResourceName;
  for (const [k, v] of Object.entries(listV)) {
    errs.push(...nameFn(k, key(p, k)));
    keys.add(k);
    const quantity = quantityAt(v, key(p, k), errs);
    if (quantity) out.set(k, quantity);
  }
  return out;
}

function validateLimitRangeBody(lr: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  objList(obj(lr.spec).limits).forEach((limit, i) => {
    const ip = index('spec.limits', i);
    const type = str(limit.type);
    const typeErrs = isQualifiedName(type).map((m) => field.invalid(child(ip, 'type'), type, m));
    if (typeErrs.length === 0 && !type.includes('/') && !standardLimitTypes.has(type)) {
      typeErrs.push(field.invalid(child(ip, 'type'), type, 'must be a standard limit type or fully qualified'));
    }
    errs.push(...typeErrs);
    if (types.has(type)) errs.push(field.duplicate(child(ip, 'type'), type));
    types.add(type);
    const keys = new Set<string>();
    const max = limitItemMap(limit.max, type, child(ip, 'max'), errs, keys);
    const min = limitItemMap(limit.min, type, child(ip, 'min'), errs, keys);
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (Object.keys(obj(limit.default)).length > 0) errs.push(field.forbidden(child(ip, 'default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(obj(limit.defaultRequest)).length > 0) errs.push(field.forbidden(child(ip, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
    } else {
      defaults = limitItemMap(limit.default, type, child(ip, 'default'), errs, keys);
      defaultRequests = limitItemMap(limit.defaultRequest, type, child(ip, 'defaultRequest'), errs, keys);
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push(field.required(child(ip, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const ratios = limitItemMap(limit.maxLimitRequestRatio, type, child(ip, 'maxLimitRequestRatio'), errs, keys);
    for (const k of keys) {
      const mn = min.get(k);
      const mx = max.get(k);
      const df = defaults.get(k);
      const dr = defaultRequests.get(k);
      const ratio = ratios.get(k);
      if (mn && mx && mn.cmp(mx) > 0) errs.push(field.invalidRaw(key(child(ip, 'min'), k), q(mn), `min value ${mn} is greater than max value ${mx}`));
      if (dr && mn && mn.cmp(dr) > 0) errs.push(field.invalidRaw(key(child(ip, 'defaultRequest'), k), q(dr), `min value ${mn} is greater than default request value ${dr}`));
      if (dr && mx && dr.cmp(mx) > 0) errs.push(field.invalidRaw(key(child(ip, 'defaultRequest'), k), q(dr), `default request value ${dr} is greater than max value ${mx}`));
      if (dr && df && dr.cmp(df) > 0) errs.push(field.invalidRaw(key(child(ip, 'defaultRequest'), k), q(dr), `default request value ${dr} is greater than default limit value ${df}`));
      if (df && mn && mn.cmp(df) > 0) errs.push(field.invalidRaw(key(child(ip, 'default'), k), q(mn), `min value ${mn} is greater than default value ${df}`));
      if (df && mx && df.cmp(mx) > 0) errs.push(field.invalidRaw(key(child(ip, 'default'), k), q(mx), `default value ${df} is greater than max value ${mx}`));
      if (ratio && ratio.toNumber() < 1) errs.push(field.invalidRaw(key(child(ip, 'maxLimitRequestRatio'), k), q(ratio), `ratio ${ratio} is less than 1`));
      if (ratio && mn && mx && mn.toNumber() > 0) {
        const limit_ = mx.toNumber() / mn.toNumber();
        if (ratio.toNumber() > limit_) errs.push(field.invalidRaw(key(child(ip, 'maxLimitRequestRatio'), k), q(ratio), `ratio ${ratio} is greater than max/min = ${limit_.toFixed(6)}`));
      }
      if (!isOvercommitAllowed(k) && df && dr && df.cmp(dr) !== 0) {
        errs.push(field.invalidRaw(key(child(ip, 'defaultRequest'), k), q(dr), `default value ${df} must equal to defaultRequest value ${dr} in ${k}`));
      }
    }
  });
  return errs;
}

export function validateLimitRange(lr: Obj): FieldError[] {
  return [...validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain), ...validateLimitRangeBody(lr)];
}

export function validateLimitRangeUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateLimitRangeBody(n)];
}

const quotaScopes = new Set(['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity']);
const conflictingScopes = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

function validateHardList(listV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj(listV))) {
    const kp = key(p, k);
    errs.push(...validateQuotaResourceName(k, kp));
    const quantity = quantityAt(v, kp, errs);
    if (quantity) errs.push(...validateResourceQuantityValue(k, quantity, kp));
  }
  return errs;
}

function validateQuotaSpec(spec: Obj): FieldError[] {
  const errs = validateHardList(spec.hard, 'spec.hard');
  const scopes = strList(spec.scopes);
  for (const s of scopes) if (!quotaScopes.has(s)) errs.push(field.invalid('spec.scopes', spec.scopes, 'unsupported scope'));
  for (const pair of conflictingScopes) if (pair.every((s) => scopes.includes(s))) errs.push(field.invalid('spec.scopes', spec.scopes, 'conflicting scopes'));
  const exprs = objList(obj(spec.scopeSelector).matchExpressions);
  const selected: string[] = [];
  exprs.forEach((e) => {
    const p = 'spec.scopeSelector.matchExpressions';
    const scope = str(e.scopeName);
    const op = str(e.operator);
    if (!quotaScopes.has(scope)) errs.push(field.invalid(child(p, 'scopeName'), scope, 'unsupported scope'));
    if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(scope) && op !== 'Exists') {
      errs.push(
        field.invalid(
          child(p, 'operator'),
          op,
          "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    if (op === 'In' || op === 'NotIn') {
      if (list(e.values).length === 0) errs.push(field.required(child(p, 'values'), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (list(e.values).length !== 0) errs.push(field.invalid(child(p, 'values'), e.values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
    } else {
      errs.push(field.invalid(child(p, 'operator'), op, 'not a valid selector operator'));
    }
    selected.push(scope);
  });
  for (const pair of conflictingScopes) if (pair.every((s) => selected.includes(s))) errs.push(field.invalid('spec.scopeSelector.matchExpressions', spec.scopes ?? null, 'conflicting scopes'));
  return errs;
}

export function validateResourceQuota(rq: Obj): FieldError[] {
  const status = obj(rq.status);
  return [
    ...validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain),
    ...validateQuotaSpec(obj(rq.spec)),
    ...validateHardList(status.hard, 'status.hard'),
    ...validateHardList(status.used, 'status.used'),
  ];
}

export function validateResourceQuotaUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateQuotaSpec(obj(n.spec))];
  const newScopes = new Set(strList(obj(n.spec).scopes));
  const oldScopes = new Set(strList(obj(o.spec).scopes));
  if (newScopes.size !== oldScopes.size || [...newScopes].some((s) => !oldScopes.has(s))) {
    errs.push(field.invalid('spec.scopes', obj(n.spec).scopes ?? null, 'field is immutable'));
  }
  return errs;
}

export function validateResourceQuotaStatusUpdate(n: Obj, o: Obj): FieldError[] {
  const status = obj(n.status);
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateHardList(status.hard, 'status.hard'), ...validateHardList(status.used, 'status.used')];
}
