// Pod volumes: unique DNS-label names and exactly one source each. The sources skiff can serve
// (emptyDir, hostPath, configMap, secret, persistentVolumeClaim, downwardAPI, projected, ephemeral,
// csi, nfs, image) are checked in detail; the remaining cloud sources only count as a source.

import { field, type FieldError } from '../errors.js';
import { validateObjectFieldSelector, validateResourceFieldSelector } from './containers.js';
import { isDNS1123Label, nameIsDNSSubdomain } from './names.js';
import { child, index, isObj, isSet, list, num, obj, objList, str, type Obj } from './util.js';
import { validatePersistentVolumeClaimSpec } from './storage.js';
import { validateTemplateObjectMeta } from './meta.js';
import { parseQuantity } from '../quantity.js';

const fileModeErrorMsg = 'must be a number between 0 and 0777 (octal), both inclusive';

/** Every VolumeSource member, in upstream's checking order. */
export const volumeSourceKinds = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
] as const;

/** Not absolute and no '..' element. */
export function validateLocalDescendingPath(target: string, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(field.invalid(p, target, 'must be a relative path'));
  errs.push(...validatePathNoBacksteps(target, p));
  return errs;
}

export function validatePathNoBacksteps(target: string, p: string): FieldError[] {
  return target.split('/').includes('..') ? [field.invalid(p, target, "must not contain '..'")] : [];
}

export function validateLocalNonReservedPath(target: string, p: string): FieldError[] {
  const errs = validateLocalDescendingPath(target, p);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(field.invalid(p, target, "must not start with '..'"));
  return errs;
}

function validateMode(v: unknown, p: string): FieldError[] {
  const mode = num(v);
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [field.invalid(p, mode, fileModeErrorMsg)] : [];
}

function validateKeyToPath(kp: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (str(kp.key) === '') errs.push(field.required(child(p, 'key'), ''));
  if (str(kp.path) === '') errs.push(field.required(child(p, 'path'), ''));
  errs.push(...validateLocalNonReservedPath(str(kp.path), child(p, 'path')));
  errs.push(...validateMode(kp.mode, child(p, 'mode')));
  return errs;
}

const volumeFieldPaths = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

