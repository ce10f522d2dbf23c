// Validation of the built-in kinds, dispatched by group and kind. The API server calls these after
// applyDefaults (src/api/defaults) on every create, update and status update; a non-empty result
// becomes a 422 Invalid Status whose causes are the returned field errors.
//
// Contract: objects are decoded JSON of any shape; validators never throw and never mutate.

import { field, type FieldError } from '../errors.js';
import type { ResourceInfo } from '../resources.js';
import { validateJob, validateJobStatusUpdate, validateJobUpdate, validateCronJob, validateCronJobStatusUpdate, validateCronJobUpdate } from './batch.js';
import { validateEvent, validateEventUpdate, validateNamespace, validateNamespaceStatusUpdate, validateNamespaceUpdate, validateNode, validateNodeUpdate } from './cluster.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateSecret,
  validateSecretUpdate,
  validateServiceAccount,
  validateServiceAccountUpdate,
} from './config.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isDNS1123Subdomain, isValidIP, nameIsDNSSubdomain } from './names.js';
import {
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  validateLease,
  validateLeaseUpdate,
  validatePDB,
  validatePDBStatusUpdate,
  validatePDBUpdate,
  validatePriorityClass,
  validatePriorityClassUpdate,
  validateRuntimeClass,
  validateRuntimeClassUpdate,
} from './others.js';
import { validatePodCreate, validatePodStatusUpdate, validatePodUpdate } from './pods.js';
import { validateLimitRange, validateLimitRangeUpdate, validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from './quota.js';
import { validateRbac, validateRbacUpdate } from './rbac.js';
import { validateEndpoints, validateEndpointsUpdate, validateService, validateServiceUpdate } from './services.js';
import { validatePersistentVolume, validatePersistentVolumeClaim, validatePersistentVolumeClaimUpdate, validatePersistentVolumeUpdate } from './storage.js';
import { obj, objList, str, type Obj } from './util.js';
import { validateWorkload, validateWorkloadStatusUpdate, validateWorkloadUpdate } from './workloads.js';

interface KindValidators {
  create(o: Obj): FieldError[];
  update(n: Obj, o: Obj): FieldError[];
  /** Defaults to the metadata update rules. */
  status?(n: Obj, o: Obj): FieldError[];
}

function validateBinding(o: Obj): FieldError[] {
  const errs = validateObjectMeta(o.metadata, true, nameIsDNSSubdomain);
  const target = obj(o.target);
  if (str(target.kind) !== '' && str(target.kind) !== 'Node') errs.push(field.notSupported('target.kind', str(target.kind), ['Node', '<empty>']));
  if (str(target.name) === '') errs.push(field.required('target.name', ''));
  return errs;
}

function validateServiceStatus(n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const ingress = objList(obj(obj(n.status).loadBalancer).ingress);
  if (ingress.length > 0 && str(obj(n.spec).type) !== 'LoadBalancer') {
    errs.push(field.forbidden('status.loadBalancer.ingress', "may only be used when `spec.type` is 'LoadBalancer'"));
    return errs;
  }
  ingress.forEach((ing, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    if (str(ing.ip) !== '') for (const m of isValidIP(str(ing.ip))) errs.push(field.invalid(`${p}.ip`, str(ing.ip), m));
    if (str(ing.hostname) !== '') for (const m of isDNS1123Subdomain(str(ing.hostname))) errs.push(field.invalid(`${p}.hostname`, str(ing.hostname), m));
  });
  return errs;
}

const workload = (kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet'): KindValidators => ({
  create: (o) => validateWorkload(kind, o),
  update: (n, o) => validateWorkloadUpdate(kind, n, o),
  status: (n, o) => validateWorkloadStatusUpdate(kind, n, o),
});

const rbac = (kind: 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding'): KindValidators => ({
  create: (o) => validateRbac(kind, o),
  update: (n, o) => validateRbacUpdate(kind, n, o),
});

