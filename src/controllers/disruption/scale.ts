// The expected pod count of a budget that needs its pods' controllers: the summed scale of the
// distinct controllers of the matching pods, as upstream's disruption controller finds them.
//
// Each pod's controller (its ownerReference with controller=true) is looked up by the finders in
// upstream's order: ReplicationController, Deployment (through the pod's ReplicaSet), ReplicaSet
// not owned by a Deployment, StatefulSet, and last any other kind through its scale subresource.
// A reference whose object is gone or has another uid is not a controller. Pods with no
// controller are reported as unmanaged and left out of the count.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { controllerRefOf } from '../../api/ownerrefs.js';
import { builtinResources, type ResourceInfo } from '../../api/resources.js';
import type { KObject } from '../../apiserver/object.js';
import type { Indexer } from '../../client/indexer.js';

/** The caches the finders read, by kind. */
export interface WorkloadCaches {
  /** Absent when the server does not serve ReplicationControllers. */
  replicationControllers?: Indexer;
  replicaSets: Indexer;
  deployments: Indexer;
  statefulSets: Indexer;
}

/** Reads `<resource>/<name>/scale`; undefined when it is not found. */
export type ScaleReader = (resource: ResourceInfo, namespace: string, name: string) => Promise<KObject | undefined>;

/** No finder knew the controller of a pod (upstream's NoControllers). */
export class NoControllersError extends Error {
  constructor(podName: string) {
    super(`found no controllers for pod "${podName}"`);
    this.name = 'NoControllersError';
  }
}

export interface ExpectedScale {
  expectedPods: number;
  /** Names of matching pods without a controller. */
  unmanaged: string[];
}

interface Found {
  uid: string;
  scale: number;
}

type Finder = (ref: OwnerReference, namespace: string) => Promise<Found | undefined>;

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function isKind(ref: OwnerReference, kind: string, groups: string[]): boolean {
  return ref.kind === kind && groups.includes(groupOf(ref.apiVersion));
}

function replicasOf(obj: KObject): number {
  const r = (obj.spec as { replicas?: unknown } | undefined)?.replicas;
  return typeof r === 'number' ? r : 1;
}

function cached(cache: Indexer, namespace: string, ref: OwnerReference): KObject | undefined {
  const obj = cache.get(`${namespace}/${ref.name}`);
  return obj && obj.metadata.uid === ref.uid ? obj : undefined;
}

function finders(caches: WorkloadCaches, readScale: ScaleReader): Finder[] {
  const rcFinder: Finder = async (ref, ns) => {
    if (!isKind(ref, 'ReplicationController', ['']) || !caches.replicationControllers) return undefined;
    const rc = cached(caches.replicationControllers, ns, ref);
    return rc && { uid: ref.uid, scale: replicasOf(rc) };
  };
  const deploymentFinder: Finder = async (ref, ns) => {
    if (!isKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = cached(caches.replicaSets, ns, ref);
    const owner = rs && controllerRefOf(rs);
    if (!owner || !isKind(owner, 'Deployment', ['apps', 'extensions'])) return undefined;
    const d = cached(caches.deployments, ns, owner);
    return d && { uid: owner.uid, scale: replicasOf(d) };
  };
  const replicaSetFinder: Finder = async (ref, ns) => {
    if (!isKind(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = cached(caches.replicaSets, ns, ref);
    if (!rs || controllerRefOf(rs)?.kind === 'Deployment') return undefined;
    return { uid: ref.uid, scale: replicasOf(rs) };
  };
  const statefulSetFinder: Finder = async (ref, ns) => {
    if (!isKind(ref, 'StatefulSet', ['apps'])) return undefined;
    const ss = cached(caches.statefulSets, ns, ref);
    return ss && { uid: ref.uid, scale: replicasOf(ss) };
  };
  const scaleFinder: Finder = async (ref, ns) => {
    const group = groupOf(ref.apiVersion);
    const resource = builtinResources.find((r) => r.group === group && r.kind === ref.kind);
    if (!resource) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    if (!resource.subresources.includes('scale')) {
      throw new Error(`${group ? `${resource.plural}.${group}` : resource.plural} does not implement the scale subresource`);
    }
    const scale = await readScale(resource, ns, ref.name);
    if (!scale || scale.metadata.uid !== ref.uid) return undefined;
    return { uid: ref.uid, scale: replicasOf(scale) };
  };
  return [rcFinder, deploymentFinder, replicaSetFinder, statefulSetFinder, scaleFinder];
}

/**
 * Sums the scale of the pods' controllers, each counted once. Throws NoControllersError when a
 * pod's controller is found by no finder, or the scale lookup's error.
 */
export async function expectedScale(pods: readonly Pod[], caches: WorkloadCaches, readScale: ScaleReader): Promise<ExpectedScale> {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  const all = finders(caches, readScale);
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    const name = pod.metadata?.name ?? '';
    if (!ref) {
      unmanaged.push(name);
      continue;
    }
    if (scales.has(ref.uid)) continue;
    let found: Found | undefined;
    for (const finder of all) {
      found = await finder(ref, pod.metadata?.namespace ?? '');
      if (found) break;
    }
    if (!found) throw new NoControllersError(name);
    scales.set(found.uid, found.scale);
  }
  let expectedPods = 0;
  for (const n of scales.values()) expectedPods += n;
  return { expectedPods, unmanaged };
}
