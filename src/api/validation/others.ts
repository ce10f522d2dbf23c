// Smaller kinds: Lease, EndpointSlice, PodDisruptionBudget, PriorityClass, RuntimeClass.

import { isIP } from 'node:net';
import { field, type FieldError } from '../errors.js';
import { validateTolerations } from './affinity.js';
import { validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Label, isDNS1123Subdomain, isLabelValue, isQualifiedName, isValidPortNum, nameIsDNSLabel, nameIsDNSSubdomain, nonSpecialIPErrors } from './names.js';
import { validateResourceRequirements } from './resources.js';
import { child, immutable, index, isObj, isSet, list, nonNegative, num, obj, objList, str, strEntries, type Obj } from './util.js';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from './workloads.js';

// ---- coordination.k8s.io/v1 Lease ----

function validateLeaseSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const d = num(spec.leaseDurationSeconds);
  if (d !== undefined && d <= 0) errs.push(field.invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  const t = num(spec.leaseTransitions);
  if (t !== undefined && t < 0) errs.push(field.invalid('spec.leaseTransitions', t, 'must be greater than or equal to 0'));
  return errs;
}

export function validateLease(o: Obj): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateLeaseSpec(obj(o.spec))];
}

export function validateLeaseUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateLeaseSpec(obj(n.spec))];
}

// ---- discovery.k8s.io/v1 EndpointSlice ----

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];

function validateFQDN(p: string, name: string): FieldError[] {
  if (name === '') return [field.required(p, '')];
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  const sub = isDNS1123Subdomain(n);
  if (sub.length > 0) return [field.invalid(p, n, sub.join(','))];
  if (n.split('.').length < 2) return [field.invalid(p, n, 'should be a domain with at least two segments separated by dots')];
  for (const label of n.split('.')) {
    const l = isDNS1123Label(label);
    if (l.length > 0) return [field.invalid(p, label, l.join(','))];
  }
  return [];
}

function validateSliceBody(s: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(s.addressType);
  if (type === '') errs.push(field.required('addressType', ''));
  else if (!addressTypes.includes(type)) errs.push(field.notSupported('addressType', type, addressTypes));
  const endpoints = objList(s.endpoints);
  if (endpoints.length > 1000) return [...errs, field.tooMany('endpoints', endpoints.length, 1000)];
  endpoints.forEach((ep, i) => {
    const ip = index('endpoints', i);
    const ap = child(ip, 'addresses');
    const addrs = list(ep.addresses).map(str);
    if (addrs.length === 0) errs.push(field.required(ap, 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(field.tooMany(ap, addrs.length, 100));
    addrs.forEach((a, j) => {
      const p = index(ap, j);
      if (type === 'IPv4' || type === 'IPv6') {
        const family = type === 'IPv4' ? 4 : 6;
        if (isIP(a) !== family) errs.push(field.invalid(p, a, `must be a valid ${type} address`));
        else for (const m of nonSpecialIPErrors(a)) errs.push(field.invalid(p, a, m));
      } else if (type === 'FQDN') {
        errs.push(...validateFQDN(p, a));
      }
    });
    if (isSet(ep.nodeName)) for (const m of nameIsDNSSubdomain(str(ep.nodeName), false)) errs.push(field.invalid(child(ip, 'nodeName'), str(ep.nodeName), m));
    const topo = strEntries(ep.deprecatedTopology);
    if (topo.length > 16) errs.push(field.tooMany(child(ip, 'deprecatedTopology'), topo.length, 16));
    errs.push(...validateLabels(ep.deprecatedTopology, child(ip, 'deprecatedTopology')));
    if (isSet(ep.zone)) for (const m of isLabelValue(str(ep.zone))) errs.push(field.invalid(child(ip, 'zone'), str(ep.zone), m));
    if (isSet(ep.hostname)) for (const m of isDNS1123Label(str(ep.hostname))) errs.push(field.invalid(child(ip, 'hostname'), str(ep.hostname), m));
  });
  const ports = objList(s.ports);
  if (ports.length > 20000) return [...errs, field.tooMany('ports', ports.length, 20000)];
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const pp = index('ports', i);
    const name = str(port.name);
    if (name !== '') for (const m of isDNS1123Label(name)) errs.push(field.invalid(child(pp, 'name'), name, m));
    if (names.has(name)) errs.push(field.duplicate(child(pp, 'name'), name));
    names.add(name);
    if (isSet(port.port)) for (const m of isValidPortNum(num(port.port) ?? 0)) errs.push(field.invalid(child(pp, 'port'), port.port, m));
    if (!isSet(port.protocol)) errs.push(field.required(child(pp, 'protocol'), ''));
    else if (!['SCTP', 'TCP', 'UDP'].includes(str(port.protocol))) errs.push(field.notSupported(child(pp, 'protocol'), str(port.protocol), ['SCTP', 'TCP', 'UDP']));
    if (isSet(port.appProtocol)) for (const m of isQualifiedName(str(port.appProtocol))) errs.push(field.invalid(child(pp, 'appProtocol'), str(port.appProtocol), m));
  });
  return errs;
}

