// Patch metadata of built-in types: the `patchStrategy`/`patchMergeKey` struct tags and the
// `+listType`/`+listMapKey` markers of upstream's Go types, which `kubernetes-types` does not
// carry. They become the `x-kubernetes-patch-*` and `x-kubernetes-list-*` extensions of the
// generated schemas, and drive strategic merge patch. Facts are taken from upstream's types
// (k8s.io/api v1.30) and its published OpenAPI documents; a field missing here is a list that a
// strategic merge patch replaces whole, which is also upstream's default.

import type { ListType, PatchStrategy } from './schema.js';

export interface FieldPatchMeta {
  strategy?: PatchStrategy;
  mergeKey?: string;
  listType?: ListType;
  listMapKeys?: string[];
}

type Table = Record<string, Record<string, FieldPatchMeta>>;

const atomic: FieldPatchMeta = { listType: 'atomic' };
const set: FieldPatchMeta = { strategy: 'merge', listType: 'set' };
/** A list merged by one key that is also its only list-map key. */
const byKey = (key: string, strategy: PatchStrategy = 'merge'): FieldPatchMeta => ({
  strategy,
  mergeKey: key,
  listType: 'map',
  listMapKeys: [key],
});
const conditions = byKey('type');

const containerLists: Record<string, FieldPatchMeta> = {
  // Strategic merge patch merges ports by containerPort alone; server-side apply keys them by
  // (containerPort, protocol).
  ports: { strategy: 'merge', mergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] },
  env: byKey('name'),
  envFrom: atomic,
  volumeMounts: byKey('mountPath'),
  volumeDevices: byKey('devicePath'),
  resizePolicy: atomic,
  command: atomic,
  args: atomic,
};

const core = 'io.k8s.api.core.v1.';
const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const apps = 'io.k8s.api.apps.v1.';

