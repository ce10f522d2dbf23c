// Pod create, update and status update (core validation's ValidatePodCreate, ValidatePodUpdate,
// ValidatePodStatusUpdate).

import { field, type FieldError } from '../errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { inclusiveRangeError, isQualifiedName, isValidIP, nameIsDNSSubdomain } from './names.js';
import { validatePodSpec, validatePodSpecificAnnotations } from './podspec.js';
import { specDiff } from './storage.js';
import { child, clone, goStringMap, immutable, index, isObj, isSet, list, num, obj, objList, semanticEqual, str, strEntries, type Obj } from './util.js';

const maxInt32 = 2147483647;
const mirrorAnnotation = 'kubernetes.io/config.mirror';

export const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** Spec checks plus the pod-only ones (upstream validatePodMetadataAndSpec without ObjectMeta). */
function validatePodSpecForPod(pod: Obj): FieldError[] {
  const meta = obj(pod.metadata);
  const spec = obj(pod.spec);
  const errs = [
    ...validatePodSpecificAnnotations(meta.annotations, spec, 'metadata.annotations'),
    ...validatePodSpec(spec, 'spec', { resourceIsPod: true, podName: str(meta.name) }),
  ];
  if (str(spec.serviceAccountName) === '') {
    objList(spec.volumes).forEach((v, vi) => {
      objList(obj(v.projected).sources).forEach((s, si) => {
        if (isSet(s.serviceAccountToken)) {
          errs.push(field.forbidden(`spec.volumes[${vi}].projected.sources[${si}].serviceAccountToken`, 'must not be specified when serviceAccountName is not set'));
        }
      });
    });
  }
  for (const kind of ['containers', 'initContainers']) {
    objList(spec[kind]).forEach((c, i) => {
      const image = str(c.image);
      if (image.length !== image.trim().length) errs.push(field.invalid(`spec.${kind}[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
  }
  return errs;
}

function validatePodIPs(pod: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const status = obj(pod.status);
  for (const f of ['podIPs', 'hostIPs']) {
    const seen = new Set<string>();
    objList(status[f]).forEach((ip, i) => {
      const p = index(`status.${f}`, i);
      const addr = str(ip.ip);
      for (const m of isValidIP(addr)) errs.push(field.invalid(p, addr, m));
      if (seen.has(addr)) errs.push(field.duplicate(p, ip));
      seen.add(addr);
    });
  }
  return errs;
}

export function validatePodCreate(pod: Obj): FieldError[] {
  const spec = obj(pod.spec);
  const errs = [...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain), ...validatePodSpecForPod(pod)];
  if (list(spec.ephemeralContainers).length > 0) errs.push(field.forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (str(spec.nodeName) !== '' && list(spec.schedulingGates).length > 0) {
    errs.push(field.forbidden('spec.nodeName', 'cannot be set until all schedulingGates have been cleared'));
  }
  errs.push(...validatePodIPs(pod));
  return errs;
}

function validatePodAnnotationUpdates(n: Obj, o: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const newA = Object.fromEntries(strEntries(obj(n.metadata).annotations));
  const oldA = Object.fromEntries(strEntries(obj(o.metadata).annotations));
  const p = 'metadata.annotations';
  for (const [k, v] of Object.entries(oldA)) {
    if (newA[k] === v) continue;
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/')) errs.push(field.forbidden(`${p}[${k}]`, 'may not remove or update AppArmor annotations'));
    if (k === mirrorAnnotation) errs.push(field.forbidden(`${p}[${k}]`, 'may not remove or update mirror pod annotation'));
  }
  for (const k of Object.keys(newA)) {
    if (k in oldA) continue;
    if (k.startsWith('container.apparmor.security.beta.kubernetes.io/')) errs.push(field.forbidden(`${p}[${k}]`, 'may not add AppArmor annotations'));
    if (k === mirrorAnnotation) errs.push(field.forbidden(`${p}[${k}]`, 'may not add mirror pod annotation'));
  }
  return errs;
}

function validateContainerUpdates(newV: unknown, oldV: unknown, p: string): { errs: FieldError[]; stop: boolean } {
  const next = objList(newV);
  if (next.length !== list(oldV).length) return { errs: [field.forbidden(p, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  next.forEach((c, i) => {
    if (str(c.image) === '') errs.push(field.required(child(index(p, i), 'image'), ''));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(newV: unknown, oldV: unknown, p: string): FieldError[] {
  const next = objList(newV);
  for (const old of objList(oldV)) {
    const found = next.some((t) => semanticEqual({ ...old, tolerationSeconds: t.tolerationSeconds }, t));
    if (!found) return [field.forbidden(p, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  // The new list itself is validated with the rest of the spec.
  return [];
}

function onlyDeletedSchedulingGates(newV: unknown, oldV: unknown, p: string): FieldError[] {
  const old = new Set(objList(oldV).map((g) => str(g.name)));
  const errs: FieldError[] = [];
  objList(newV).forEach((g, i) => {
    if (!old.has(str(g.name))) errs.push(field.forbidden(child(index(p, i), 'name'), `only deletion is allowed, but found new scheduling gate '${str(g.name)}'`));
  });
  return errs;
}

export function validatePodUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validatePodSpecForPod(n), ...validatePodAnnotationUpdates(n, o)];
  const newSpec = obj(n.spec);
  const oldSpec = obj(o.spec);
  for (const kind of ['containers', 'initContainers']) {
    const r = validateContainerUpdates(newSpec[kind], oldSpec[kind], `spec.${kind}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const adsPath = 'spec.activeDeadlineSeconds';
  const newAds = num(newSpec.activeDeadlineSeconds);
  const oldAds = num(oldSpec.activeDeadlineSeconds);
  if (newAds !== undefined) {
    if (newAds < 0 || newAds > maxInt32) return [...errs, field.invalid(adsPath, newAds, inclusiveRangeError(0, maxInt32))];
    if (oldAds !== undefined && oldAds < newAds) return [...errs, field.invalid(adsPath, newAds, 'must be less than or equal to previous value')];
  } else if (oldAds !== undefined) {
    errs.push(field.invalid(adsPath, null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(newSpec.tolerations, oldSpec.tolerations, 'spec.tolerations'));
  errs.push(...onlyDeletedSchedulingGates(newSpec.schedulingGates, oldSpec.schedulingGates, 'spec.schedulingGates'));
  if (semanticEqual(newSpec, oldSpec)) return errs;

  // Put the updatable fields back to their old values; anything still different is forbidden.
  const munged = clone(newSpec);
  for (const kind of ['containers', 'initContainers']) {
    const olds = objList(oldSpec[kind]);
    munged[kind] = objList(munged[kind]).map((c, i) => ({ ...c, image: olds[i]?.image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldGrace = num(oldSpec.terminationGracePeriodSeconds);
  if (oldGrace !== undefined && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  if (list(oldSpec.schedulingGates).length > 0 && !semanticEqual(munged.nodeSelector, oldSpec.nodeSelector)) {
    // Gated pods may gain node selector entries (no mutations or deletions).
    const next = Object.fromEntries(strEntries(munged.nodeSelector));
    const changed = strEntries(oldSpec.nodeSelector).some(([k, v]) => next[k] !== v);
    if (changed) errs.push(field.invalidRaw('spec.nodeSelector', goStringMap(munged.nodeSelector), 'only additions to spec.nodeSelector are allowed (no mutations or deletions)'));
    munged.nodeSelector = oldSpec.nodeSelector;
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(field.forbidden('spec', `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n${podSpecDiff(oldSpec, munged)}`));
  }
  return errs;
}

function podSpecDiff(oldSpec: Obj, newSpec: Obj): string {
  return `  core.PodSpec{\n${specDiff(oldSpec, newSpec)}\n  }\n`;
}

export function validatePodStatusUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validatePodAnnotationUpdates(n, o)];
  const status = obj(n.status);
  objList(status.conditions).forEach((c, i) => {
    const t = str(c.type);
    if (['PodScheduled', 'Ready', 'Initialized'].includes(t)) return;
    // Upstream reports these under metadata.conditions (its path variable still points there).
    for (const m of isQualifiedName(t)) errs.push(field.invalid(`metadata.conditions[${i}].Type`, t, m));
  });
  if (str(obj(n.spec).nodeName) !== str(obj(o.spec).nodeName)) errs.push(field.forbidden('status.nodeName', 'may not be changed directly'));
  const nominated = str(status.nominatedNodeName);
  if (nominated !== '' && nominated !== str(obj(o.status).nominatedNodeName)) {
    for (const m of nameIsDNSSubdomain(nominated, false)) errs.push(field.invalid('status.nominatedNodeName', nominated, m));
  }
  if (isObj(o.status) && isSet(o.status.qosClass)) {
    errs.push(...immutable(status.qosClass, o.status.qosClass, 'status.qosClass', (v) => JSON.stringify(str(v))));
  }
  errs.push(...validatePodIPs(n));
  const hostIPs = objList(status.hostIPs);
  if (hostIPs.length > 0 && str(status.hostIP) !== str(hostIPs[0]!.ip)) {
    errs.push(field.invalid('status.hostIPs[0].ip', str(hostIPs[0]!.ip), 'must be equal to `hostIP`'));
  }
  return errs;
}
