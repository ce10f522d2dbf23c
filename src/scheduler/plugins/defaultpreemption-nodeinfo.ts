// What-if copies of a NodeInfo for preemption's dry runs: the node without a pod, or with one
// more. The snapshot's NodeInfo is never modified; each result is a fresh object with the sums,
// pod lists and host ports adjusted the way the scheduler cache keeps them.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo, PodInfo, Resources } from '../framework/types.js';

function samePod(a: PodInfo, b: PodInfo): boolean {
  const ua = a.pod.metadata?.uid;
  const ub = b.pod.metadata?.uid;
  return ua && ub ? ua === ub : a.key === b.key;
}

/** `ip/protocol/port` keys of the pod's host ports (containers and sidecars). */
export function hostPortKeys(pod: Pod): string[] {
  const keys: string[] = [];
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      keys.push(`${p.hostIP || '0.0.0.0'}/${p.protocol || 'TCP'}/${p.hostPort}`);
    }
  }
  return keys;
}

function hasPodAffinity(pi: PodInfo): boolean {
  const a = pi.pod.spec?.affinity;
  return !!(a?.podAffinity || a?.podAntiAffinity);
}

function sum(a: Resources, b: Resources, sign: 1 | -1): Resources {
  const scalar = new Map(a.scalar);
  for (const [k, v] of b.scalar) scalar.set(k, (scalar.get(k) ?? 0) + sign * v);
  return {
    milliCPU: a.milliCPU + sign * b.milliCPU,
    memory: a.memory + sign * b.memory,
    ephemeralStorage: a.ephemeralStorage + sign * b.ephemeralStorage,
    pods: a.pods,
    scalar,
  };
}

function rebuilt(ni: NodeInfo, pods: PodInfo[], pi: PodInfo, sign: 1 | -1, usedPorts: Set<string>): NodeInfo {
  return {
    ...ni,
    pods,
    podsWithAffinity: pods.filter(hasPodAffinity),
    podsWithRequiredAntiAffinity: pods.filter((p) => p.requiredAntiAffinityTerms.length > 0),
    requested: sum(ni.requested, pi.requests, sign),
    nonZeroRequested: {
      milliCPU: ni.nonZeroRequested.milliCPU + sign * pi.nonZeroRequests.milliCPU,
      memory: ni.nonZeroRequested.memory + sign * pi.nonZeroRequests.memory,
    },
    usedPorts,
    generation: ni.generation + 1,
  };
}

/** The node as if `pi` were not on it (unchanged copy when it is not). */
export function withoutPod(ni: NodeInfo, pi: PodInfo): NodeInfo {
  const i = ni.pods.findIndex((p) => samePod(p, pi));
  if (i < 0) return { ...ni };
  const removed = ni.pods[i]!;
  const pods = ni.pods.filter((_, j) => j !== i);
  const ports = new Set(ni.usedPorts);
  const stillUsed = new Set(pods.flatMap((p) => hostPortKeys(p.pod)));
  for (const k of hostPortKeys(removed.pod)) if (!stillUsed.has(k)) ports.delete(k);
  return rebuilt(ni, pods, removed, -1, ports);
}

/** The node as if `pi` were also on it. */
export function withPod(ni: NodeInfo, pi: PodInfo): NodeInfo {
  const ports = new Set(ni.usedPorts);
  for (const k of hostPortKeys(pi.pod)) ports.add(k);
  return rebuilt(ni, [...ni.pods, pi], pi, 1, ports);
}
