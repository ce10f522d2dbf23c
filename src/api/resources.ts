// The built-in resources skiff serves: group, version, kind, names, scope and subresources as
// upstream Kubernetes declares them (what `kubectl api-resources` prints against a real cluster).

import { fromCoreEvent, toCoreEvent } from './conversion/events.js';

export type Subresource = 'status' | 'scale' | 'binding' | 'eviction';

export interface ResourceInfo {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural, the path segment: 'pods'. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: Subresource[];
  /** OpenAPI definition name of the kind, e.g. 'io.k8s.api.core.v1.Pod'. */
  definition: string;
  /** The resource has a status that is written only through /status. */
  hasStatus: boolean;
  /** Stored as another resource's objects (events.k8s.io Events are core Events), converted on the way. */
  storage?: StorageConversion;
}

export interface StorageConversion {
  group: string;
  plural: string;
  toStorage(obj: Record<string, unknown> & { metadata: Record<string, unknown> }): Record<string, unknown> & { metadata: Record<string, unknown> };
  fromStorage(obj: Record<string, unknown> & { metadata: Record<string, unknown> }): Record<string, unknown> & { metadata: Record<string, unknown> };
}

type Spec = {
  kind: string;
  plural?: string;
  namespaced?: boolean;
  short?: string[];
  cat?: string[];
  sub?: Subresource[];
  /** Package path of the OpenAPI definition, e.g. 'core' for io.k8s.api.core.v1. */
  pkg: string;
};

const verbsAll = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
export const resourceVerbs: readonly string[] = verbsAll;

function group(groupName: string, version: string, specs: Spec[]): ResourceInfo[] {
  return specs.map((s) => {
    const plural = s.plural ?? defaultPlural(s.kind);
    const sub = s.sub ?? [];
    return {
      group: groupName,
      version,
      kind: s.kind,
      plural,
      singular: s.kind.toLowerCase(),
      namespaced: s.namespaced ?? true,
      shortNames: s.short ?? [],
      categories: s.cat ?? [],
      subresources: sub,
      definition: `io.k8s.api.${s.pkg}.${version}.${s.kind}`,
      hasStatus: sub.includes('status'),
    };
  });
}

function defaultPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('s')) return lower + 'es';
  if (lower.endsWith('y')) return lower.slice(0, -1) + 'ies';
  return lower + 's';
}

export const builtinResources: ResourceInfo[] = [
  ...group('', 'v1', [
    { pkg: 'core', kind: 'Binding' },
    { pkg: 'core', kind: 'ConfigMap', short: ['cm'] },
    { pkg: 'core', kind: 'Endpoints', plural: 'endpoints', short: ['ep'] },
    { pkg: 'core', kind: 'Event', short: ['ev'] },
    { pkg: 'core', kind: 'LimitRange', short: ['limits'] },
    { pkg: 'core', kind: 'Namespace', namespaced: false, short: ['ns'], sub: ['status'] },
    { pkg: 'core', kind: 'Node', namespaced: false, short: ['no'], sub: ['status'] },
    { pkg: 'core', kind: 'PersistentVolumeClaim', short: ['pvc'], sub: ['status'] },
    { pkg: 'core', kind: 'PersistentVolume', namespaced: false, short: ['pv'], sub: ['status'] },
    { pkg: 'core', kind: 'Pod', short: ['po'], cat: ['all'], sub: ['status', 'binding', 'eviction'] },
    { pkg: 'core', kind: 'ResourceQuota', short: ['quota'], sub: ['status'] },
    { pkg: 'core', kind: 'Secret' },
    { pkg: 'core', kind: 'ServiceAccount', short: ['sa'] },
    { pkg: 'core', kind: 'Service', short: ['svc'], cat: ['all'], sub: ['status'] },
  ]),
  ...group('apps', 'v1', [
    { pkg: 'apps', kind: 'ControllerRevision' },
    { pkg: 'apps', kind: 'DaemonSet', short: ['ds'], cat: ['all'], sub: ['status'] },
    { pkg: 'apps', kind: 'Deployment', short: ['deploy'], cat: ['all'], sub: ['status', 'scale'] },
    { pkg: 'apps', kind: 'ReplicaSet', short: ['rs'], cat: ['all'], sub: ['status', 'scale'] },
    { pkg: 'apps', kind: 'StatefulSet', short: ['sts'], cat: ['all'], sub: ['status', 'scale'] },
  ]),
  ...group('batch', 'v1', [
    { pkg: 'batch', kind: 'CronJob', short: ['cj'], cat: ['all'], sub: ['status'] },
    { pkg: 'batch', kind: 'Job', cat: ['all'], sub: ['status'] },
  ]),
  ...group('coordination.k8s.io', 'v1', [{ pkg: 'coordination', kind: 'Lease' }]),
  ...group('discovery.k8s.io', 'v1', [{ pkg: 'discovery', kind: 'EndpointSlice' }]),
  ...group('events.k8s.io', 'v1', [{ pkg: 'events', kind: 'Event', short: ['ev'] }]).map((r) => ({
    ...r,
    storage: { group: '', plural: 'events', toStorage: toCoreEvent, fromStorage: fromCoreEvent },
  })),
  ...group('node.k8s.io', 'v1', [{ pkg: 'node', kind: 'RuntimeClass', namespaced: false }]),
  ...group('policy', 'v1', [{ pkg: 'policy', kind: 'PodDisruptionBudget', short: ['pdb'], sub: ['status'] }]),
  ...group('rbac.authorization.k8s.io', 'v1', [
    { pkg: 'rbac', kind: 'ClusterRoleBinding', namespaced: false },
    { pkg: 'rbac', kind: 'ClusterRole', namespaced: false },
    { pkg: 'rbac', kind: 'RoleBinding' },
    { pkg: 'rbac', kind: 'Role' },
  ]),
  ...group('scheduling.k8s.io', 'v1', [{ pkg: 'scheduling', kind: 'PriorityClass', namespaced: false, short: ['pc'] }]),
];

/** 'apps/v1' or 'v1' for the core group. */
export function groupVersion(r: { group: string; version: string }): string {
  return r.group === '' ? r.version : `${r.group}/${r.version}`;
}

/** Resources that are served (a Binding is only a subresource of pods, but upstream lists it). */
export function findResource(groupName: string, version: string, plural: string): ResourceInfo | undefined {
  return builtinResources.find((r) => r.group === groupName && r.version === version && r.plural === plural);
}

export function findKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return builtinResources.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}
