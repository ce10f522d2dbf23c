// The TTL-after-finished controller (upstream's `ttl-after-finished`): a Job with
// spec.ttlSecondsAfterFinished is deleted (background propagation, so the garbage collector
// removes its pods) once that many seconds have passed since it finished (the lastTransitionTime
// of its Complete or Failed condition). Expiry is confirmed on a fresh read and the delete is
// conditional on that read's resourceVersion, so a Job whose TTL was just changed is not
// deleted by a stale decision. Keys are `namespace/name` of Jobs.

import type { Job } from 'kubernetes-types/batch/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { finishedAt } from './conditions.js';
import { asJob } from './pods.js';
import { DelayedRequeue } from './requeue.js';

const jobs = resourceOf('batch', 'Job');

/** Milliseconds until `job` expires (<= 0: expired); undefined when it has no TTL to honour. */
export function timeLeft(job: Job, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return undefined;
  const at = finishedAt(job);
  return at === undefined ? undefined : at + ttl * 1000 - now;
}

export function startTtlAfterFinishedController(ctx: ControllerContext): RunningController {
  const { client, clock, onError } = ctx;
  const informer = ctx.informers.informer(jobs);
  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const cached = informer.store.get(key);
    if (!cached) return;
    const left = timeLeft(asJob(cached), clock.now());
    if (left === undefined) return;
    if (left > 0) return requeue.after(key, left);
    const ns = cached.metadata.namespace;
    let fresh: KObject;
    try {
      fresh = await client.get(jobs, cached.metadata.name ?? '', ns, sig);
    } catch (e) {
      if (isApiError(e, 404)) return;
      throw e;
    }
    const freshLeft = timeLeft(asJob(fresh), clock.now());
    if (freshLeft === undefined) return;
    if (freshLeft > 0) return requeue.after(key, freshLeft);
    try {
      await client.delete(jobs, fresh.metadata.name ?? '', { ...(ns ? { namespace: ns } : {}), propagationPolicy: 'Background', preconditions: { uid: fresh.metadata.uid ?? '', resourceVersion: fresh.metadata.resourceVersion ?? '' }, signal: sig });
    } catch (e) {
      // Gone already, or changed since the read (its update requeues it).
      if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
    }
  };
  const running = runController({ name: 'ttl-after-finished', informers: [informer], reconcile, onError: (_n, _k, e) => onError(e) }, ctx.signal);
  const requeue = new DelayedRequeue(clock, (k) => running.queue.add(k), ctx.signal);
  const enqueue = (o: KObject) => {
    const spec = o.spec as { ttlSecondsAfterFinished?: number } | undefined;
    if (spec?.ttlSecondsAfterFinished !== undefined && spec.ttlSecondsAfterFinished !== null) running.queue.add(keyOf(o));
  };
  informer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  return running;
}
