// What the scheduler watches, and how each change reaches the cache and the queue (upstream's
// eventhandlers.go). Informers are the process's shared ones.
//
// Pods: bound pods (spec.nodeName set) go to the cache; unbound pods of a profile this scheduler
// serves go to the queue; terminal pods (Succeeded/Failed) count as deleted. Cluster events for
// the queue: a pod getting bound is PodAdd, a bound pod's label change PodUpdate (other status
// churn is no event: no plugin's verdict depends on it), a bound pod's deletion PodDelete.
// Nodes: every change updates the cache; NodeAdd / NodeDelete always move pods, NodeUpdate only
// when labels, taints, unschedulable, allocatable or images changed. Namespaces: label changes
// are NamespaceUpdate (namespaceSelector in affinity terms).
//
// Handlers are added after the informers may have started: objects already in a store are
// replayed as adds at once, so nothing is missed either way.

import type { Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { controllerRefOf } from '../api/ownerrefs.js';
import { isPodTerminal } from '../api/pods.js';
import type { KObject } from '../apiserver/object.js';
import type { SharedInformers } from '../client/factory.js';
import type { Informer, InformerHandlers } from '../client/informer.js';
import { indexFuncs } from '../client/indexer.js';
import { resourceOf } from '../controllers/context.js';
import { nodeSchedulingPropertiesChanged, type SchedulerCache } from './cache.js';
import type { SchedulingQueue } from './queue.js';

export interface HandlerTargets {
  cache: SchedulerCache;
  queue: SchedulingQueue;
  /** True for pods one of this scheduler's profiles serves (spec.schedulerName). */
  responsible(pod: Pod): boolean;
  onError(err: unknown): void;
}

const assigned = (p: Pod) => !!p.spec?.nodeName;
const labelsOf = (o: { metadata?: { labels?: Record<string, string> } }) => JSON.stringify(o.metadata?.labels ?? {});

function subscribe(inf: Informer, h: InformerHandlers, onError: (err: unknown) => void): void {
  inf.addHandlers(h);
  for (const obj of inf.store.list()) {
    try {
      h.onAdd?.(obj);
    } catch (err) {
      onError(err);
    }
  }
}

export class ClusterInformers {
  readonly pods: Informer;
  readonly nodes: Informer;
  readonly namespaces: Informer;
  readonly priorityClasses: Informer;
  readonly services: Informer;
  readonly replicaSets: Informer;
  readonly statefulSets: Informer;
  readonly pdbs: Informer;

  constructor(informers: SharedInformers) {
    const ns = { indexers: { namespace: indexFuncs.namespace } };
    this.pods = informers.informer(resourceOf('', 'Pod'));
    this.nodes = informers.informer(resourceOf('', 'Node'));
    this.namespaces = informers.informer(resourceOf('', 'Namespace'));
    this.priorityClasses = informers.informer(resourceOf('scheduling.k8s.io', 'PriorityClass'));
    this.services = informers.informer(resourceOf('', 'Service'), ns);
    this.replicaSets = informers.informer(resourceOf('apps', 'ReplicaSet'));
    this.statefulSets = informers.informer(resourceOf('apps', 'StatefulSet'));
    this.pdbs = informers.informer(resourceOf('policy', 'PodDisruptionBudget'));
  }

  private all(): Informer[] {
    return [this.pods, this.nodes, this.namespaces, this.priorityClasses, this.services, this.replicaSets, this.statefulSets, this.pdbs];
  }

  async waitForSync(signal: AbortSignal): Promise<void> {
    await Promise.all(this.all().map((i) => i.waitForSync(signal)));
  }

  pod(key: string): Pod | undefined {
    return this.pods.store.get(key) as Pod | undefined;
  }

  namespaceLabels(name: string): Record<string, string> | undefined {
    return (this.namespaces.store.get(name) as Namespace | undefined)?.metadata?.labels;
  }

  priorityClassValue(name: string): number | undefined {
    return (this.priorityClasses.store.get(name) as PriorityClass | undefined)?.value;
  }

  servicesOf(pod: Pod): Service[] {
    return this.services.store.byIndex('namespace', pod.metadata?.namespace ?? '') as Service[];
  }

  /** The selector of the pod's controlling ReplicaSet or StatefulSet. */
  ownerSelector(pod: Pod): LabelSelector | undefined {
    const ref = controllerRefOf(pod);
    if (!ref) return undefined;
    const key = `${pod.metadata?.namespace ?? ''}/${ref.name}`;
    const store = ref.kind === 'ReplicaSet' ? this.replicaSets.store : ref.kind === 'StatefulSet' ? this.statefulSets.store : undefined;
    const owner = store?.get(key) as { spec?: { selector?: LabelSelector } } | undefined;
    return owner?.spec?.selector;
  }

  podDisruptionBudgets(): PodDisruptionBudget[] {
    return this.pdbs.store.list() as PodDisruptionBudget[];
  }

  addHandlers(t: HandlerTargets): void {
    const { cache, queue } = t;
    subscribe(this.nodes, {
      onAdd: (o) => {
        cache.addNode(o as Node);
        queue.moveAllToActiveOrBackoffQueue('NodeAdd');
      },
      onUpdate: (a, b) => {
        cache.updateNode(a as Node, b as Node);
        if (nodeSchedulingPropertiesChanged(a as Node, b as Node)) queue.moveAllToActiveOrBackoffQueue('NodeUpdate');
      },
      onDelete: (o) => {
        cache.removeNode(o as Node);
        queue.moveAllToActiveOrBackoffQueue('NodeDelete');
      },
    }, t.onError);
    subscribe(this.pods, {
      onAdd: (o) => this.podAdded(o, t),
      onUpdate: (a, b) => this.podUpdated(a, b, t),
      onDelete: (o) => this.podDeleted(o, t),
    }, t.onError);
    subscribe(this.namespaces, {
      onAdd: () => queue.moveAllToActiveOrBackoffQueue('NamespaceUpdate'),
      onUpdate: (a, b) => {
        if (labelsOf(a) !== labelsOf(b)) queue.moveAllToActiveOrBackoffQueue('NamespaceUpdate');
      },
    }, t.onError);
  }

  private podAdded(o: KObject, t: HandlerTargets): void {
    const pod = o as Pod;
    if (isPodTerminal(pod)) return;
    if (assigned(pod)) {
      t.cache.addPod(pod);
      t.queue.moveAllToActiveOrBackoffQueue('PodAdd');
    } else if (t.responsible(pod)) t.queue.add(pod);
  }

  private podUpdated(a: KObject, b: KObject, t: HandlerTargets): void {
    const old = a as Pod;
    const pod = b as Pod;
    if (assigned(pod)) {
      if (!assigned(old)) t.queue.delete(old);
      if (isPodTerminal(pod)) {
        const wasCounted = assigned(old) && !isPodTerminal(old);
        t.cache.removePod(pod);
        if (wasCounted) t.queue.moveAllToActiveOrBackoffQueue('PodDelete');
        return;
      }
      const bound = !assigned(old) || isPodTerminal(old);
      t.cache.updatePod(old, pod);
      if (bound) t.queue.moveAllToActiveOrBackoffQueue('PodAdd');
      else if (labelsOf(old) !== labelsOf(pod)) t.queue.moveAllToActiveOrBackoffQueue('PodUpdate');
      return;
    }
    if (isPodTerminal(pod)) t.queue.delete(pod);
    else if (t.responsible(pod)) t.queue.update(old, pod);
  }

  private podDeleted(o: KObject, t: HandlerTargets): void {
    const pod = o as Pod;
    if (assigned(pod)) {
      t.cache.removePod(pod);
      t.queue.moveAllToActiveOrBackoffQueue('PodDelete');
    } else t.queue.delete(pod);
  }
}

export function watchCluster(informers: SharedInformers): ClusterInformers {
  return new ClusterInformers(informers);
}
