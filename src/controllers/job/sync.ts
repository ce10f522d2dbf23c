// The Job controller's decisions for one Job, as a pure function of the Job, its pods (from the
// cache) and the clock: which pod ends to count, which pods to release (remove the tracking
// finalizer), delete or create, and the status to write. The controller (controller.ts) carries
// the plan out in an order that counts every pod exactly once:
//   1. write the status that lists newly finished pods in uncountedTerminatedPods
//      (completedIndexes for succeeded pods of Indexed Jobs);
//   2. remove their tracking finalizers;
//   3. move them from uncountedTerminatedPods into succeeded/failed (`settle`).
// A crash between any two steps is repaired by the next sync: a pod listed as uncounted whose
// finalizer is gone is counted; one that still has its finalizer is released again.

import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { findCondition, hasTrueCondition, newCondition, rfc3339, setCondition } from './conditions.js';
import { matchPodFailurePolicy } from './failure-policy.js';
import { IndexSet } from './indexes.js';
import { isPodActive, isPodReady } from '../../api/pods.js';
import { completionIndex, hasTrackingFinalizer, isTerminating, podFailed, removalOrder, restarts, uidOf } from './pods.js';

/** Pods created per sync at most (the rest follow in the next syncs). */
const maxCreatesPerSync = 500;

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface SyncInput {
  job: Job;
  /** The Job's own pods (controller reference with its uid). */
  pods: Pod[];
  now: number;
  /** Whether a finalizer removal for this pod uid was issued and not yet observed. */
  finalizerPending(uid: string): boolean;
  /** Whether earlier creations and deletions have shown up in the cache. */
  canManage: boolean;
  /** Time left before failed pods may be replaced, counting the pod ends this sync finds. */
  backoffMs(newFailures: number, newSuccess: boolean): number;
}

export interface SyncPlan {
  status: JobStatus;
  finalize: Pod[];
  remove: Pod[];
  /** One entry per pod to create: its completion index (Indexed) or undefined. */
  create: (number | undefined)[];
  /** Pods left running or terminating once the plan is carried out. */
  running: number;
  newFailures: number;
  newSuccess: boolean;
  events: JobEvent[];
  requeueMs?: number;
}

const successMessage = 'Reached expected number of succeeded pods';

function interimCondition(conds: JobCondition[]): JobCondition | undefined {
  return [findCondition(conds, 'FailureTarget'), findCondition(conds, 'SuccessCriteriaMet')].find((c) => c?.status === 'True');
}

function setUncounted(status: JobStatus, succeeded: Set<string>, failed: Set<string>): void {
  status.uncountedTerminatedPods = { ...(succeeded.size > 0 ? { succeeded: [...succeeded] } : {}), ...(failed.size > 0 ? { failed: [...failed] } : {}) };
}

/** Counts, as the API shows them: zero counts omitted, ready and terminating always present. */
function setCounts(status: JobStatus, counts: { active: number; ready: number; terminating: number; succeeded: number; failed: number }): void {
  for (const k of ['active', 'succeeded', 'failed'] as const) {
    if (counts[k] > 0) status[k] = counts[k];
    else delete status[k];
  }
  status.ready = counts.ready;
  status.terminating = counts.terminating;
}

/** Moves uncounted pods for which `gone(uid)` (finalizer removed) into succeeded/failed. */
export function moveCounted(status: JobStatus, gone: (uid: string) => boolean): void {
  const succeeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
  const failed = new Set(status.uncountedTerminatedPods?.failed ?? []);
  for (const uid of [...succeeded]) {
    if (!gone(uid)) continue;
    succeeded.delete(uid);
    status.succeeded = (status.succeeded ?? 0) + 1;
  }
  for (const uid of [...failed]) {
    if (!gone(uid)) continue;
    failed.delete(uid);
    status.failed = (status.failed ?? 0) + 1;
  }
  setUncounted(status, succeeded, failed);
}

/**
 * Adds the terminal condition once the interim one holds, nothing is left uncounted and no pod
 * runs; returns the event to record then.
 */
