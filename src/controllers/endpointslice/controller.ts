// The EndpointSlice controller (upstream `endpointslice`): every Service with a selector gets
// discovery.k8s.io/v1 EndpointSlices listing the pods it selects that have an IP, at most
// `maxEndpointsPerSlice` endpoints per slice, one group of slices per distinct port resolution.
// Services without a selector are left alone (their slices are someone else's). Slices carry an
// ownerReference to the Service, so the garbage collector removes them with it.
//
// Keys are Service keys (`namespace/name`). Pod changes enqueue the Services selecting the pod
// (old and new labels), after `endpointUpdatesBatchPeriodMs` so bursts collapse into one sync;
// Service and slice changes enqueue at once. Writes are remembered until the cache shows them.

import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { podCondition } from '../../api/pods.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf, type IndexFunc } from '../../client/indexer.js';
import type { Informer } from '../../client/informer.js';
import { isApiError } from '../../client/transport.js';
import type { WorkQueue } from '../../client/workqueue.js';
import { resourceOf, type ControllerContext, type ControllerOptions } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import {
  annotationTriggerTime,
  controllerName,
  endpointKey,
  endpointPorts,
  labelManagedBy,
  labelServiceName,
  podToEndpoint,
  portMapKey,
  rfc3339Nano,
  selects,
  servicesSelecting,
  serviceAddressTypes,
  serviceSelector,
  shouldPodBeInEndpoints,
  typed,
  type AddressType,
} from './endpoint.js';
import { planSlices, type DesiredGroup } from './plan.js';
import { WriteTracker } from './tracker.js';
import { TriggerTimeTracker } from './trigger-time.js';

export interface EndpointSliceOptions {
  /** `--max-endpoints-per-slice` (upstream default 100, at most 1000). */
  maxEndpointsPerSlice: number;
  /** `--endpoint-updates-batch-period` in ms: pod changes wait this long to be synced together (default 0). */
  endpointUpdatesBatchPeriodMs: number;
}

const services = resourceOf('', 'Service');
const pods = resourceOf('', 'Pod');
const nodes = resourceOf('', 'Node');
const slices = resourceOf('discovery.k8s.io', 'EndpointSlice');

/** Slices this controller manages, by the key of their Service. */
export const managedSliceIndex: IndexFunc = (obj) => {
  const labels = obj.metadata.labels;
  const svc = labels?.[labelServiceName];
  return svc && labels?.[labelManagedBy] === controllerName ? [`${obj.metadata.namespace ?? ''}/${svc}`] : [];
};

/** Whether a pod change can change any endpoint (skips status churn that does not). */
export function podChangeMatters(a: Pod, b: Pod): boolean {
  const view = (p: Pod) =>
    JSON.stringify([
      p.metadata?.labels ?? {},
      p.metadata?.deletionTimestamp ?? null,
      p.status?.podIP ?? null,
      p.status?.podIPs ?? null,
      p.status?.phase ?? null,
      podCondition(p, 'Ready') ?? null,
      p.spec?.nodeName ?? null,
      p.spec?.hostname ?? null,
      p.spec?.subdomain ?? null,
      (p.spec?.containers ?? []).map((c) => c.ports ?? []),
    ]);
  return view(a) !== view(b);
}

/**
 * The handlers both endpoint controllers share: a Service change queues that Service at once; a
 * pod added, deleted or changed in a way that matters queues (through `enqueueSelected`) every
 * Service whose selector selects it, old and new labels both. Returns that pod-to-Services
 * enqueuer for other triggers (a node's zone change).
 */
export function watchServicesAndPods(svcInformer: Informer, podInformer: Informer, queue: Pick<WorkQueue, 'add'>, enqueueSelected: (key: string) => void): (...pods: KObject[]) => void {
  const enqueuePod = (...versions: KObject[]) => {
    const keys = new Set(versions.flatMap((p) => servicesSelecting(svcInformer.store, p)));
    for (const k of keys) enqueueSelected(k);
  };
  svcInformer.addHandlers({
    onAdd: (o) => queue.add(keyOf(o)),
    onUpdate: (_o, n) => queue.add(keyOf(n)),
    onDelete: (o) => queue.add(keyOf(o)),
  });
  podInformer.addHandlers({
    onAdd: (o) => enqueuePod(o),
    onUpdate: (o, n) => {
      if (podChangeMatters(typed<Pod>(o), typed<Pod>(n))) enqueuePod(o, n);
    },
    onDelete: (o) => enqueuePod(o),
  });
  return enqueuePod;
}

