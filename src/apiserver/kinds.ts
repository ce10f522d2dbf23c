// Per-kind behaviour on top of the generic pipeline in registry.ts: what upstream's strategies
// and built-in admission plugins do for each kind.

import type { ResourceInfo } from '../api/resources.js';
import { errors } from '../api/errors.js';
import type { DeleteOptions, KindHooks } from './registry.js';
import type { KObject } from './object.js';
import type { ServiceAllocator } from './service-alloc.js';
import { admitPodCreate, admitPodUpdate, admitPriorityClass, type PriorityClassSource } from './admission-priority.js';

type Rec = Record<string, unknown>;

const generationKinds = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'PodDisruptionBudget']);

function podHooks(priorityClasses: PriorityClassSource | undefined): KindHooks {
  return {
    returnDeletedObject: true,
    async beforeCreate(pod) {
      const spec = (pod.spec ?? {}) as Rec;
      pod.status = { phase: 'Pending', qosClass: qosClass(spec) };
      addDefaultTolerations(spec);
      if (priorityClasses) await admitPodCreate(pod, priorityClasses);
    },
    beforeUpdate(pod, old, _ctx, sub) {
      if (sub === undefined) admitPodUpdate(pod, old);
    },
    gracePeriod(pod, opts: DeleteOptions) {
      const spec = (pod.spec ?? {}) as Rec;
      const phase = (pod.status as Rec | undefined)?.phase;
      // Pods that never reached a node, or already finished, have nothing to stop.
      if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
      if (opts.gracePeriodSeconds !== undefined) return opts.gracePeriodSeconds;
      return typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30;
    },
  };
}

/** DefaultTolerationSeconds admission: tolerate not-ready/unreachable for 300 s unless set. */
function addDefaultTolerations(spec: Rec): void {
  const tolerations = Array.isArray(spec.tolerations) ? (spec.tolerations as Rec[]) : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const has = tolerations.some((t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === undefined || t.effect === 'NoExecute' || t.effect === ''));
    if (!has) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
}

/** The pod's QoS class, from its containers' requests and limits (upstream's rules). */
export function qosClass(spec: Rec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...((spec.containers as Rec[] | undefined) ?? []), ...((spec.initContainers as Rec[] | undefined) ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const res = (c.resources ?? {}) as { requests?: Rec; limits?: Rec };
    const req = res.requests ?? {};
    const lim = res.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) anySet = true;
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function namespaceHooks(): KindHooks {
  return {
    returnDeletedObject: true,
    beforeCreate(ns) {
      ns.status = { phase: 'Active' };
    },
    // The namespace controller empties the namespace, then removes "kubernetes" via /finalize.
    holdsDeletion: (ns) => (((ns.spec as Rec | undefined)?.finalizers as unknown[] | undefined)?.length ?? 0) > 0,
    onMarkDeleted(ns) {
      ns.status = { ...((ns.status as Rec | undefined) ?? {}), phase: 'Terminating' };
    },
    beforeUpdate(ns, old, _ctx, sub) {
      // spec.finalizers change only through /finalize; /finalize changes nothing else.
      if (sub === 'finalize') {
        const finalizers = (ns.spec as Rec | undefined)?.finalizers;
        ns.spec = { ...structuredClone((old.spec as Rec | undefined) ?? {}), finalizers };
        ns.status = structuredClone(old.status);
      } else if (sub === undefined) {
        ns.spec = structuredClone(old.spec);
      }
      if (old.metadata.deletionTimestamp) ns.status = { ...((ns.status as Rec | undefined) ?? {}), phase: 'Terminating' };
    },
  };
}

function serviceHooks(alloc: ServiceAllocator): KindHooks {
  return {
    async beforeCreate(svc, ctx) {
      await alloc.allocate(svc, undefined, ctx.dryRun);
    },
    async beforeUpdate(svc, old, ctx, sub) {
      if (sub === undefined) await alloc.allocate(svc, old, ctx.dryRun);
    },
  };
}

export function hooksFor(r: ResourceInfo, deps: { services: ServiceAllocator; priorityClasses?: PriorityClassSource }): KindHooks {
  const base: KindHooks = generationKinds.has(r.kind) && r.group !== '' ? { generation: true } : {};
  if (r.group === '') {
    switch (r.kind) {
      case 'Pod':
        return { ...base, ...podHooks(deps.priorityClasses) };
      case 'Namespace':
        return { ...base, ...namespaceHooks() };
      case 'Service':
        return { ...base, ...serviceHooks(deps.services) };
      case 'Node':
        return { ...base, keepStatusOnCreate: true };
      case 'Endpoints':
      case 'Event':
        return { ...base, allowCreateOnUpdate: true };
    }
  }
  if (r.kind === 'Lease') return { ...base, allowCreateOnUpdate: true };
  if (r.kind === 'PriorityClass' && deps.priorityClasses) {
    const src = deps.priorityClasses;
    return { ...base, beforeCreate: (pc) => admitPriorityClass(pc, src, 'create'), beforeUpdate: (pc, _old, _ctx, sub) => (sub === undefined ? admitPriorityClass(pc, src, 'update') : undefined) };
  }
  return base;
}

/** Namespaces that always exist and may not be deleted. */
export const immortalNamespaces = new Set(['default', 'kube-system', 'kube-public']);

export function checkNamespaceDeletable(name: string): void {
  if (immortalNamespaces.has(name)) throw errors.forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`);
}

export type { KObject };
