// The Job controller (batch/v1), as upstream's: pods from the template with a controller
// reference and the `batch.kubernetes.io/job-tracking` finalizer, so that every pod end is counted
// exactly once even when pods are deleted; parallelism and completions (NonIndexed and Indexed),
// backoffLimit with exponential replacement backoff, activeDeadlineSeconds, podFailurePolicy,
// suspend, and the status kubectl shows. Decisions are in sync.ts; this file wires the informers
// and carries the plan out (see the ordering contract there). Keys are `namespace/name` of Jobs.

import type { Job, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../../apiserver/object.js';
import { keyOf, type IndexFunc } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { PodBackoff, type BackoffOptions } from './backoff.js';
import { finishedType } from './conditions.js';
import { FinalizerExpectations, PodExpectations } from './expectations.js';
import { asJob, asPod, controllingJob, hasTrackingFinalizer, podFromTemplate, trackingFinalizer, uidOf } from './pods.js';
import { DelayedRequeue } from './requeue.js';
import { moveCounted, planSync, settle, type JobEvent } from './sync.js';
import { startTtlAfterFinishedController } from './ttl.js';

const pods = resourceOf('', 'Pod');
const jobs = resourceOf('batch', 'Job');

/** Pods by the `namespace/name` of the Job that controls them. */
export const jobOwnerIndex = 'job-controller/owner';
const byControllingJob: IndexFunc = (o) => {
  const j = controllingJob(o);
  return j && o.metadata.namespace ? [`${o.metadata.namespace}/${j.name}`] : [];
};

export interface JobControllerOptions {
  backoff?: BackoffOptions;
  workers?: number;
}

/** What `skiff server` runs under the name `job`: the Job controller and the TTL-after-finished controller. */
export function startJobControllers(ctx: ControllerContext): RunningController[] {
  return [startJobController(ctx), startTtlAfterFinishedController(ctx)];
}

/** The object's resourceVersion as a number (skiff's are store revisions); undefined if not numeric. */
function revision(o: Job): bigint | undefined {
  const rv = o.metadata?.resourceVersion;
  return rv && /^[0-9]+$/.test(rv) ? BigInt(rv) : undefined;
}

/** Errors that mean "nothing to do": the object is gone or the namespace is terminating. */
function ignorable(e: unknown): boolean {
  return isApiError(e, 404) || isApiError(e, 403) || isApiError(e, 409);
}

export function startJobController(ctx: ControllerContext, opts: JobControllerOptions = {}): RunningController {
  const { client, clock, onError } = ctx;
  const podInformer = ctx.informers.informer(pods, { indexers: { [jobOwnerIndex]: byControllingJob } });
  const jobInformer = ctx.informers.informer(jobs);
  const recorder = ctx.recorder('job-controller');
  const expectations = new PodExpectations(() => clock.now());
  const finalizers = new FinalizerExpectations();
  const backoff = new PodBackoff(opts.backoff);
  /**
   * The resourceVersion of the last status this controller wrote per Job. A sync that would start
   * from an older cached Job is skipped (the newer one is on its way and syncs again): deciding
   * from a status that misses pods already counted would create pods again.
   */
  const written = new Map<string, bigint>();
  const event = (job: Job, e: JobEvent) => recorder.event(job as KObject, e.type, e.reason, e.message);

  /** Removes the tracking finalizer; resolves with the uids that no longer hold it. */
  const release = async (key: string, list: Pod[]): Promise<Set<string>> => {
    const released = new Set<string>();
    await Promise.all(
      list.filter((p) => !finalizers.has(key, uidOf(p))).map(async (p) => {
        const uid = uidOf(p);
        finalizers.expect(key, uid);
        try {
          await client.patch(pods, p.metadata?.name ?? '', { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [trackingFinalizer] } }, 'strategic', { namespace: p.metadata?.namespace ?? '' });
          released.add(uid);
        } catch (e) {
          finalizers.forget(key, uid);
          if (!isApiError(e, 404)) throw e;
          released.add(uid);
        }
      }),
    );
    return released;
  };

  /** Creates pods in slow-start batches (1, 2, 4, ...), stopping at the first failure as upstream. */
  const createPods = async (key: string, job: Job, indexes: (number | undefined)[]): Promise<{ created: number; error?: unknown }> => {
    let created = 0;
    let error: unknown;
    for (let i = 0, batch = 1; i < indexes.length && error === undefined; batch *= 2) {
      const chunk = indexes.slice(i, i + batch);
      i += chunk.length;
      const results = await Promise.allSettled(chunk.map((ix) => client.create(pods, podFromTemplate(job, ix) as KObject, job.metadata?.namespace)));
      for (const r of results) {
        if (r.status === 'fulfilled') {
          created++;
          event(job, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${r.value.metadata.name ?? ''}` });
        } else {
          expectations.observeAdd(key);
          error ??= r.reason;
          if (!ignorable(r.reason)) event(job, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${(r.reason as Error).message}` });
        }
      }
      if (error !== undefined) expectations.observeAdd(key, indexes.length - i);
    }
    return { created, ...(error !== undefined ? { error } : {}) };
  };

  const deletePods = async (key: string, job: Job, list: Pod[]): Promise<unknown> => {
    let error: unknown;
    await Promise.all(
      list.map(async (p) => {
        const name = p.metadata?.name ?? '';
        try {
          await client.delete(pods, name, { namespace: p.metadata?.namespace ?? '' });
          event(job, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${name}` });
        } catch (e) {
          expectations.observeDelete(key);
          if (isApiError(e, 404)) return;
          error ??= e;
          event(job, { type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${(e as Error).message}` });
        }
      }),
    );
    return error;
  };

  /** Writes the status conditionally on the cached resourceVersion; undefined on a conflict (a newer Job is on its way to the cache and will sync again). */
  const writeStatus = async (job: Job, status: JobStatus, sig: AbortSignal): Promise<Job | undefined> => {
    try {
      const updated = asJob(await client.updateStatus(jobs, { ...(job as KObject), status }, sig));
      const rv = revision(updated);
      if (rv !== undefined) written.set(keyOf(updated as KObject), rv);
      return updated;
    } catch (e) {
      if (isApiError(e, 409) || isApiError(e, 404)) return undefined;
      throw e;
    }
  };

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const cached = jobInformer.store.get(key);
    const underKey = podInformer.store.byIndex(jobOwnerIndex, key).map(asPod);
    if (!cached) {
      // The Job is gone: its pods' ends will never be counted, so release them.
      written.delete(key);
      expectations.delete(key);
      finalizers.delete(key);
      backoff.delete(key);
      await release(key, underKey.filter(hasTrackingFinalizer));
      return;
    }
    const job = asJob(cached);
    const last = written.get(key);
    const rv = revision(job);
    if (last !== undefined && rv !== undefined) {
      if (rv < last) return;
      written.delete(key);
    }
    const uid = job.metadata?.uid ?? '';
    const owned = underKey.filter((p) => controllingJob(p as KObject)?.uid === uid);
    const strays = underKey.filter((p) => controllingJob(p as KObject)?.uid !== uid && hasTrackingFinalizer(p));
    if (strays.length > 0) await release(key, strays);
    if (job.metadata?.deletionTimestamp || finishedType(job)) {
      backoff.delete(key);
      await release(key, owned.filter(hasTrackingFinalizer));
      return;
    }
    const managedBy = job.spec?.managedBy;
    if (managedBy && managedBy !== 'kubernetes.io/job-controller') return;

    const now = clock.now();
    const plan = planSync({
      job,
      pods: owned,
      now,
      finalizerPending: (u) => finalizers.has(key, u),
      canManage: expectations.satisfied(key),
      backoffMs: (failures, success) => backoff.remaining(key, now, failures, success),
    });
    if (plan.remove.length > 0 || plan.create.length > 0) expectations.expect(key, plan.create.length, plan.remove.length);
    const deleteError = await deletePods(key, job, plan.remove);
    const { created, error: createError } = await createPods(key, job, plan.create);
    const notCreated = plan.create.length - created;
    if (notCreated > 0) {
      const active = (plan.status.active ?? 0) - notCreated;
      if (active > 0) plan.status.active = active;
      else delete plan.status.active;
    }
    const running = plan.running - notCreated;
    let finished = plan.finalize.length === 0 ? settle(plan.status, running, now) : undefined;

    let current: Job | undefined = job;
    if (!isDeepStrictEqual(job.status ?? {}, plan.status)) current = await writeStatus(job, plan.status, sig);
    if (current) {
      backoff.record(key, plan.newFailures, plan.newSuccess, now);
      for (const e of plan.events) event(job, e);
      if (plan.finalize.length > 0) {
        const released = await release(key, plan.finalize);
        const status = structuredClone(current.status ?? {});
        moveCounted(status, (u) => released.has(u));
        finished = settle(status, running, now);
        if (!isDeepStrictEqual(current.status ?? {}, status)) current = await writeStatus(current, status, sig);
      }
      if (current && finished) event(current, finished);
    }
    if (plan.requeueMs !== undefined) requeue.after(key, plan.requeueMs);
    const error = deleteError ?? createError;
    if (error !== undefined && !ignorable(error)) throw error;
  };

  const running = runController({ name: 'job', informers: [jobInformer, podInformer], reconcile, workers: opts.workers ?? 5, onError: (_n, _k, e) => onError(e) }, ctx.signal);
  const requeue = new DelayedRequeue(clock, (k) => running.queue.add(k), ctx.signal);
  const enqueue = (o: KObject) => running.queue.add(keyOf(o));
  jobInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });

  const jobKey = (p: KObject) => byControllingJob(p)[0];
  podInformer.addHandlers({
    onAdd(p) {
      const key = jobKey(p);
      if (!key) return;
      expectations.observeAdd(key);
      running.queue.add(key);
    },
    onUpdate(old, p) {
      const key = jobKey(p) ?? jobKey(old);
      if (!key) return;
      if (!old.metadata.deletionTimestamp && p.metadata.deletionTimestamp) expectations.observeDelete(key);
      if (!hasTrackingFinalizer(asPod(p))) finalizers.forget(key, p.metadata.uid ?? '');
      running.queue.add(key);
      // A pod whose controller reference changed also concerns its former Job.
      const oldKey = jobKey(old);
      if (oldKey && oldKey !== key) running.queue.add(oldKey);
    },
    onDelete(p) {
      const key = jobKey(p);
      if (!key) return;
      if (!p.metadata.deletionTimestamp) expectations.observeDelete(key);
      finalizers.forget(key, p.metadata.uid ?? '');
      running.queue.add(key);
    },
  });
  return running;
}