export function startEndpointSliceController(ctx: ControllerContext, overrides: Partial<EndpointSliceOptions> = {}): RunningController {
  const opts = ctx.options;
  const max = overrides.maxEndpointsPerSlice ?? opts.maxEndpointsPerSlice ?? 100;
  const batchMs = overrides.endpointUpdatesBatchPeriodMs ?? opts.endpointUpdatesBatchPeriodMs ?? 0;
  const { client, signal, onError, clock } = ctx;
  const recorder = ctx.recorder('endpoint-slice-controller');
  const svcInformer = ctx.informers.informer(services, { indexers: { namespace: indexFuncs.namespace } });
  const podInformer = ctx.informers.informer(pods, { indexers: { namespace: indexFuncs.namespace, nodeName: indexFuncs.nodeName } });
  const nodeInformer = ctx.informers.informer(nodes);
  const sliceInformer = ctx.informers.informer(slices, { indexers: { 'endpointslice-service': managedSliceIndex } });
  const writes = new WriteTracker(() => clock.now());
  const triggers = new TriggerTimeTracker();

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const svcObj = svcInformer.store.get(key);
    if (!svcObj) {
      writes.forget(key);
      triggers.delete(key);
      return;
    }
    const svc = typed<Service>(svcObj);
    const selector = serviceSelector(svc);
    if (!selector) return;
    const cachedSlice = (name: string) => sliceInformer.store.get(`${svcObj.metadata.namespace}/${name}`);
    if (writes.isStale(key, cachedSlice)) {
      running.queue.addAfter(key, 1000);
      return;
    }
    const ns = svcObj.metadata.namespace ?? '';
    const selected = podInformer.store
      .byIndex('namespace', ns)
      .filter((p) => selects(selector, p.metadata.labels))
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1))
      .map((p) => typed<Pod>(p));
    const triggerTime = triggers.compute(key, svc, selected);
    const existing = sliceInformer.store.byIndex('endpointslice-service', key).map((s) => typed<EndpointSlice>(s));
    const missingNodes: string[] = [];
    const plans = serviceAddressTypes(svc).map((addressType) => {
      const desired = desiredGroups(svc, selected, addressType, (name) => nodeInformer.store.get(name), missingNodes);
      return planSlices(svc, addressType, existing.filter((s) => s.addressType === addressType), desired, max);
    });
    const supported = new Set<string>(serviceAddressTypes(svc));
    const stray = existing.filter((s) => !supported.has(s.addressType));
    const annotate = (s: EndpointSlice): KObject => {
      const annotations = { ...(s.metadata?.annotations ?? {}) };
      if (triggerTime !== undefined) annotations[annotationTriggerTime] = rfc3339Nano(triggerTime);
      else delete annotations[annotationTriggerTime];
      return { ...s, metadata: { ...s.metadata, annotations } } as KObject;
    };
    try {
      for (const plan of plans) {
        if (!svcObj.metadata.deletionTimestamp) {
          for (const s of plan.create) writes.expectWrite(key, await client.create(slices, annotate(s), ns, sig));
        }
        for (const s of plan.update) writes.expectWrite(key, await client.update(slices, annotate(s), sig));
        for (const s of plan.delete) await deleteSlice(key, s, sig);
      }
      for (const s of stray) await deleteSlice(key, s, sig);
    } catch (err) {
      // A namespace being deleted refuses creates; its Services go with it.
      if (isApiError(err, 403) && /being terminated/.test((err as Error).message)) return;
      recorder.event(svcObj, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${(err as Error).message}`);
      throw err;
    }
    if (missingNodes.length > 0) throw new Error(`skipping Pods for Service ${key}: Node ${missingNodes.join(', ')} Not Found`);
  };

  const deleteSlice = async (key: string, s: EndpointSlice, sig: AbortSignal): Promise<void> => {
    try {
      await client.delete(slices, s.metadata?.name ?? '', { namespace: s.metadata?.namespace ?? '', preconditions: { uid: s.metadata?.uid ?? '' }, signal: sig });
    } catch (e) {
      if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
    }
    writes.expectDelete(key, s as unknown as KObject);
  };

  const running = runController(
    { name: 'endpointslice', informers: [svcInformer, podInformer, nodeInformer, sliceInformer], reconcile, workers: 2, clock, onError: (_n, _k, e) => onError(e) },
    signal,
  );

  // Pod changes are batched by endpointUpdatesBatchPeriod, as upstream.
  const enqueuePod = watchServicesAndPods(svcInformer, podInformer, running.queue, (k) => running.queue.addAfter(k, batchMs));
  const onSlice = (o: KObject) => {
    for (const k of managedSliceIndex(o)) running.queue.add(k);
  };
  sliceInformer.addHandlers({ onAdd: onSlice, onUpdate: (_o, n) => onSlice(n), onDelete: onSlice });
  // A node's zone is part of its pods' endpoints.
  nodeInformer.addHandlers({
    onUpdate: (o, n) => {
      if (o.metadata.labels?.['topology.kubernetes.io/zone'] === n.metadata.labels?.['topology.kubernetes.io/zone']) return;
      for (const p of podInformer.store.byIndex('nodeName', n.metadata.name ?? '')) enqueuePod(p);
    },
  });
  return running;
}

/**
 * The desired endpoints of one address type, grouped by port set. A pod whose node is not known
 * is left out (and named in `missingNodes`, so the Service is retried) unless the Service
 * publishes not-ready addresses.
 */
export function desiredGroups(svc: Service, selected: readonly Pod[], addressType: AddressType, nodeOf: (name: string) => KObject | undefined, missingNodes: string[] = []): Map<string, DesiredGroup> {
  const groups = new Map<string, DesiredGroup>();
  for (const pod of selected) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: new Map() }));
    const nodeName = pod.spec?.nodeName ?? '';
    const node = nodeName ? nodeOf(nodeName) : undefined;
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      missingNodes.push(nodeName || `(none, pod ${pod.metadata?.name ?? ''})`);
      continue;
    }
    const ep = podToEndpoint(pod, node ? typed<Node>(node) : undefined, svc, addressType);
    if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}
