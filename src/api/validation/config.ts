// ConfigMap, Secret and ServiceAccount (core/v1).

import { field, type FieldError } from '../errors.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isConfigMapKey, nameIsDNSSubdomain } from './names.js';
import { immutable, isObj, key, obj, semanticEqual, str, type Obj } from './util.js';

/** Upstream core.MaxSecretSize, which also bounds ConfigMaps. */
export const maxSecretSize = 1024 * 1024;

/**
 * Go's base64.StdEncoding rules (padding required, CR/LF ignored). Returns the decoded length, or
 * the byte offset of the first error as Go reports it.
 */
export function base64Check(s: string): { length: number } | { errorAt: number } {
  let n = 0;
  let pad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\r' || c === '\n') continue;
    if (c === '=') {
      pad++;
      continue;
    }
    if (pad > 0 || !/[A-Za-z0-9+/]/.test(c)) return { errorAt: i };
    n++;
  }
  const total = n + pad;
  if (total % 4 !== 0 || pad > 2 || (pad > 0 && (n + pad) % 4 !== 0)) return { errorAt: Math.floor(n / 4) * 4 };
  return { length: (total / 4) * 3 - pad };
}

function validateBase64Map(mapV: unknown, p: string, errs: FieldError[]): number {
  let size = 0;
  if (!isObj(mapV)) return size;
  for (const [k, v] of Object.entries(mapV)) {
    const r = base64Check(str(v));
    if ('errorAt' in r) errs.push(field.invalid(key(p, k), '<secret contents redacted>', `illegal base64 data at input byte ${r.errorAt}`));
    else size += r.length;
  }
  return size;
}

function validateKeys(mapV: unknown, p: string, errs: FieldError[]): void {
  for (const k of Object.keys(obj(mapV))) {
    for (const m of isConfigMapKey(k)) errs.push(field.invalid(key(p, k), k, m));
  }
}

function validateConfigMapBody(cm: Obj): FieldError[] {
  const errs: FieldError[] = [];
  validateKeys(cm.data, 'data', errs);
  const binary = obj(cm.binaryData);
  let size = 0;
  for (const [k, v] of Object.entries(obj(cm.data))) {
    if (k in binary) errs.push(field.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    size += Buffer.byteLength(str(v));
  }
  validateKeys(cm.binaryData, 'binaryData', errs);
  size += validateBase64Map(cm.binaryData, 'binaryData', errs);
  // Upstream reports the total size against the whole object (an empty field path).
  if (size > maxSecretSize) errs.push(field.tooLong('', '', maxSecretSize));
  return errs;
}

export function validateConfigMap(cm: Obj): FieldError[] {
  return [...validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain), ...validateConfigMapBody(cm)];
}

export function validateConfigMapUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  if (o.immutable === true) {
    if (n.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(n.data, o.data)) errs.push(field.forbidden('data', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(n.binaryData, o.binaryData)) errs.push(field.forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  return [...errs, ...validateConfigMapBody(n)];
}

function validateSecretBody(s: Obj): FieldError[] {
  const errs: FieldError[] = [];
  validateKeys(s.data, 'data', errs);
  const size = validateBase64Map(s.data, 'data', errs);
  if (size > maxSecretSize) errs.push(field.tooLong('data', '', maxSecretSize));
  const data = obj(s.data);
  const has = (k: string) => k in data;
  const annotations = obj(obj(s.metadata).annotations);
  switch (str(s.type)) {
    case 'kubernetes.io/service-account-token':
      if (str(annotations['kubernetes.io/service-account.name']) === '') {
        errs.push(field.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(field.required('data[.dockercfg]', ''));
      else if (!isJSONObject(str(data['.dockercfg']))) errs.push(field.invalid('data[.dockercfg]', '<secret contents redacted>', 'invalid character in JSON'));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(field.required('data[.dockerconfigjson]', ''));
      else if (!isJSONObject(str(data['.dockerconfigjson']))) errs.push(field.invalid('data[.dockerconfigjson]', '<secret contents redacted>', 'invalid character in JSON'));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(field.required('data[username]', ''), field.required('data[password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (str(data['ssh-privatekey']) === '') errs.push(field.required('data[ssh-privatekey]', ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(field.required('data[tls.crt]', ''));
      if (!has('tls.key')) errs.push(field.required('data[tls.key]', ''));
      break;
    default:
      break;
  }
  return errs;
}

function isJSONObject(b64: string): boolean {
  try {
    const v: unknown = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    return isObj(v);
  } catch {
    return false;
  }
}

export function validateSecret(s: Obj): FieldError[] {
  return [...validateObjectMeta(s.metadata, true, nameIsDNSSubdomain), ...validateSecretBody(s)];
}

export function validateSecretUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...immutable(n.type, o.type, 'type', (v) => JSON.stringify(str(v)))];
  if (o.immutable === true) {
    if (n.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(n.data, o.data)) errs.push(field.forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return [...errs, ...validateSecretBody(n)];
}

export function validateServiceAccount(sa: Obj): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}

export function validateServiceAccountUpdate(n: Obj, o: Obj): FieldError[] {
  return validateObjectMetaUpdate(n.metadata, o.metadata);
}
