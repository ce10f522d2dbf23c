// PersistentVolume and PersistentVolumeClaim (core/v1).

import { field, type FieldError } from '../errors.js';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Subdomain, nameIsDNSLabel, nameIsDNSSubdomain } from './names.js';
import { quantityAt, validateResourceQuantityValue } from './resources.js';
import { validateNodeSelector } from './affinity.js';
import { child, clone, immutable, isObj, isSet, key, list, obj, str, strList, semanticEqual, type Obj } from './util.js';
import { validatePathNoBacksteps } from './volumes.js';

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const volumeModes = ['Block', 'Filesystem'];
const pvSourceKinds = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'flocker',
  'nfs',
  'rbd',
  'quobyte',
  'cephfs',
  'iscsi',
  'cinder',
  'fc',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];

function validateAccessModes(modesV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const m of strList(modesV)) {
    if (!accessModes.includes(m)) errs.push(field.notSupported(p, m, accessModes));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (accessModes.includes(m)) other = true;
  }
  if (rwop && other) errs.push(field.forbidden(p, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

function validateDataSource(dsV: unknown, p: string, withNamespace: boolean): FieldError[] {
  const ds = obj(dsV);
  const errs: FieldError[] = [];
  if (str(ds.name) === '') errs.push(field.required(child(p, 'name'), ''));
  if (str(ds.kind) === '') errs.push(field.required(child(p, 'kind'), ''));
  const group = str(ds.apiGroup);
  if (group === '' && str(ds.kind) !== 'PersistentVolumeClaim') {
    errs.push(field.invalid(p, str(ds.kind), "must be 'PersistentVolumeClaim' when referencing the default apiGroup"));
  }
  if (group !== '') for (const m of isDNS1123Subdomain(group)) errs.push(field.invalid(child(p, 'apiGroup'), group, m));
  const ns = str(ds.namespace);
  if (withNamespace && ns !== '') for (const m of nameIsDNSLabel(ns, false)) errs.push(field.invalid(child(p, 'namespace'), ns, m));
  return errs;
}

export function validatePersistentVolumeClaimSpec(specV: unknown, p: string): FieldError[] {
  const spec = obj(specV);
  const errs: FieldError[] = [];
  if (list(spec.accessModes).length === 0) errs.push(field.required(child(p, 'accessModes'), 'at least 1 access mode is required'));
  errs.push(...validateLabelSelector(spec.selector, child(p, 'selector')));
  errs.push(...validateAccessModes(spec.accessModes, child(p, 'accessModes')));
  const requests = obj(obj(spec.resources).requests);
  const sp = key(child(p, 'resources'), 'storage');
  if (!isSet(requests.storage)) {
    errs.push(field.required(sp, ''));
  } else {
    const q = quantityAt(requests.storage, sp, errs);
    if (q && q.sign() <= 0) errs.push(field.invalid(sp, q.toString(), 'must be greater than zero'));
    else if (q) errs.push(...validateResourceQuantityValue('storage', q, sp));
  }
  const sc = str(spec.storageClassName);
  if (sc !== '') for (const m of nameIsDNSSubdomain(sc, false)) errs.push(field.invalid(child(p, 'storageClassName'), sc, m));
  if (isSet(spec.volumeMode) && !volumeModes.includes(str(spec.volumeMode))) errs.push(field.notSupported(child(p, 'volumeMode'), str(spec.volumeMode), volumeModes));
  if (isSet(spec.dataSource)) errs.push(...validateDataSource(spec.dataSource, child(p, 'dataSource'), false));
  if (isSet(spec.dataSourceRef)) errs.push(...validateDataSource(spec.dataSourceRef, child(p, 'dataSourceRef'), true));
  const vac = spec.volumeAttributesClassName;
  if (typeof vac === 'string' && vac !== '') for (const m of nameIsDNSSubdomain(vac, false)) errs.push(field.invalid(child(p, 'volumeAttributesClassName'), vac, m));
  return errs;
}

export function validatePersistentVolumeClaim(o: Obj): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...validatePersistentVolumeClaimSpec(o.spec, 'spec')];
}

export function validatePersistentVolumeClaimUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validatePersistentVolumeClaimSpec(n.spec, 'spec')];
  const newSpec = clone(obj(n.spec));
  const oldSpec = clone(obj(o.spec));
  // The PV controller may fill volumeName once; bound claims may grow their storage request.
  if (str(oldSpec.volumeName) === '') oldSpec.volumeName = newSpec.volumeName;
  const phase = str(obj(n.status).phase) || str(obj(o.status).phase);
  const oldReq = obj(obj(oldSpec.resources).requests);
  if (phase === 'Bound' && isObj(obj(newSpec.resources).requests)) {
    (obj(newSpec.resources).requests as Obj).storage = oldReq.storage;
    if (isSet(newSpec.volumeAttributesClassName)) newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!semanticEqual(newSpec, oldSpec)) {
    errs.push(field.forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(oldSpec, newSpec)}`));
  }
  const scratch: FieldError[] = [];
  const newSize = quantityAt(obj(obj(obj(n.spec).resources).requests).storage, 'spec', scratch);
  const oldSize = quantityAt(oldReq.storage, 'spec', scratch);
  if (newSize && oldSize && newSize.cmp(oldSize) < 0) {
    errs.push(field.forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  errs.push(...immutable(obj(n.spec).volumeMode, obj(o.spec).volumeMode, 'volumeMode'));
  return errs;
}

/** A short textual diff for "immutable" messages (upstream prints go-cmp's diff of the structs). */
export function specDiff(oldV: Obj, newV: Obj): string {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (semanticEqual(a, b)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
      return;
    }
    lines.push(`- \t${path}: ${JSON.stringify(a ?? null)}`, `+ \t${path}: ${JSON.stringify(b ?? null)}`);
  };
  walk(oldV, newV, '');
  return lines.join('\n');
}

export function validatePersistentVolume(o: Obj): FieldError[] {
  const spec = obj(o.spec);
  const p = 'spec';
  const errs = validateObjectMeta(o.metadata, false, nameIsDNSSubdomain);
  if (list(spec.accessModes).length === 0) errs.push(field.required(child(p, 'accessModes'), ''));
  errs.push(...validateAccessModes(spec.accessModes, child(p, 'accessModes')));
  const capacity = obj(spec.capacity);
  const cp = child(p, 'capacity');
  if (Object.keys(capacity).length === 0) errs.push(field.required(cp, ''));
  if (!isSet(capacity.storage) || Object.keys(capacity).length > 1) errs.push(field.notSupported(cp, capacity, ['storage']));
  for (const [r, v] of Object.entries(capacity)) {
    const q = quantityAt(v, key(cp, r), errs);
    if (q && q.sign() < 0) errs.push(field.invalid(key(cp, r), q.value(), 'must be a valid resource quantity'));
    if (q && q.sign() <= 0) errs.push(field.invalid(key(cp, r), q.toString(), 'must be greater than zero'));
  }
  const reclaim = str(spec.persistentVolumeReclaimPolicy);
  if (reclaim !== '' && !reclaimPolicies.includes(reclaim)) errs.push(field.notSupported(child(p, 'persistentVolumeReclaimPolicy'), reclaim, reclaimPolicies));
  let hasAffinity = false;
  if (isObj(spec.nodeAffinity)) {
    hasAffinity = true;
    const np = child(p, 'nodeAffinity');
    if (isSet(spec.nodeAffinity.required)) errs.push(...validateNodeSelector(spec.nodeAffinity.required, child(np, 'required')));
    else errs.push(field.required(child(np, 'required'), 'must specify required node constraints'));
  }
  let sources = 0;
  for (const kind of pvSourceKinds) {
    if (!isSet(spec[kind])) continue;
    const kp = child(p, kind);
    if (sources > 0) {
      errs.push(field.forbidden(kp, 'may not specify more than 1 volume type'));
      continue;
    }
    sources++;
    const src = obj(spec[kind]);
    if (kind === 'hostPath' || kind === 'local') {
      if (str(src.path) === '') errs.push(field.required(child(kp, 'path'), ''));
      else errs.push(...validatePathNoBacksteps(str(src.path), child(kp, 'path')));
      if (kind === 'local' && !hasAffinity) errs.push(field.required(child(p, 'nodeAffinity'), 'Local volume requires node affinity'));
    } else if (kind === 'nfs') {
      if (str(src.server) === '') errs.push(field.required(child(kp, 'server'), ''));
      if (str(src.path) === '') errs.push(field.required(child(kp, 'path'), ''));
      if (!str(src.path).startsWith('/')) errs.push(field.invalid(child(kp, 'path'), str(src.path), 'must be an absolute path'));
    } else if (kind === 'csi') {
      if (str(src.driver) === '') errs.push(field.required(child(kp, 'driver'), ''));
      if (str(src.volumeHandle) === '') errs.push(field.required(child(kp, 'volumeHandle'), ''));
    }
  }
  if (sources === 0) errs.push(field.required(p, 'must specify a volume type'));
  const hostPath = str(obj(spec.hostPath).path).replace(/\/+$/, '');
  if (isSet(spec.hostPath) && hostPath === '' && str(obj(spec.hostPath).path) !== '' && reclaim === 'Recycle') {
    errs.push(field.forbidden(child(p, 'persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  }
  const sc = str(spec.storageClassName);
  if (sc !== '') for (const m of nameIsDNSSubdomain(sc, false)) errs.push(field.invalid(child(p, 'storageClassName'), sc, m));
  if (isSet(spec.volumeMode) && !volumeModes.includes(str(spec.volumeMode))) errs.push(field.notSupported(child(p, 'volumeMode'), str(spec.volumeMode), volumeModes));
  return errs;
}

export function validatePersistentVolumeUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validatePersistentVolume(n), ...validateObjectMetaUpdate(n.metadata, o.metadata)];
  const newSpec = obj(n.spec);
  const oldSpec = obj(o.spec);
  const newSrc: Obj = {};
  const oldSrc: Obj = {};
  for (const k of pvSourceKinds) {
    newSrc[k] = newSpec[k];
    oldSrc[k] = oldSpec[k];
  }
  // A CSI volume may gain a controllerExpandSecretRef after creation.
  if (isObj(oldSpec.csi) && !isSet(oldSpec.csi.controllerExpandSecretRef) && isObj(newSpec.csi)) {
    newSrc.csi = { ...newSpec.csi, controllerExpandSecretRef: undefined };
  }
  if (!semanticEqual(newSrc, oldSrc)) {
    errs.push(field.forbidden('spec.persistentvolumesource', `spec.persistentvolumesource is immutable after creation\n${specDiff(oldSrc, newSrc)}`));
  }
  errs.push(...immutable(newSpec.volumeMode, oldSpec.volumeMode, 'volumeMode'));
  if (isSet(oldSpec.nodeAffinity) && !semanticEqual(newSpec.nodeAffinity, oldSpec.nodeAffinity)) {
    errs.push(field.invalid('nodeAffinity', newSpec.nodeAffinity, 'field is immutable, except for updating from beta label to GA'));
  }
  return errs;
}
