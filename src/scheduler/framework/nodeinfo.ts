// NodeInfo operations: building one from a Node, adding and removing pods (resource sums, host
// ports, affinity lists), cloning. The cache owns the live NodeInfos; snapshots and preemption's
// what-if checks work on clones.
//
// Contract: every mutation bumps `generation` to a value larger than any handed out before in
// this process, so "changed since generation G" is a plain comparison.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../../api/quantity.js';
import type { NodeInfo, PodInfo, Resources } from './types.js';
import { emptyResources } from '../plugins/podinfo-terms.js';

let generationCounter = 0;

/** A process-wide strictly increasing generation. */
export function nextGeneration(): number {
  return ++generationCounter;
}

function quantityOf(v: string | number | undefined, milli: boolean): number {
  if (v === undefined) return 0;
  const q = parseQuantity(v);
  if (!q) return 0;
  return milli ? q.milliValue() : q.value();
}

function isScalarResource(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

/** node.status.allocatable in the scheduler's units (upstream NodeInfo.SetNode). */
export function allocatableOf(node: Node): Resources {
  const a = (node.status?.allocatable ?? {}) as Record<string, string>;
  const r = emptyResources();
  for (const [name, v] of Object.entries(a)) {
    if (name === 'cpu') r.milliCPU = quantityOf(v, true);
    else if (name === 'memory') r.memory = quantityOf(v, false);
    else if (name === 'ephemeral-storage') r.ephemeralStorage = quantityOf(v, false);
    else if (name === 'pods') r.pods = quantityOf(v, false);
    else if (isScalarResource(name)) r.scalar.set(name, quantityOf(v, false));
  }
  return r;
}

/** Image name → size from node.status.images (every name of an image maps to its size). */
export function imagesOf(node: Node): Map<string, number> {
  const m = new Map<string, number>();
  for (const img of node.status?.images ?? []) for (const n of img.names ?? []) m.set(n, img.sizeBytes ?? 0);
  return m;
}

/** A NodeInfo without a Node object yet (pods seen before their node) has a placeholder node. */
export function newNodeInfo(name: string, node?: Node): NodeInfo {
  const info: NodeInfo = {
    node: node ?? { metadata: { name } },
    name,
    pods: [],
    podsWithAffinity: [],
    podsWithRequiredAntiAffinity: [],
    allocatable: node ? allocatableOf(node) : emptyResources(),
    requested: emptyResources(),
    nonZeroRequested: { milliCPU: 0, memory: 0 },
    usedPorts: new Set(),
    images: node ? imagesOf(node) : new Map(),
    generation: nextGeneration(),
  };
  return info;
}

export function setNode(info: NodeInfo, node: Node): void {
  info.node = node;
  info.allocatable = allocatableOf(node);
  info.images = imagesOf(node);
  info.generation = nextGeneration();
}

function hasAffinity(p: PodInfo): boolean {
  return p.requiredAffinityTerms.length + p.requiredAntiAffinityTerms.length + p.preferredAffinityTerms.length + p.preferredAntiAffinityTerms.length > 0;
}

/** `ip/protocol/port` of every hostPort the pod asks for (containers and sidecars). */
export function hostPortsOf(pod: Pod): string[] {
  const out: string[] = [];
  const scan = (ports: { hostPort?: number; hostIP?: string; protocol?: string }[] | undefined) => {
    for (const p of ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push(`${p.hostIP || '0.0.0.0'}/${p.protocol || 'TCP'}/${p.hostPort}`);
    }
  };
  for (const c of pod.spec?.containers ?? []) scan(c.ports);
  for (const c of pod.spec?.initContainers ?? []) if (c.restartPolicy === 'Always') scan(c.ports);
  return out;
}

function addResources(into: Resources, r: Resources, sign: 1 | -1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + sign * v);
}

export function addPod(info: NodeInfo, p: PodInfo): void {
  info.pods.push(p);
  if (hasAffinity(p)) info.podsWithAffinity.push(p);
  if (p.requiredAntiAffinityTerms.length > 0) info.podsWithRequiredAntiAffinity.push(p);
  addResources(info.requested, p.requests, 1);
  info.nonZeroRequested.milliCPU += p.nonZeroRequests.milliCPU;
  info.nonZeroRequested.memory += p.nonZeroRequests.memory;
  for (const port of hostPortsOf(p.pod)) info.usedPorts.add(port);
  info.generation = nextGeneration();
}

function removeKey(list: PodInfo[], key: string): boolean {
  const i = list.findIndex((x) => x.key === key);
  if (i < 0) return false;
  list[i] = list[list.length - 1] as PodInfo;
  list.pop();
  return true;
}

/** Removes the pod with `key`; false when it is not on this node. */
export function removePod(info: NodeInfo, key: string): boolean {
  const i = info.pods.findIndex((x) => x.key === key);
  if (i < 0) return false;
  const p = info.pods[i] as PodInfo;
  info.pods.splice(i, 1);
  removeKey(info.podsWithAffinity, key);
  removeKey(info.podsWithRequiredAntiAffinity, key);
  addResources(info.requested, p.requests, -1);
  info.nonZeroRequested.milliCPU -= p.nonZeroRequests.milliCPU;
  info.nonZeroRequested.memory -= p.nonZeroRequests.memory;
  for (const port of hostPortsOf(p.pod)) info.usedPorts.delete(port);
  info.generation = nextGeneration();
  return true;
}

function cloneResources(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, pods: r.pods, scalar: new Map(r.scalar) };
}

/** A copy whose lists and sums can change without touching the original (pods are shared). */
export function cloneNodeInfo(info: NodeInfo): NodeInfo {
  return {
    node: info.node,
    name: info.name,
    pods: info.pods.slice(),
    podsWithAffinity: info.podsWithAffinity.slice(),
    podsWithRequiredAntiAffinity: info.podsWithRequiredAntiAffinity.slice(),
    allocatable: info.allocatable,
    requested: cloneResources(info.requested),
    nonZeroRequested: { ...info.nonZeroRequested },
    usedPorts: new Set(info.usedPorts),
    images: info.images,
    generation: info.generation,
  };
}