export function validateEndpointSlice(o: Obj): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validateSliceBody(o)];
}

export function validateEndpointSliceUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateSliceBody(n), ...immutable(n.addressType, o.addressType, 'addressType', (v) => JSON.stringify(str(v)))];
}

// ---- policy/v1 PodDisruptionBudget ----

function validatePDBSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable)) errs.push(field.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!isSet(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`), ...isNotMoreThan100Percent(spec[f], `spec.${f}`));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  if (isSet(spec.unhealthyPodEvictionPolicy) && !['AlwaysAllow', 'IfHealthyBudget'].includes(str(spec.unhealthyPodEvictionPolicy))) {
    errs.push(field.notSupported('spec.unhealthyPodEvictionPolicy', str(spec.unhealthyPodEvictionPolicy), ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

export function validatePDB(o: Obj): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePDBSpec(obj(o.spec))];
}

export function validatePDBUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validatePDBSpec(obj(n.spec))];
}

export function validatePDBStatusUpdate(n: Obj, o: Obj): FieldError[] {
  const status = obj(n.status);
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']) errs.push(...nonNegative(status[f], `status.${f}`));
  return errs;
}

// ---- scheduling.k8s.io/v1 PriorityClass ----

const highestUserDefinablePriority = 1000000000;
const systemPriorityClasses: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

export function validatePriorityClass(o: Obj): FieldError[] {
  const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
  const name = str(obj(o.metadata).name);
  const value = num(o.value) ?? 0;
  if (name.startsWith('system-')) {
    const known = systemPriorityClasses[name];
    let why = '';
    if (known === undefined) why = `${name} is not a known system priority class`;
    else if (known !== value) why = `value of ${name} PriorityClass must be ${known}`;
    else if (o.globalDefault === true) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) errs.push(field.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > highestUserDefinablePriority) {
    errs.push(field.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
  }
  if (isSet(o.preemptionPolicy)) {
    const pp = str(o.preemptionPolicy);
    if (pp === '') errs.push(field.required('preemptionPolicy', ''));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(field.notSupported('preemptionPolicy', pp, ['PreemptLowerPriority', 'Never']));
  }
  return errs;
}

export function validatePriorityClassUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  if ((num(n.value) ?? 0) !== (num(o.value) ?? 0)) errs.push(field.forbidden('value', 'may not be changed in an update.'));
  errs.push(...immutable(n.preemptionPolicy, o.preemptionPolicy, 'preemptionPolicy', (v) => (isSet(v) ? JSON.stringify(str(v)) : 'null')));
  return errs;
}

// ---- node.k8s.io/v1 RuntimeClass ----

export function validateRuntimeClass(o: Obj): FieldError[] {
  const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
  const handler = str(o.handler);
  for (const m of nameIsDNSLabel(handler, false)) errs.push(field.invalid('handler', handler, m));
  if (isObj(o.overhead)) errs.push(...validateResourceRequirements({ limits: o.overhead.podFixed }, 'overhead.podFixed'));
  if (isObj(o.scheduling)) {
    errs.push(...validateLabels(o.scheduling.nodeSelector, 'scheduling.nodeSelector'));
    errs.push(...validateTolerations(o.scheduling.tolerations, 'scheduling.tolerations'));
  }
  return errs;
}

export function validateRuntimeClassUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...immutable(n.handler, o.handler, 'handler', (v) => JSON.stringify(str(v)))];
}
