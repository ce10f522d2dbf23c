// Defaulting of the built-in kinds, as upstream's decoding applies its SetDefaults_* functions
// (plus the few strategy and admission steps whose results every client sees: a Job's generated
// selector, a pod's service account, a namespace's finalizer and name label, canonical quantities).
//
// Contract: mutates `obj` in place; runs before validation on create and on every update (upstream
// decodes, and so defaults, the whole object each time); idempotent; never throws, whatever the
// shape of `obj` (malformed fields are left for validation to report).

import type { ResourceInfo } from '../resources.js';
import { defaultEndpoints, defaultLimitRange, defaultNamespace, defaultNode, defaultResourceQuota, defaultSecret, defaultService } from './core.js';
import { defaultPod } from './pods.js';
import { defaultPV, defaultPVC } from './storage.js';
import { canonicalizeResourceList, defPtr, defStr, maybe, objects, type Obj } from './util.js';
import { defaultCronJob, defaultDaemonSet, defaultDeployment, defaultJob, defaultReplicaSet, defaultStatefulSet } from './workloads.js';

const rbacGroup = 'rbac.authorization.k8s.io';

function defaultBinding(b: Obj): void {
  const ref = maybe(b, 'roleRef');
  if (ref) defStr(ref, 'apiGroup', rbacGroup);
  for (const s of objects(b.subjects)) {
    if (typeof s.apiGroup === 'string' && s.apiGroup !== '') continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = rbacGroup;
  }
}

function defaultEndpointSlice(s: Obj): void {
  for (const port of objects(s.ports)) {
    defPtr(port, 'name', '');
    defPtr(port, 'protocol', 'TCP');
  }
}

const defaulters: Record<string, (o: Obj) => void> = {
  '/Endpoints': defaultEndpoints,
  '/LimitRange': defaultLimitRange,
  '/Namespace': defaultNamespace,
  '/Node': defaultNode,
  '/PersistentVolume': defaultPV,
  '/PersistentVolumeClaim': defaultPVC,
  '/Pod': defaultPod,
  '/ResourceQuota': defaultResourceQuota,
  '/Secret': defaultSecret,
  '/Service': defaultService,
  'apps/DaemonSet': defaultDaemonSet,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/StatefulSet': defaultStatefulSet,
  'batch/CronJob': defaultCronJob,
  'batch/Job': defaultJob,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'node.k8s.io/RuntimeClass': (o) => canonicalizeResourceList(maybe(o, 'overhead')?.podFixed, false),
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultBinding,
  'rbac.authorization.k8s.io/RoleBinding': defaultBinding,
  'scheduling.k8s.io/PriorityClass': (o) => defPtr(o, 'preemptionPolicy', 'PreemptLowerPriority'),
};

/** Applies upstream's defaults for the resource's kind to `obj`, in place. */
export function applyDefaults(resource: Pick<ResourceInfo, 'group' | 'kind'>, obj: Record<string, unknown>): void {
  defaulters[`${resource.group}/${resource.kind}`]?.(obj);
}

export { defaultPodSpec, defaultPodTemplateSpec, defaultContainer, imageTag } from './pods.js';