export function settle(status: JobStatus, running: number, now: number): JobEvent | undefined {
  const conds = status.conditions ?? [];
  const interim = interimCondition(conds);
  const unc = status.uncountedTerminatedPods;
  if (!interim || running > 0 || (unc?.succeeded?.length ?? 0) > 0 || (unc?.failed?.length ?? 0) > 0) return undefined;
  if (hasTrueCondition(conds, 'Complete') || hasTrueCondition(conds, 'Failed')) return undefined;
  const reason = interim.reason ?? '';
  const message = interim.message ?? '';
  status.conditions = conds;
  if (interim.type === 'SuccessCriteriaMet') {
    setCondition(conds, newCondition('Complete', reason, message, now));
    status.completionTime = rfc3339(now);
    return { type: 'Normal', reason: 'Completed', message: 'Job completed' };
  }
  setCondition(conds, newCondition('Failed', reason, message, now));
  return { type: 'Warning', reason, message };
}

function pastBackoffLimitOnFailure(job: Job, pods: Pod[]): boolean {
  if (job.spec?.template.spec?.restartPolicy !== 'OnFailure') return false;
  const limit = job.spec.backoffLimit ?? 6;
  const total = pods.reduce((n, p) => n + restarts(p), 0);
  return limit === 0 ? total > 0 : total >= limit;
}