function validateDownwardAPIFile(f: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (str(f.path) === '') errs.push(field.required(child(p, 'path'), ''));
  errs.push(...validateLocalNonReservedPath(str(f.path), child(p, 'path')));
  if (isSet(f.fieldRef)) {
    errs.push(...validateObjectFieldSelector(f.fieldRef, volumeFieldPaths, child(p, 'fieldRef')));
    if (isSet(f.resourceFieldRef)) errs.push(field.invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (isSet(f.resourceFieldRef)) {
    errs.push(...validateResourceFieldSelector(f.resourceFieldRef, child(p, 'resourceFieldRef'), true));
  } else {
    errs.push(field.required(p, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...validateMode(f.mode, child(p, 'mode')));
  return errs;
}

function validateProjected(src: Obj, p: string): FieldError[] {
  const errs = validateMode(src.defaultMode, child(p, 'defaultMode'));
  const paths = new Set<string>();
  const seen = (path: string, value: string) => {
    if (path === '') return;
    if (paths.has(path)) errs.push(field.invalid(p, value, 'conflicting duplicate paths'));
    paths.add(path);
  };
  objList(src.sources).forEach((s, i) => {
    const sp = index(child(p, 'sources'), i);
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      if (!isSet(s[kind])) continue;
      n++;
      const ref = obj(s[kind]);
      const kp = child(sp, kind);
      if (str(ref.name) === '') errs.push(field.required(child(kp, 'name'), ''));
      objList(ref.items).forEach((item, j) => {
        errs.push(...validateKeyToPath(item, index(child(kp, 'items'), j)));
        seen(str(item.path), str(ref.name));
      });
    }
    if (isSet(s.downwardAPI)) {
      n++;
      for (const f of objList(obj(s.downwardAPI).items)) {
        errs.push(...validateDownwardAPIFile(f, child(sp, 'downwardAPI')));
        seen(str(f.path), str(f.path));
      }
    }
    if (isSet(s.serviceAccountToken)) {
      n++;
      const t = obj(s.serviceAccountToken);
      const tp = child(sp, 'serviceAccountToken');
      const exp = num(t.expirationSeconds) ?? 0;
      if (exp < 600) errs.push(field.invalid(child(tp, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(field.invalid(child(tp, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      if (str(t.path) === '') errs.push(field.required(child(p, 'path'), ''));
      else errs.push(...validateLocalNonReservedPath(str(t.path), child(p, 'path')));
    }
    if (isSet(s.clusterTrustBundle)) {
      n++;
      const cp = child(sp, 'clusterTrustBundle');
      const b = obj(s.clusterTrustBundle);
      if (str(b.path) === '') errs.push(field.required(child(cp, 'path'), ''));
      errs.push(...validateLocalNonReservedPath(str(b.path), child(cp, 'path')));
      seen(str(b.path), str(b.path));
    }
    if (n > 1) errs.push(field.forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}

const hostPathTypes = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function validateSource(kind: string, src: Obj, p: string, volName: string, podName: string): FieldError[] {
  const errs: FieldError[] = [];
  switch (kind) {
    case 'emptyDir': {
      const limit = typeof src.sizeLimit === 'string' || typeof src.sizeLimit === 'number' ? parseQuantity(src.sizeLimit) : null;
      if (isSet(src.sizeLimit) && (limit === null || limit.sign() < 0)) errs.push(field.forbidden(child(p, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      if (isSet(src.medium) && !['', 'Memory', 'HugePages'].includes(str(src.medium)) && !str(src.medium).startsWith('HugePages-')) {
        errs.push(field.notSupported(child(p, 'medium'), str(src.medium), ['', 'Memory', 'HugePages']));
      }
      break;
    }
    case 'hostPath':
      if (str(src.path) === '') return [field.required(child(p, 'path'), '')];
      errs.push(...validatePathNoBacksteps(str(src.path), child(p, 'path')));
      if (isSet(src.type) && !hostPathTypes.includes(str(src.type))) errs.push(field.notSupported(child(p, 'type'), str(src.type), hostPathTypes));
      break;
    case 'secret':
      if (str(src.secretName) === '') errs.push(field.required(child(p, 'secretName'), ''));
      errs.push(...validateMode(src.defaultMode, child(p, 'defaultMode')));
      objList(src.items).forEach((kp, i) => errs.push(...validateKeyToPath(kp, index(child(p, 'items'), i))));
      break;
    case 'configMap':
      if (str(src.name) === '') errs.push(field.required(child(p, 'name'), ''));
      errs.push(...validateMode(src.defaultMode, child(p, 'defaultMode')));
      objList(src.items).forEach((kp, i) => errs.push(...validateKeyToPath(kp, index(child(p, 'items'), i))));
      break;
    case 'persistentVolumeClaim':
      if (str(src.claimName) === '') errs.push(field.required(child(p, 'claimName'), ''));
      break;
    case 'downwardAPI':
      errs.push(...validateMode(src.defaultMode, child(p, 'defaultMode')));
      for (const f of objList(src.items)) errs.push(...validateDownwardAPIFile(f, p));
      break;
    case 'projected':
      errs.push(...validateProjected(src, p));
      break;
    case 'nfs':
      if (str(src.server) === '') errs.push(field.required(child(p, 'server'), ''));
      if (str(src.path) === '') errs.push(field.required(child(p, 'path'), ''));
      if (!str(src.path).startsWith('/')) errs.push(field.invalid(child(p, 'path'), str(src.path), 'must be an absolute path'));
      break;
    case 'csi':
      if (str(src.driver) === '') errs.push(field.required(child(p, 'driver'), ''));
      break;
    case 'gitRepo':
      if (str(src.repository) === '') errs.push(field.required(child(p, 'repository'), ''));
      errs.push(...validateLocalDescendingPath(str(src.directory), child(p, 'directory')));
      break;
    case 'ephemeral':
      if (!isObj(src.volumeClaimTemplate)) {
        errs.push(field.required(child(p, 'volumeClaimTemplate'), ''));
      } else {
        const t = src.volumeClaimTemplate;
        const tp = child(p, 'volumeClaimTemplate');
        errs.push(...validateTemplateObjectMeta(t.metadata, child(tp, 'metadata')));
        errs.push(...validatePersistentVolumeClaimSpec(t.spec, child(tp, 'spec')));
        if (podName !== '' && volName !== '') {
          const pvc = `${podName}-${volName}`;
          for (const m of nameIsDNSSubdomain(pvc, false)) errs.push(field.invalid(child(p, 'name'), volName, `PVC name ${JSON.stringify(pvc)}: ${m}`));
        }
      }
      break;
    case 'image':
      if (isSet(src.pullPolicy) && !['Always', 'IfNotPresent', 'Never'].includes(str(src.pullPolicy))) {
        errs.push(field.notSupported(child(p, 'pullPolicy'), str(src.pullPolicy), ['Always', 'IfNotPresent', 'Never']));
      }
      break;
    default:
      break;
  }
  return errs;
}

/** Upstream validateVolumeSource: one source; a second one is reported where it appears. */
export function validateVolumeSource(vol: Obj, p: string, volName: string, podName: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const kind of volumeSourceKinds) {
    if (!isSet(vol[kind])) continue;
    if (n > 0) {
      errs.push(field.forbidden(child(p, kind), 'may not specify more than 1 volume type'));
      continue;
    }
    n++;
    errs.push(...validateSource(kind, obj(vol[kind]), child(p, kind), volName, podName));
  }
  if (n === 0) errs.push(field.required(p, 'must specify a volume type'));
  return errs;
}

/** Returns the valid volumes by name (for volume mounts) and the errors. */
export function validateVolumes(volumesV: unknown, podName: string, p: string): { volumes: Map<string, Obj>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const volumes = new Map<string, Obj>();
  const createdClaims = new Set(podName === '' ? [] : objList(volumesV).filter((v) => isSet(v.ephemeral)).map((v) => `${podName}-${str(v.name)}`));
  list(volumesV).forEach((raw, i) => {
    const vol = obj(raw);
    const ip = index(p, i);
    const name = str(vol.name);
    const el = validateVolumeSource(vol, ip, name, podName);
    if (name === '') el.push(field.required(child(ip, 'name'), ''));
    else for (const m of isDNS1123Label(name)) el.push(field.invalid(child(ip, 'name'), name, m));
    if (volumes.has(name)) el.push(field.duplicate(child(ip, 'name'), name));
    if (el.length === 0) volumes.set(name, vol);
    else errs.push(...el);
    const claim = str(obj(vol.persistentVolumeClaim).claimName);
    if (isSet(vol.persistentVolumeClaim) && createdClaims.has(claim)) {
      errs.push(field.invalid(child(ip, 'persistentVolumeClaim', 'claimName'), claim, 'must not reference a PVC that gets created for an ephemeral volume'));
    }
  });
  return { volumes, errs };
}
