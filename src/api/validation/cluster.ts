// Namespace, Node and Event (core/v1 and events.k8s.io/v1).

import { field, type FieldError } from '../errors.js';
import { validateTaintEffect } from './affinity.js';
import { goTime, validateFinalizerName, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Subdomain, isLabelValue, isQualifiedName, isValidCIDR, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import { quantityAt, validateResourceQuantityValue } from './resources.js';
import { child, goStringSlice, index, isObj, isSet, obj, objList, str, strList, type Obj } from './util.js';

export function validateNamespace(ns: Obj): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  // Each finalizer is reported at the list path (no index), as upstream does.
  for (const f of strList(obj(ns.spec).finalizers)) errs.push(...validateFinalizerName(f, 'spec.finalizers'));
  return errs;
}

export function validateNamespaceUpdate(n: Obj, o: Obj): FieldError[] {
  return validateObjectMetaUpdate(n.metadata, o.metadata);
}

export function validateNamespaceStatusUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const phase = str(obj(n.status).phase);
  if (!isSet(obj(n.metadata).deletionTimestamp)) {
    if (phase !== 'Active') errs.push(field.invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') {
    errs.push(field.invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  }
  return errs;
}

/** Taints; upstream reports them under metadata.taints (its path variable points at metadata). */
function validateTaints(taintsV: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Map<string, Set<string>>();
  objList(taintsV).forEach((t, i) => {
    const p = index('metadata.taints', i);
    const k = str(t.key);
    const effect = str(t.effect);
    for (const m of isQualifiedName(k)) errs.push(field.invalid(child(p, 'key'), k, m));
    const vm = isLabelValue(str(t.value));
    if (vm.length > 0) errs.push(field.invalid(child(p, 'value'), str(t.value), vm.join(';')));
    errs.push(...validateTaintEffect(effect, false, child(p, 'effect')));
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(k)) {
      errs.push(field.duplicateRaw(p, JSON.stringify(t), 'taints must be unique by key and effect pair'));
      return;
    }
    keys.add(k);
    seen.set(effect, keys);
  });
  return errs;
}

function validateNodeResources(node: Obj): FieldError[] {
  const errs: FieldError[] = [];
  for (const which of ['capacity', 'allocatable']) {
    for (const [k, v] of Object.entries(obj(obj(node.status)[which]))) {
      const p = `status.${which}.${k}`;
      const q = quantityAt(v, p, errs);
      if (q) errs.push(...validateResourceQuantityValue(k, q, p));
    }
  }
  return errs;
}