const validators: Record<string, KindValidators> = {
  '/Binding': { create: validateBinding, update: validateBinding },
  '/ConfigMap': { create: validateConfigMap, update: validateConfigMapUpdate },
  '/Endpoints': { create: validateEndpoints, update: validateEndpointsUpdate },
  '/Event': { create: (o) => validateEvent(o, false), update: (n, o) => validateEventUpdate(n, o, false) },
  '/LimitRange': { create: validateLimitRange, update: validateLimitRangeUpdate },
  '/Namespace': { create: validateNamespace, update: validateNamespaceUpdate, status: validateNamespaceStatusUpdate },
  '/Node': { create: validateNode, update: validateNodeUpdate, status: validateNodeUpdate },
  '/PersistentVolumeClaim': { create: validatePersistentVolumeClaim, update: validatePersistentVolumeClaimUpdate },
  '/PersistentVolume': { create: validatePersistentVolume, update: validatePersistentVolumeUpdate },
  '/Pod': { create: validatePodCreate, update: validatePodUpdate, status: validatePodStatusUpdate },
  '/ResourceQuota': { create: validateResourceQuota, update: validateResourceQuotaUpdate, status: validateResourceQuotaStatusUpdate },
  '/Secret': { create: validateSecret, update: validateSecretUpdate },
  '/ServiceAccount': { create: validateServiceAccount, update: validateServiceAccountUpdate },
  '/Service': { create: validateService, update: validateServiceUpdate, status: validateServiceStatus },
  'apps/DaemonSet': workload('DaemonSet'),
  'apps/Deployment': workload('Deployment'),
  'apps/ReplicaSet': workload('ReplicaSet'),
  'apps/StatefulSet': workload('StatefulSet'),
  'batch/CronJob': { create: validateCronJob, update: validateCronJobUpdate, status: validateCronJobStatusUpdate },
  'batch/Job': { create: validateJob, update: validateJobUpdate, status: validateJobStatusUpdate },
  'coordination.k8s.io/Lease': { create: validateLease, update: validateLeaseUpdate },
  'discovery.k8s.io/EndpointSlice': { create: validateEndpointSlice, update: validateEndpointSliceUpdate },
  'events.k8s.io/Event': { create: (o) => validateEvent(o, true), update: (n, o) => validateEventUpdate(n, o, true) },
  'node.k8s.io/RuntimeClass': { create: validateRuntimeClass, update: validateRuntimeClassUpdate },
  'policy/PodDisruptionBudget': { create: validatePDB, update: validatePDBUpdate, status: validatePDBStatusUpdate },
  'rbac.authorization.k8s.io/ClusterRoleBinding': rbac('ClusterRoleBinding'),
  'rbac.authorization.k8s.io/ClusterRole': rbac('ClusterRole'),
  'rbac.authorization.k8s.io/RoleBinding': rbac('RoleBinding'),
  'rbac.authorization.k8s.io/Role': rbac('Role'),
  'scheduling.k8s.io/PriorityClass': { create: validatePriorityClass, update: validatePriorityClassUpdate },
};

function lookup(resource: Pick<ResourceInfo, 'group' | 'kind' | 'namespaced'>): KindValidators {
  return (
    validators[`${resource.group}/${resource.kind}`] ?? {
      // A kind without specific rules still gets upstream's generic metadata checks.
      create: (o) => validateObjectMeta(o.metadata, resource.namespaced, nameIsDNSSubdomain),
      update: (n, o) => validateObjectMetaUpdate(n.metadata, o.metadata),
    }
  );
}

/** Errors for a new object (already defaulted). */
export function validateCreate(resource: ResourceInfo, obj: Record<string, unknown>): FieldError[] {
  return lookup(resource).create(obj);
}

/** Errors for replacing `old` with `obj` (already defaulted) through the main resource. */
export function validateUpdate(resource: ResourceInfo, obj: Record<string, unknown>, old: Record<string, unknown>): FieldError[] {
  return lookup(resource).update(obj, old);
}

/** Errors for a write through the /status subresource. */
export function validateStatusUpdate(resource: ResourceInfo, obj: Record<string, unknown>, old: Record<string, unknown>): FieldError[] {
  const v = lookup(resource);
  return v.status ? v.status(obj, old) : validateObjectMetaUpdate(obj.metadata, old.metadata);
}

export { cronScheduleError } from './cron.js';
export { labelSelectorMatches } from './meta.js';
