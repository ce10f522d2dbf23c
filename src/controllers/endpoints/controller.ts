// The Endpoints controller (upstream `endpoint`): every Service with a selector gets a core/v1
// Endpoints object of the same name listing its pods (ready ones in `addresses`, others in
// `notReadyAddresses`), with the Service's labels, the last-change-trigger-time annotation, and
// at most 1000 addresses (`endpoints.kubernetes.io/over-capacity: truncated` when cut).
// Services without a selector are left alone: their Endpoints are written by others (the API
// server itself keeps `default/kubernetes`). When a Service goes, its Endpoints go; at start-up,
// Endpoints left without a Service are removed (leader-election records excepted).
//
// Keys are Service keys (`namespace/name`).

import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { watchServicesAndPods } from '../endpointslice/controller.js';
import { annotationTriggerTime, isServiceIpSet, labelHeadless, rfc3339Nano, selects, serviceSelector, typed } from '../endpointslice/endpoint.js';
import { WriteTracker } from '../endpointslice/tracker.js';
import { TriggerTimeTracker } from '../endpointslice/trigger-time.js';
import { annotationOverCapacity, buildSubsets, canonicalSubsets, countAddresses, maxCapacity, truncateSubsets } from './subsets.js';

const services = resourceOf('', 'Service');
const pods = resourceOf('', 'Pod');
const endpointsRes = resourceOf('', 'Endpoints');
const leaderAnnotation = 'control-plane.alpha.kubernetes.io/leader';

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  return ak.length === Object.keys(b ?? {}).length && ak.every((k) => a?.[k] === b?.[k]);
}

export function startEndpointsController(ctx: ControllerContext): RunningController {
  const { client, signal, onError, clock } = ctx;
  const recorder = ctx.recorder('endpoint-controller');
  const svcInformer = ctx.informers.informer(services, { indexers: { namespace: indexFuncs.namespace } });
  const podInformer = ctx.informers.informer(pods, { indexers: { namespace: indexFuncs.namespace, nodeName: indexFuncs.nodeName } });
  const epInformer = ctx.informers.informer(endpointsRes);
  const writes = new WriteTracker(() => clock.now());
  const triggers = new TriggerTimeTracker();

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const [ns, name] = key.split('/') as [string, string];
    const svcObj = svcInformer.store.get(key);
    if (!svcObj) {
      writes.forget(key);
      triggers.delete(key);
      const leftover = epInformer.store.get(key);
      if (!leftover || leftover.metadata.annotations?.[leaderAnnotation] !== undefined) return;
      try {
        await client.delete(endpointsRes, name, { namespace: ns, signal: sig });
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
      }
      return;
    }
    const svc = typed<Service>(svcObj);
    const selector = serviceSelector(svc);
    if (!selector) return;
    if (writes.isStale(key, () => epInformer.store.get(key))) {
      running.queue.addAfter(key, 1000);
      return;
    }
    const selected = podInformer.store
      .byIndex('namespace', ns)
      .filter((p) => selects(selector, p.metadata.labels))
      .map((p) => typed<Pod>(p));
    // Computed on every sync so the tracker's state advances even when nothing is written.
    const triggerTime = triggers.compute(key, svc, selected);
    const subsets = buildSubsets(svc, selected);
    const current = epInformer.store.get(key) as (KObject & Endpoints) | undefined;
    const svcLabels = svc.metadata?.labels ?? {};
    if (current) {
      const { [labelHeadless]: _h, ...compareLabels } = current.metadata.labels ?? {};
      const capacityOk = countAddresses(current.subsets) <= maxCapacity && current.metadata.annotations?.[annotationOverCapacity] === undefined;
      if (canonicalSubsets(current.subsets) === canonicalSubsets(subsets) && labelsEqual(compareLabels, svcLabels) && capacityOk) return;
    }
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (triggerTime !== undefined) annotations[annotationTriggerTime] = rfc3339Nano(triggerTime);
    else delete annotations[annotationTriggerTime];
    if (truncateSubsets(subsets)) annotations[annotationOverCapacity] = 'truncated';
    else delete annotations[annotationOverCapacity];
    const labels: Record<string, string> = { ...svcLabels };
    if (!isServiceIpSet(svc)) labels[labelHeadless] = '';
    else delete labels[labelHeadless];
    const desired: KObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? {}), name, namespace: ns, labels, annotations },
      subsets,
    };
    try {
      const written = current ? await client.update(endpointsRes, desired, sig) : await client.create(endpointsRes, desired, ns, sig);
      writes.expectWrite(key, written);
    } catch (err) {
      // A namespace being deleted refuses creates; its Services go with it.
      if (!current && isApiError(err, 403) && /being terminated/.test((err as Error).message)) return;
      recorder.event(
        desired,
        'Warning',
        current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint',
        current ? `Failed to update endpoint ${key}: ${(err as Error).message}` : `Failed to create endpoint for service ${key}: ${(err as Error).message}`,
      );
      throw err;
    }
  };

  const running = runController({ name: 'endpoint', informers: [svcInformer, podInformer, epInformer], reconcile, workers: 2, clock, onError: (_n, _k, e) => onError(e) }, signal);

  watchServicesAndPods(svcInformer, podInformer, running.queue, (k) => running.queue.add(k));
  epInformer.addHandlers({ onDelete: (o) => running.queue.add(keyOf(o)) });
  // Once synced: Endpoints whose Service is gone (deleted while no controller ran) are cleaned up.
  void running.ready.then(
    () => {
      for (const ep of epInformer.store.list()) if (!svcInformer.store.get(keyOf(ep))) running.queue.add(keyOf(ep));
    },
    () => undefined,
  );
  return running;
}