function validateNodeBody(node: Obj): FieldError[] {
  const spec = obj(node.spec);
  const errs = [...validateTaints(spec.taints), ...validateNodeResources(node)];
  const cidrs = strList(spec.podCIDRs);
  cidrs.forEach((c, i) => {
    for (const m of isValidCIDR(c)) errs.push(field.invalid(index('spec.podCIDRs', i), c, m));
  });
  if (cidrs.length > 1) {
    const v6 = cidrs.filter((c) => c.includes(':')).length;
    if (cidrs.length > 2 || v6 !== 1) errs.push(field.invalidRaw('spec.podCIDRs', goStringSlice(cidrs), 'may specify no more than one CIDR for each IP family'));
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(field.duplicate(index('spec.podCIDRs', i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNode(node: Obj): FieldError[] {
  return [...validateObjectMeta(node.metadata, false, nameIsDNSSubdomain), ...validateNodeBody(node)];
}

export function validateNodeUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateNodeBody(n)];
  const seen = new Set<string>();
  objList(obj(n.status).addresses).forEach((a, i) => {
    const k = `${str(a.type)}/${str(a.address)}`;
    if (seen.has(k)) errs.push(field.duplicate(index('status.addresses', i), a));
    seen.add(k);
  });
  const oldCIDRs = strList(obj(o.spec).podCIDRs);
  const newCIDRs = strList(obj(n.spec).podCIDRs);
  if (oldCIDRs.length > 0 && (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))) {
    errs.push(field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = str(obj(o.spec).providerID);
  if (oldProvider !== '' && oldProvider !== str(obj(n.spec).providerID)) {
    errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  if (str(obj(n.spec).externalID) !== str(obj(o.spec).externalID)) errs.push(field.forbidden('spec.externalID', 'may not be updated'));
  return errs;
}

const reportingInstanceLimit = 128;
const actionLimit = 128;
const reasonLimit = 128;
const noteLimit = 1024;

/** Core v1 Events keep the legacy rules; events.k8s.io/v1 Events need the newer fields. */
export function validateEvent(ev: Obj, eventsGroup: boolean): FieldError[] {
  const meta = obj(ev.metadata);
  const errs: FieldError[] = [];
  if (str(meta.name) === '' && str(meta.generateName) === '') errs.push(field.required('metadata.name', 'name or generateName is required'));
  const ns = str(meta.namespace);
  const involved = obj(eventsGroup ? ev.regarding : ev.involvedObject);
  const involvedPath = eventsGroup ? 'regarding.namespace' : 'involvedObject.namespace';
  const eventTime = ev.eventTime;
  const controllerField = eventsGroup ? 'reportingController' : 'reportingComponent';
  const controller = str(eventsGroup ? ev.reportingController : ev.reportingComponent);
  if (!isSet(eventTime) && !eventsGroup) {
    const ins = str(involved.namespace);
    if (ins === '' ? ns !== '' && ns !== 'default' : ns !== ins) errs.push(field.invalid(involvedPath, ins, 'does not match event.namespace'));
  } else {
    if (str(involved.namespace) === '' && ns !== 'default' && ns !== 'kube-system') errs.push(field.invalid(involvedPath, '', 'does not match event.namespace'));
    if (controller === '') errs.push(field.required(controllerField, ''));
    for (const m of isQualifiedName(controller)) errs.push(field.invalid(controllerField, controller, m));
    const instance = str(ev.reportingInstance);
    if (instance === '') errs.push(field.required('reportingInstance', ''));
    if (instance.length > reportingInstanceLimit) errs.push(field.invalid('reportingInstance', '', `can have at most ${reportingInstanceLimit} characters`));
    const action = str(ev.action);
    if (action === '') errs.push(field.required('action', ''));
    if (action.length > actionLimit) errs.push(field.invalid('action', '', `can have at most ${actionLimit} characters`));
    const reason = str(ev.reason);
    if (reason === '') errs.push(field.required('reason', ''));
    if (reason.length > reasonLimit) errs.push(field.invalid('reason', '', `can have at most ${reasonLimit} characters`));
    const note = str(eventsGroup ? ev.note : ev.message);
    if (note.length > noteLimit) errs.push(field.invalid(eventsGroup ? 'note' : 'message', '', `can have at most ${noteLimit} characters`));
    if (eventsGroup) {
      if (!isSet(eventTime)) errs.push(field.required('eventTime', ''));
      const type = str(ev.type);
      if (type !== 'Normal' && type !== 'Warning') errs.push(field.invalid('type', '', `has invalid value: ${type}`));
      if (isSet(ev.deprecatedFirstTimestamp)) errs.push(field.invalid('deprecatedFirstTimestamp', '', 'needs to be unset'));
      if (isSet(ev.deprecatedLastTimestamp)) errs.push(field.invalid('deprecatedLastTimestamp', '', 'needs to be unset'));
      if ((typeof ev.deprecatedCount === 'number' ? ev.deprecatedCount : 0) !== 0) errs.push(field.invalid('deprecatedCount', '', 'needs to be unset'));
      if (isObj(ev.series) && (typeof ev.series.count === 'number' ? ev.series.count : 0) < 2) {
        errs.push(field.invalid('series.count', '', 'should be at least 2'));
      }
    }
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(field.invalid('namespace', ns, m));
  return errs;
}

export function validateEventUpdate(n: Obj, o: Obj, eventsGroup: boolean): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateEvent(n, eventsGroup)];
  if (eventsGroup) {
    for (const f of ['regarding', 'related', 'reportingController', 'reportingInstance', 'action', 'reason', 'type']) {
      if (JSON.stringify(n[f] ?? null) !== JSON.stringify(o[f] ?? null)) errs.push(field.invalid(f, f === 'regarding' || f === 'related' ? n[f] : str(n[f]), 'field is immutable'));
    }
    if (isSet(o.eventTime) && goTime(n.eventTime) !== goTime(o.eventTime)) errs.push(field.invalid('eventTime', str(n.eventTime), 'field is immutable'));
  }
  return errs;
}
