// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding.

import { field, type FieldError } from '../errors.js';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain, nameIsPathSegment } from './names.js';
import { child, index, isObj, list, obj, objList, str, type Obj } from './util.js';

const rbacGroup = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: Obj, namespaced: boolean, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (list(rule.verbs).length === 0) errs.push(field.required(child(p, 'verbs'), 'verbs must contain at least one value'));
  if (list(rule.nonResourceURLs).length > 0) {
    if (namespaced) errs.push(field.invalid(child(p, 'nonResourceURLs'), rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
    if (list(rule.apiGroups).length > 0 || list(rule.resources).length > 0 || list(rule.resourceNames).length > 0) {
      errs.push(field.invalid(child(p, 'nonResourceURLs'), rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (list(rule.apiGroups).length === 0) errs.push(field.required(child(p, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (list(rule.resources).length === 0) errs.push(field.required(child(p, 'resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRules(role: Obj, namespaced: boolean): FieldError[] {
  return objList(role.rules).flatMap((r, i) => validatePolicyRule(r, namespaced, index('rules', i)));
}

function validateAggregation(role: Obj): FieldError[] {
  if (!isObj(role.aggregationRule)) return [];
  const selectors = list(role.aggregationRule.clusterRoleSelectors);
  const p = 'aggregationRule.clusterRoleSelectors';
  if (selectors.length === 0) return [field.required(p, 'at least one clusterRoleSelector required if aggregationRule is non-nil')];
  return selectors.flatMap((s, i) => validateLabelSelector(s, index(p, i)));
}

function validateSubject(s: Obj, namespaced: boolean, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  const group = str(s.apiGroup);
  if (name === '') errs.push(field.required(child(p, 'name'), ''));
  switch (str(s.kind)) {
    case 'ServiceAccount':
      if (name !== '') for (const m of nameIsDNSSubdomain(name, false)) errs.push(field.invalid(child(p, 'name'), name, m));
      if (group !== '') errs.push(field.notSupported(child(p, 'apiGroup'), group, ['']));
      if (!namespaced && str(s.namespace) === '') errs.push(field.required(child(p, 'namespace'), ''));
      break;
    case 'User':
    case 'Group':
      if (group !== rbacGroup) errs.push(field.notSupported(child(p, 'apiGroup'), group, [rbacGroup]));
      break;
    default:
      errs.push(field.notSupported(child(p, 'kind'), str(s.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBindingBody(b: Obj, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj(b.roleRef);
  if (str(ref.apiGroup) !== rbacGroup) errs.push(field.notSupported('roleRef.apiGroup', str(ref.apiGroup), [rbacGroup]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(field.notSupported('roleRef.kind', str(ref.kind), kinds));
  const name = str(ref.name);
  if (name === '') errs.push(field.required('roleRef.name', ''));
  else for (const m of nameIsPathSegment(name, false)) errs.push(field.invalid('roleRef.name', name, m));
  objList(b.subjects).forEach((s, i) => errs.push(...validateSubject(s, namespaced, index('subjects', i))));
  return errs;
}

function goRoleRef(v: unknown): string {
  const r = obj(v);
  return `rbac.RoleRef{APIGroup:${JSON.stringify(str(r.apiGroup))}, Kind:${JSON.stringify(str(r.kind))}, Name:${JSON.stringify(str(r.name))}}`;
}

export type RbacKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

function body(kind: RbacKind, o: Obj): FieldError[] {
  switch (kind) {
    case 'Role':
      return validateRules(o, true);
    case 'ClusterRole':
      return [...validateRules(o, false), ...validateAggregation(o)];
    case 'RoleBinding':
      return validateBindingBody(o, true);
    case 'ClusterRoleBinding':
      return validateBindingBody(o, false);
  }
}

export function validateRbac(kind: RbacKind, o: Obj): FieldError[] {
  const namespaced = kind === 'Role' || kind === 'RoleBinding';
  return [...validateObjectMeta(o.metadata, namespaced, nameIsPathSegment), ...body(kind, o)];
}

export function validateRbacUpdate(kind: RbacKind, n: Obj, o: Obj): FieldError[] {
  const errs = [...body(kind, n), ...validateObjectMetaUpdate(n.metadata, o.metadata)];
  if (kind === 'RoleBinding' || kind === 'ClusterRoleBinding') {
    const a = obj(n.roleRef);
    const b = obj(o.roleRef);
    if (str(a.apiGroup) !== str(b.apiGroup) || str(a.kind) !== str(b.kind) || str(a.name) !== str(b.name)) {
      errs.push(field.invalidRaw('roleRef', goRoleRef(a), 'cannot change roleRef'));
    }
  }
  return errs;
}
