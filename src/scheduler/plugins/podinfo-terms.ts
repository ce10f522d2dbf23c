// Building the scheduler's PodInfo from a Pod: effective resource requests (upstream's
// resourcehelper.PodRequests rules) and parsed (anti-)affinity terms (upstream framework.AffinityTerm).
// The scheduler cache and the plugins share these so a term means the same everywhere.

import type { Container, Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromObject, matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import { parseQuantity } from '../../api/quantity.js';
import type { AffinityTerm, PodInfo, Resources, WeightedAffinityTerm } from '../framework/types.js';

/** Upstream's non-zero defaults, used for scoring only (schedutil.DefaultMilliCPURequest / DefaultMemoryRequest). */
export const defaultMilliCPURequest = 100;
export const defaultMemoryRequest = 200 * 1024 * 1024;

/** The pod's priority: spec.priority, 0 when unset (corev1helpers.PodPriority). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** A PodInfo with every precomputed field filled in. */
export function podInfoFrom(pod: Pod): PodInfo {
  const { requests, nonZero } = podRequests(pod);
  const aff = pod.spec?.affinity;
  return {
    pod,
    key: podKey(pod),
    requests,
    nonZeroRequests: nonZero,
    requiredAffinityTerms: (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTermFrom(pod, t)),
    requiredAntiAffinityTerms: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTermFrom(pod, t)),
    preferredAffinityTerms: (aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => weightedTermFrom(pod, t)),
    preferredAntiAffinityTerms: (aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => weightedTermFrom(pod, t)),
  };
}

/** A selector compiled once; an invalid one (the API server rejects those) selects nothing. */
export function compileSelector(sel: Parameters<typeof labelSelectorFromObject>[0]): LabelSelector {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return labelSelectorFromObject(undefined);
  }
}

/**
 * Upstream newAffinityTerm: no namespaces and no namespaceSelector means the pod's own namespace;
 * a nil labelSelector selects no pods; a nil namespaceSelector selects no namespaces and an empty
 * one selects every namespace.
 */
export function affinityTermFrom(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const namespaces = new Set<string>(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) namespaces.add(pod.metadata?.namespace ?? '');
  const selector = compileSelector(term.labelSelector);
  const nsSelector = term.namespaceSelector ? compileSelector(term.namespaceSelector) : undefined;
  return {
    namespaces,
    selector: (labels) => matchesLabels(selector, labels),
    namespaceSelector: nsSelector ? (labels) => matchesLabels(nsSelector, labels) : null,
    topologyKey: term.topologyKey,
  };
}

function weightedTermFrom(pod: Pod, t: WeightedPodAffinityTerm): WeightedAffinityTerm {
  return { ...affinityTermFrom(pod, t.podAffinityTerm), weight: t.weight };
}

/**
 * AffinityTerm.Matches: the pod is in one of the term's namespaces (or its namespace's labels
 * match the namespaceSelector) and its labels match the selector.
 */
export function termMatches(term: AffinityTerm, pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (!term.namespaces.has(ns) && !(term.namespaceSelector && term.namespaceSelector(nsLabels ?? {}))) return false;
  return term.selector(pod.metadata?.labels ?? {});
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, pods: 0, scalar: new Map() };
}

/** Names the scheduler tracks besides cpu, memory and ephemeral-storage (schedutil.IsScalarResourceName). */
function isScalarResource(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

type ResourceList = Record<string, string | number>;

function quantity(v: string | number, milli: boolean): number {
  const q = parseQuantity(v);
  if (!q) return 0;
  return milli ? q.milliValue() : q.value();
}

function add(into: Resources, list: ResourceList | undefined, nonZero: boolean): void {
  const l = list ?? {};
  if (l.cpu !== undefined) into.milliCPU += quantity(l.cpu, true);
  else if (nonZero) into.milliCPU += defaultMilliCPURequest;
  if (l.memory !== undefined) into.memory += quantity(l.memory, false);
  else if (nonZero) into.memory += defaultMemoryRequest;
  if (nonZero) return;
  if (l['ephemeral-storage'] !== undefined) into.ephemeralStorage += quantity(l['ephemeral-storage'], false);
  for (const [name, v] of Object.entries(l)) {
    if (isScalarResource(name)) into.scalar.set(name, (into.scalar.get(name) ?? 0) + quantity(v, false));
  }
}

function plus(a: Resources, b: Resources): Resources {
  const r: Resources = { milliCPU: a.milliCPU + b.milliCPU, memory: a.memory + b.memory, ephemeralStorage: a.ephemeralStorage + b.ephemeralStorage, pods: 0, scalar: new Map(a.scalar) };
  for (const [k, v] of b.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + v);
  return r;
}

function maxInto(into: Resources, b: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, b.milliCPU);
  into.memory = Math.max(into.memory, b.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, b.ephemeralStorage);
  for (const [k, v] of b.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = emptyResources();
  add(r, c.resources?.requests as ResourceList | undefined, nonZero);
  return r;
}

/**
 * Effective requests: the sum of containers and sidecars (restartable init containers), or the
 * largest init container plus the sidecars started before it, whichever is larger per resource;
 * plus pod overhead. `nonZero` applies the scoring defaults to containers without a request.
 */
function effectiveRequests(pod: Pod, nonZero: boolean): Resources {
  let reqs = emptyResources();
  for (const c of pod.spec?.containers ?? []) reqs = plus(reqs, containerRequests(c, nonZero));
  let sidecars = emptyResources();
  const initMax = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      reqs = plus(reqs, r);
      sidecars = plus(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      maxInto(initMax, plus(r, sidecars));
    }
  }
  maxInto(reqs, initMax);
  const overhead = pod.spec?.overhead as ResourceList | undefined;
  if (overhead) {
    const o = emptyResources();
    add(o, overhead, false);
    reqs = plus(reqs, o);
  }
  return reqs;
}

export function podRequests(pod: Pod): { requests: Resources; nonZero: { milliCPU: number; memory: number } } {
  const requests = effectiveRequests(pod, false);
  const nz = effectiveRequests(pod, true);
  return { requests, nonZero: { milliCPU: nz.milliCPU, memory: nz.memory } };
}
