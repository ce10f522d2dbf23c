// The API objects of a simulated node, built as the kubelet builds them on registration: the Node
// (well-known labels, capacity, conditions with the kubelet's reasons, addresses, node info) and
// its heartbeat Lease in kube-node-lease. Pure functions of the options and the time.

import { createHash } from 'node:crypto';
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../apiserver/object.js';
import { nodeInternalIP } from './ipam.js';
import { simLabel, type ResolvedSimOptions } from './options.js';

export const leaseNamespace = 'kube-node-lease';
export const kubeletPort = 10250;

export function nodeName(prefix: string, index: number): string {
  return `${prefix}${index}`;
}

/** metav1.Time: RFC 3339, whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with six fractional digits, as Lease renewTime is written. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The labels the kubelet puts on its node, the user's, the zone, and the simulator's marker. */
export function nodeLabels(name: string, index: number, o: Pick<ResolvedSimOptions, 'labels' | 'zones'>): Record<string, string> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
  };
  if (o.zones > 0) labels['topology.kubernetes.io/zone'] = `zone-${index % o.zones}`;
  // The marker last: the sim finds its nodes by it.
  return { ...labels, ...o.labels, [simLabel]: 'true' };
}

type Pressure = { type: string; status: 'True' | 'False'; reason: string; message: string };

/** The kubelet's four conditions of a healthy node, in the order it reports them. */
const healthy: Pressure[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

/**
 * The conditions to post at `now`: heartbeat times are now; a transition time is kept from `prev`
 * when that condition's status is unchanged (as the kubelet does), else it is now.
 */
export function nodeConditions(now: number, prev: NodeCondition[] = []): NodeCondition[] {
  const t = rfc3339(now);
  return healthy.map((c) => {
    const old = prev.find((p) => p.type === c.type);
    const since = old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : t;
    return { ...c, lastHeartbeatTime: t, lastTransitionTime: since };
  });
}

/** True when what the API holds differs (in status, reason or message) from what a healthy kubelet reports. */
export function conditionsDiffer(current: NodeCondition[] | undefined): boolean {
  return healthy.some((c) => {
    const cur = current?.find((p) => p.type === c.type);
    return !cur || cur.status !== c.status || cur.reason !== c.reason || cur.message !== c.message;
  });
}

export function nodeCapacity(o: Pick<ResolvedSimOptions, 'cpu' | 'memory' | 'pods' | 'ephemeralStorage' | 'capacity' | 'allocatable'>): {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
} {
  const capacity = { cpu: o.cpu, memory: o.memory, pods: o.pods, 'ephemeral-storage': o.ephemeralStorage, 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', ...o.capacity };
  return { capacity, allocatable: { ...capacity, ...o.allocatable } };
}

function hashId(name: string, salt: string): string {
  return createHash('sha256').update(`${salt}/${name}`).digest('hex').slice(0, 32);
}

function uuidOf(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The full status the kubelet posts at registration (and re-posts on adoption). */
export function nodeStatus(name: string, index: number, o: ResolvedSimOptions, now: number, prev?: NodeCondition[]): Record<string, unknown> {
  const { capacity, allocatable } = nodeCapacity(o);
  return {
    capacity,
    allocatable,
    conditions: nodeConditions(now, prev),
    addresses: [
      { type: 'InternalIP', address: nodeInternalIP(index, o.nodeIpRange) },
      { type: 'Hostname', address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      machineID: hashId(name, 'machine'),
      systemUUID: uuidOf(hashId(name, 'system')),
      bootID: uuidOf(hashId(name, 'boot')),
      kernelVersion: '6.1.0-skiff-sim',
      osImage: 'skiff simulated node',
      containerRuntimeVersion: 'sim://0.1.0',
      kubeletVersion: o.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

export function buildNode(name: string, index: number, o: ResolvedSimOptions, now: number): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: nodeLabels(name, index, o),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: o.taints.length ? { taints: o.taints.map((t) => ({ ...t })) } : {},
    status: nodeStatus(name, index, o, now),
  };
}

/** The node's heartbeat Lease, owned by the Node so that deleting the node removes it. */
export function buildLease(name: string, nodeUid: string, leaseDurationSeconds: number, now: number, resourceVersion?: string): KObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: leaseNamespace,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }],
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    spec: { holderIdentity: name, leaseDurationSeconds, renewTime: microTime(now) },
  };
}

/**
 * When, within one renewal interval, node `i` of `n` renews: spread evenly so that 5,000 nodes
 * renewing every 10 s cost 500 writes a second, not 5,000 at once every 10 s.
 */
export function renewOffset(i: number, n: number, intervalMs: number): number {
  return n <= 0 ? 0 : Math.floor((i * intervalMs) / n);
}
