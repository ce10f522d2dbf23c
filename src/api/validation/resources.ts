// Resource names and quantities: container requests/limits, resource lists of quotas, limit ranges,
// node capacity. Messages follow core validation's validateResourceRequirements and friends.

import { field, type FieldError } from '../errors.js';
import { parseQuantity, quantityError, type Quantity } from '../quantity.js';
import { isQualifiedName } from './names.js';
import { child, isObj, key, type Obj } from './util.js';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);
const integerResources = new Set([
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

export function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

export function isHugePageResourceName(name: string): boolean {
  return name.startsWith('hugepages-');
}

export function isExtendedResourceName(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName('requests.' + name).length === 0;
}

/** Requests may be below limits (CPU, memory, storage), unlike hugepages and extended resources. */
export function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePageResourceName(name);
}

export function isIntegerResourceName(name: string): boolean {
  return integerResources.has(name) || isExtendedResourceName(name);
}

function isQuotaHugePages(name: string): boolean {
  return name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
}

export function validateResourceName(name: string, p: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => field.invalid(p, name, m));
  if (errs.length > 0) return errs;
  if (!name.includes('/') && !standardResources.has(name) && !isQuotaHugePages(name)) {
    errs.push(field.invalid(p, name, 'must be a standard resource type or fully qualified'));
  }
  return errs;
}

export function validateContainerResourceName(name: string, p: string): FieldError[] {
  const errs = validateResourceName(name, p);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePageResourceName(name)) {
      errs.push(field.invalid(p, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(field.invalid(p, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

export function validateQuotaResourceName(name: string, p: string): FieldError[] {
  const errs = validateResourceName(name, p);
  if (!name.includes('/') && !standardResources.has(name) && !isQuotaHugePages(name)) {
    errs.push(field.invalid(p, name, 'must be a standard resource for quota'));
  }
  return errs;
}

/**
 * Parses one quantity of a resource list. An unparsable value is reported here (upstream refuses
 * it while decoding, with the same text, as a 400).
 */
export function quantityAt(v: unknown, p: string, errs: FieldError[]): Quantity | undefined {
  const q = typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : null;
  if (q === null) errs.push(field.invalid(p, v, quantityError(v) ?? 'invalid quantity'));
  return q ?? undefined;
}

/** Upstream ValidateResourceQuantityValue: not negative, and whole for integer resources. */
export function validateResourceQuantityValue(name: string, q: Quantity, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign() < 0) errs.push(field.invalid(p, q.toString(), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(name) && q.milliValue() % 1000 !== 0) errs.push(field.invalid(p, q.toString(), 'must be an integer'));
  return errs;
}

/** Parses every entry of a resource list, validating names with `nameFn` and values. */
export function validateResourceList(
  listV: unknown,
  p: string,
  nameFn: (name: string, p: string) => FieldError[],
  errs: FieldError[],
): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!isObj(listV)) return out;
  for (const [name, v] of Object.entries(listV)) {
    const kp = key(p, name);
    errs.push(...nameFn(name, kp));
    const q = quantityAt(v, kp, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, kp));
    out.set(name, q);
  }
  return out;
}

/** Container (or pod-level) requests and limits. */
export function validateResourceRequirements(reqV: unknown, p: string): FieldError[] {
  const req: Obj = isObj(reqV) ? reqV : {};
  const errs: FieldError[] = [];
  const limPath = child(p, 'limits');
  const reqPath = child(p, 'requests');
  const limits = validateResourceList(req.limits, limPath, validateContainerResourceName, errs);
  let cpuOrMemory = false;
  let hugePages = false;
  for (const name of limits.keys()) {
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
    if (isHugePageResourceName(name)) hugePages = true;
  }
  const requests = validateResourceList(req.requests, reqPath, validateContainerResourceName, errs);
  for (const [name, q] of requests) {
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(field.invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        errs.push(field.invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(field.required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
    if (isHugePageResourceName(name)) hugePages = true;
  }
  if (hugePages && !cpuOrMemory) errs.push(field.forbidden(p, 'HugePages require cpu or memory'));
  return errs;
}