export function planSync(inp: SyncInput): SyncPlan {
  const { job, pods, now } = inp;
  const spec = job.spec ?? { template: {} };
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  const parallelism = spec.parallelism ?? 1;
  const suspended = spec.suspend === true;
  const onlyFailed = spec.podReplacementPolicy === 'Failed';
  const status: JobStatus = structuredClone(job.status ?? {});
  const conds = (status.conditions = [...(status.conditions ?? [])]);
  const events: JobEvent[] = [];
  let requeueMs: number | undefined;
  const requeue = (ms: number) => (requeueMs = Math.min(requeueMs ?? Infinity, ms));

  if (!suspended) {
    if (hasTrueCondition(conds, 'Suspended')) {
      setCondition(conds, newCondition('Suspended', 'JobResumed', 'Job resumed', now, 'False'));
      // Resuming restarts the activeDeadlineSeconds clock.
      status.startTime = rfc3339(now);
      events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
    }
    status.startTime ??= rfc3339(now);
  }

  // Pods listed as uncounted whose finalizer the cache shows gone are counted now.
  const byUid = new Map(pods.map((p) => [uidOf(p), p]));
  moveCounted(status, (uid) => {
    const p = byUid.get(uid);
    return !p || !hasTrackingFinalizer(p);
  });
  const uncSucceeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
  const uncFailed = new Set(status.uncountedTerminatedPods?.failed ?? []);
  const completed = indexed ? IndexSet.parse(status.completedIndexes, completions) : undefined;
  const validIndex = (p: Pod) => {
    const ix = completionIndex(p);
    return ix !== undefined && ix < (completions ?? 0) ? ix : undefined;
  };
  let interim = interimCondition(conds);

  const finalize: Pod[] = [];
  let newFailures = 0;
  let newSuccess = false;
  for (const p of pods) {
    const uid = uidOf(p);
    if (!hasTrackingFinalizer(p) || inp.finalizerPending(uid)) continue;
    if (p.status?.phase === 'Succeeded') {
      finalize.push(p);
      if (uncFailed.has(uid)) continue;
      if (completed) {
        const ix = validIndex(p);
        if (ix !== undefined && !completed.has(ix)) {
          completed.add(ix);
          newSuccess = true;
        }
      } else if (!uncSucceeded.has(uid)) {
        uncSucceeded.add(uid);
        newSuccess = true;
      }
    } else if (podFailed(p, job) || interim?.type === 'FailureTarget') {
      // Once the Job is failing, every pod that has not succeeded ends as a failure.
      finalize.push(p);
      if (uncFailed.has(uid) || uncSucceeded.has(uid)) continue;
      if (indexed && validIndex(p) === undefined) continue;
      if (p.status?.phase === 'Failed' && spec.podFailurePolicy) {
        const match = matchPodFailurePolicy(job, p);
        if (match?.action === 'Ignore') continue;
        if (match?.action === 'FailJob' && !interim) interim = newCondition('FailureTarget', 'PodFailurePolicy', match.message, now);
      }
      uncFailed.add(uid);
      newFailures++;
    } else if (interim) {
      // A Job that met its success criteria releases the pods it is about to delete.
      finalize.push(p);
    }
  }
  setUncounted(status, uncSucceeded, uncFailed);

  const active = pods.filter(isPodActive);
  const terminating = pods.filter(isTerminating);
  const failed = (status.failed ?? 0) + uncFailed.size;
  const succeeded = completed ? completed.size : (status.succeeded ?? 0) + uncSucceeded.size;
  if (!interim) {
    const deadlineMs = spec.activeDeadlineSeconds !== undefined && !suspended && status.startTime ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 - now : undefined;
    if (failed > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
      interim = newCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (deadlineMs !== undefined && deadlineMs <= 0) {
      interim = newCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
      interim = newCondition('SuccessCriteriaMet', 'CompletionsReached', successMessage, now);
    } else if (deadlineMs !== undefined) {
      requeue(deadlineMs);
    }
  }
  if (interim) setCondition(conds, interim);

  let remove: Pod[] = [];
  let create: (number | undefined)[] = [];
  if (inp.canManage) {
    if (interim || suspended) {
      remove = active;
    } else {
      const want = completions === undefined ? (succeeded > 0 ? active.length : parallelism) : Math.max(0, Math.min(parallelism, completions - succeeded));
      ({ remove, create } = completed ? manageIndexed(active, terminating, completed, completions ?? 0, want, onlyFailed) : manageNonIndexed(active, terminating, want, onlyFailed));
      const wait = create.length > 0 ? inp.backoffMs(newFailures, newSuccess) : 0;
      if (wait > 0) {
        create = [];
        requeue(wait);
      }
    }
  }
  if (suspended && !interim && setCondition(conds, newCondition('Suspended', 'JobSuspended', 'Job suspended', now))) {
    events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
  }

  const removed = new Set(remove);
  const stillActive = active.filter((p) => !removed.has(p));
  if (completed) {
    status.succeeded = completed.size;
    const text = completed.toString();
    if (text) status.completedIndexes = text;
    else delete status.completedIndexes;
  }
  setCounts(status, {
    active: stillActive.length + create.length,
    ready: stillActive.filter(isPodReady).length,
    terminating: terminating.length + remove.length,
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
  });
  if (status.conditions.length === 0) delete status.conditions;
  const running = active.length + terminating.length + create.length;
  return { status, finalize, remove, create, running, newFailures, newSuccess, events, ...(requeueMs !== undefined ? { requeueMs } : {}) };
}

function manageNonIndexed(active: Pod[], terminating: Pod[], want: number, onlyFailed: boolean): { remove: Pod[]; create: undefined[] } {
  const remove = active.length > want ? [...active].sort(removalOrder).slice(0, active.length - want) : [];
  const occupied = active.length + (onlyFailed ? terminating.length : 0);
  const n = Math.min(maxCreatesPerSync, Math.max(0, want - occupied));
  return { remove, create: new Array<undefined>(n).fill(undefined) };
}

/**
 * Indexed: one active pod per pending index. Pods with a bad, out-of-range or already completed
 * index go, as do duplicates of an index (the most advanced one stays); then the lowest pending
 * indexes get pods.
 */
function manageIndexed(active: Pod[], terminating: Pod[], completed: IndexSet, completions: number, want: number, onlyFailed: boolean): { remove: Pod[]; create: number[] } {
  const remove: Pod[] = [];
  const byIndex = new Map<number, Pod[]>();
  for (const p of active) {
    const ix = completionIndex(p);
    if (ix === undefined || ix >= completions || completed.has(ix)) remove.push(p);
    else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
  }
  const kept: Pod[] = [];
  for (const group of byIndex.values()) {
    const sorted = [...group].sort(removalOrder);
    remove.push(...sorted.slice(0, -1));
    kept.push(sorted[sorted.length - 1]!);
  }
  if (kept.length > want) {
    const surplus = [...kept].sort(removalOrder).slice(0, kept.length - want);
    remove.push(...surplus);
    for (const p of surplus) kept.splice(kept.indexOf(p), 1);
  }
  const occupied = new Set(kept.map((p) => completionIndex(p)!));
  if (onlyFailed) for (const p of terminating) occupied.add(completionIndex(p) ?? -1);
  const create: number[] = [];
  const need = Math.min(maxCreatesPerSync, want - kept.length - (onlyFailed ? terminating.length : 0));
  for (let i = 0; i < completions && create.length < need; i++) if (!completed.has(i) && !occupied.has(i)) create.push(i);
  return { remove, create };
}
