// Resource-allocation scoring shared by NodeResourcesFit (its scoring strategies) and
// NodeResourcesBalancedAllocation, as upstream's resourceAllocationScorer.
//
// For each configured resource: allocatable and requested-after-placing-the-pod on the node.
// cpu and memory use the non-zero requests (100m / 200Mi for containers without one) unless
// `useRequested`; a resource with zero allocatable is left out; an extended resource the pod
// does not request is left out.

import type { NodeInfo, PodInfo } from '../../framework/types.js';
import { maxNodeScore } from '../../framework/types.js';

export interface ResourceSpec {
  name: string;
  weight: number;
}

export const defaultResources: ResourceSpec[] = [
  { name: 'cpu', weight: 1 },
  { name: 'memory', weight: 1 },
];

function isScalar(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

/** The pod's request of each resource, in the order of `resources`. */
export function podRequestList(pod: PodInfo, resources: ResourceSpec[], useRequested: boolean): number[] {
  return resources.map((r) => {
    switch (r.name) {
      case 'cpu':
        return useRequested ? pod.requests.milliCPU : pod.nonZeroRequests.milliCPU;
      case 'memory':
        return useRequested ? pod.requests.memory : pod.nonZeroRequests.memory;
      case 'ephemeral-storage':
        return pod.requests.ephemeralStorage;
      default:
        return pod.requests.scalar.get(r.name) ?? 0;
    }
  });
}

export type Scorer = (requested: number[], allocatable: number[]) => number;

// Scratch buffers reused by every call: scoring is synchronous and scorers do not keep them.
let requestedBuf: number[] = [];
let allocatableBuf: number[] = [];

/**
 * Runs `scorer` over the resources of one node: per resource its allocatable and the requests
 * after placing the pod (0 and 0 to leave a resource out). The scheduler's hottest function (every
 * scored node, twice): it writes into reused buffers and allocates nothing.
 */
export function scoreNode(node: NodeInfo, resources: ResourceSpec[], podRequests: number[], useRequested: boolean, scorer: Scorer): number {
  const n = resources.length;
  if (requestedBuf.length !== n) {
    requestedBuf = new Array<number>(n).fill(0);
    allocatableBuf = new Array<number>(n).fill(0);
  }
  const requested = requestedBuf;
  const allocatable = allocatableBuf;
  for (let i = 0; i < n; i++) {
    const name = (resources[i] as ResourceSpec).name;
    const podRequest = podRequests[i] as number;
    let alloc = 0;
    let req = 0;
    if (name === 'cpu') {
      alloc = node.allocatable.milliCPU;
      req = (useRequested ? node.requested.milliCPU : node.nonZeroRequested.milliCPU) + podRequest;
    } else if (name === 'memory') {
      alloc = node.allocatable.memory;
      req = (useRequested ? node.requested.memory : node.nonZeroRequested.memory) + podRequest;
    } else if (name === 'ephemeral-storage') {
      alloc = node.allocatable.ephemeralStorage;
      req = node.requested.ephemeralStorage + podRequest;
    } else if (podRequest !== 0 || !isScalar(name)) {
      alloc = node.allocatable.scalar.get(name) ?? 0;
      req = (node.requested.scalar.get(name) ?? 0) + podRequest;
    }
    allocatable[i] = alloc;
    requested[i] = alloc === 0 ? 0 : req;
  }
  return scorer(requested, allocatable);
}

function weightedAverage(resources: ResourceSpec[], requested: number[], allocatable: number[], score: (req: number, cap: number) => number): number {
  let total = 0;
  let weights = 0;
  for (let i = 0; i < requested.length; i++) {
    const cap = allocatable[i] as number;
    if (cap === 0) continue;
    const w = (resources[i] as ResourceSpec).weight;
    total += score(requested[i] as number, cap) * w;
    weights += w;
  }
  return weights === 0 ? 0 : Math.floor(total / weights);
}

/** LeastAllocated: (capacity - requested) * 100 / capacity, weighted. */
export function leastAllocatedScorer(resources: ResourceSpec[]): Scorer {
  return (req, cap) => weightedAverage(resources, req, cap, (r, c) => (r > c ? 0 : Math.floor(((c - r) * maxNodeScore) / c)));
}

/** MostAllocated: requested * 100 / capacity (requested capped at capacity), weighted. */
export function mostAllocatedScorer(resources: ResourceSpec[]): Scorer {
  return (req, cap) => weightedAverage(resources, req, cap, (r, c) => Math.floor((Math.min(r, c) * maxNodeScore) / c));
}

export interface ShapePoint {
  utilization: number;
  score: number;
}

/** A broken linear function through the shape points (scores already scaled to 0..100). */
export function brokenLinear(shape: ShapePoint[]): (p: number) => number {
  return (p) => {
    for (let i = 0; i < shape.length; i++) {
      const cur = shape[i] as ShapePoint;
      if (p <= cur.utilization) {
        if (i === 0) return cur.score;
        const prev = shape[i - 1] as ShapePoint;
        return prev.score + Math.trunc(((cur.score - prev.score) * (p - prev.utilization)) / (cur.utilization - prev.utilization));
      }
    }
    return (shape[shape.length - 1] as ShapePoint).score;
  };
}

/**
 * RequestedToCapacityRatio: each resource scored by the shape at its utilization (shape scores
 * 0..10 scaled by 10); only positive scores count; the weighted mean is rounded.
 */
export function requestedToCapacityRatioScorer(resources: ResourceSpec[], shape: ShapePoint[]): Scorer {
  const f = brokenLinear(shape.map((p) => ({ utilization: p.utilization, score: p.score * (maxNodeScore / 10) })));
  const resourceScore = (r: number, c: number) => (c === 0 || r > c ? f(100) : f(Math.floor((r * 100) / c)));
  return (req, cap) => {
    let total = 0;
    let weights = 0;
    for (let i = 0; i < req.length; i++) {
      if ((cap[i] as number) === 0) continue;
      const w = (resources[i] as ResourceSpec).weight;
      const s = resourceScore(req[i] as number, cap[i] as number);
      if (s > 0) {
        total += s * w;
        weights += w;
      }
    }
    return weights === 0 ? 0 : Math.round(total / weights);
  };
}

const fractionBuf: number[] = [];

/** BalancedAllocation: (1 - standard deviation of the requested fractions) * 100. */
export const balancedScorer: Scorer = (req, cap) => {
  const fractions: number[] = fractionBuf;
  fractions.length = 0;
  let total = 0;
  for (let i = 0; i < req.length; i++) {
    if ((cap[i] as number) === 0) continue;
    const f = Math.min(1, (req[i] as number) / (cap[i] as number));
    total += f;
    fractions.push(f);
  }
  let std = 0;
  if (fractions.length === 2) std = Math.abs(((fractions[0] as number) - (fractions[1] as number)) / 2);
  else if (fractions.length > 2) {
    const mean = total / fractions.length;
    let sum = 0;
    for (const f of fractions) sum += (f - mean) * (f - mean);
    std = Math.sqrt(sum / fractions.length);
  }
  return Math.trunc((1 - std) * maxNodeScore);
};

/** Validates resource specs (upstream validateResources): a name each, weight in [1, 100]. */
export function parseResources(v: unknown, path: string): ResourceSpec[] {
  if (v === undefined || v === null) return defaultResources.map((r) => ({ ...r }));
  if (!Array.isArray(v)) throw new Error(`${path}: Invalid value: ${JSON.stringify(v)}: must be a list`);
  if (v.length === 0) return defaultResources.map((r) => ({ ...r }));
  return v.map((r: unknown, i) => {
    const o = (r ?? {}) as { name?: unknown; weight?: unknown };
    if (typeof o.name !== 'string' || o.name === '') throw new Error(`${path}[${i}].name: Required value`);
    const weight = o.weight === undefined || o.weight === 0 ? 1 : o.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new Error(`${path}[${i}].weight: Invalid value: ${JSON.stringify(o.weight)}: resource weight of ${o.name} not in valid range [1, 100]`);
    }
    return { name: o.name, weight };
  });
}