export const patchMeta: Table = {
  [meta + 'ObjectMeta']: {
    finalizers: set,
    ownerReferences: byKey('uid'),
    managedFields: atomic,
  },
  [meta + 'LabelSelector']: { matchExpressions: atomic },
  [meta + 'LabelSelectorRequirement']: { values: atomic },
  [meta + 'StatusDetails']: { causes: atomic },

  [core + 'PodSpec']: {
    volumes: byKey('name', 'merge,retainKeys'),
    initContainers: byKey('name'),
    containers: byKey('name'),
    ephemeralContainers: byKey('name'),
    imagePullSecrets: byKey('name'),
    hostAliases: byKey('ip'),
    tolerations: atomic,
    readinessGates: atomic,
    topologySpreadConstraints: {
      strategy: 'merge',
      mergeKey: 'topologyKey',
      listType: 'map',
      listMapKeys: ['topologyKey', 'whenUnsatisfiable'],
    },
    schedulingGates: byKey('name'),
    resourceClaims: byKey('name', 'merge,retainKeys'),
  },
  [core + 'Container']: containerLists,
  [core + 'EphemeralContainer']: containerLists,
  [core + 'PodStatus']: {
    conditions,
    podIPs: byKey('ip'),
    hostIPs: { strategy: 'merge', mergeKey: 'ip', listType: 'atomic' },
    initContainerStatuses: atomic,
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    resourceClaimStatuses: byKey('name', 'merge,retainKeys'),
  },
  [core + 'ContainerStatus']: { volumeMounts: byKey('mountPath') },
  [core + 'PodSecurityContext']: { supplementalGroups: atomic, sysctls: atomic },
  [core + 'Capabilities']: { add: atomic, drop: atomic },
  [core + 'PodDNSConfig']: { nameservers: atomic, searches: atomic, options: atomic },
  [core + 'HostAlias']: { hostnames: atomic },
  [core + 'ExecAction']: { command: atomic },
  [core + 'HTTPGetAction']: { httpHeaders: atomic },
  [core + 'ResourceRequirements']: { claims: { listType: 'map', listMapKeys: ['name'] } },
  [core + 'TopologySpreadConstraint']: { matchLabelKeys: atomic },
  [core + 'NodeSelector']: { nodeSelectorTerms: atomic },
  [core + 'NodeSelectorTerm']: { matchExpressions: atomic, matchFields: atomic },
  [core + 'NodeSelectorRequirement']: { values: atomic },
  [core + 'NodeAffinity']: { preferredDuringSchedulingIgnoredDuringExecution: atomic },
  [core + 'PodAffinity']: {
    requiredDuringSchedulingIgnoredDuringExecution: atomic,
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  [core + 'PodAntiAffinity']: {
    requiredDuringSchedulingIgnoredDuringExecution: atomic,
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  [core + 'PodAffinityTerm']: { namespaces: atomic, matchLabelKeys: atomic, mismatchLabelKeys: atomic },
  [core + 'ConfigMapVolumeSource']: { items: atomic },
  [core + 'SecretVolumeSource']: { items: atomic },
  [core + 'DownwardAPIVolumeSource']: { items: atomic },
  [core + 'ProjectedVolumeSource']: { sources: atomic },
  [core + 'ConfigMapProjection']: { items: atomic },
  [core + 'SecretProjection']: { items: atomic },
  [core + 'DownwardAPIProjection']: { items: atomic },

  [core + 'ServiceSpec']: {
    // Merged by port alone for strategic merge patch; keyed by (port, protocol) for apply.
    ports: { strategy: 'merge', mergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'] },
    clusterIPs: atomic,
    externalIPs: atomic,
    loadBalancerSourceRanges: atomic,
    ipFamilies: atomic,
  },
  [core + 'ServiceStatus']: { conditions },
  [core + 'LoadBalancerStatus']: { ingress: atomic },
  [core + 'LoadBalancerIngress']: { ports: atomic },
  [core + 'ServiceAccount']: { secrets: { strategy: 'merge', mergeKey: 'name' }, imagePullSecrets: atomic },

  [core + 'NodeSpec']: { podCIDRs: set, taints: atomic },
  [core + 'NodeStatus']: {
    conditions,
    addresses: byKey('type'),
    images: atomic,
    volumesInUse: atomic,
    volumesAttached: atomic,
  },
  [core + 'ContainerImage']: { names: atomic },
  [core + 'NamespaceSpec']: { finalizers: atomic },
  [core + 'NamespaceStatus']: { conditions },
  [core + 'PersistentVolumeSpec']: { accessModes: atomic, mountOptions: atomic },
  [core + 'PersistentVolumeClaimSpec']: { accessModes: atomic },
  [core + 'PersistentVolumeClaimStatus']: { accessModes: atomic, conditions },
  [core + 'ReplicationControllerStatus']: { conditions },
  [core + 'Endpoints']: { subsets: atomic },
  [core + 'EndpointSubset']: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  [core + 'LimitRangeSpec']: { limits: atomic },
  [core + 'ResourceQuotaSpec']: { scopes: atomic },
  [core + 'ScopeSelector']: { matchExpressions: atomic },
  [core + 'ScopedResourceSelectorRequirement']: { values: atomic },

  [apps + 'DeploymentSpec']: { strategy: { strategy: 'retainKeys' } },
  [apps + 'DeploymentStatus']: { conditions },
  [apps + 'ReplicaSetStatus']: { conditions },
  [apps + 'StatefulSetSpec']: { volumeClaimTemplates: atomic },
  [apps + 'StatefulSetStatus']: { conditions },
  [apps + 'DaemonSetStatus']: { conditions },

  'io.k8s.api.batch.v1.JobStatus': { conditions: { strategy: 'merge', mergeKey: 'type', listType: 'atomic' } },
  'io.k8s.api.batch.v1.CronJobStatus': { active: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicy': { rules: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': { onPodConditions: atomic },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: { listType: 'set' } },
  'io.k8s.api.batch.v1.SuccessPolicy': { rules: atomic },

  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions, currentMetrics: atomic },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: atomic },

  'io.k8s.api.discovery.v1.EndpointSlice': { endpoints: atomic, ports: atomic },
  'io.k8s.api.discovery.v1.Endpoint': { addresses: { listType: 'set' } },

  'io.k8s.api.rbac.v1.Role': { rules: atomic },
  'io.k8s.api.rbac.v1.ClusterRole': { rules: atomic },
  'io.k8s.api.rbac.v1.RoleBinding': { subjects: atomic },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': { subjects: atomic },
  'io.k8s.api.rbac.v1.PolicyRule': {
    verbs: atomic,
    apiGroups: atomic,
    resources: atomic,
    resourceNames: atomic,
    nonResourceURLs: atomic,
  },
  'io.k8s.api.rbac.v1.AggregationRule': { clusterRoleSelectors: atomic },

  'io.k8s.api.networking.v1.NetworkPolicySpec': { ingress: atomic, egress: atomic, policyTypes: atomic },
  'io.k8s.api.networking.v1.IngressSpec': { rules: atomic, tls: atomic },
  'io.k8s.api.node.v1.Scheduling': { tolerations: atomic },
};
