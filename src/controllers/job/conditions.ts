// Job conditions and timestamps as upstream writes them. A Job that meets its success or failure
// criteria first gets the interim condition (SuccessCriteriaMet / FailureTarget, Kubernetes
// 1.31+) and only once every pod has terminated and been counted the terminal one (Complete /
// Failed) with the same reason and message.

import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';

/** RFC 3339 at second precision, as metav1.Time marshals. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function findCondition(conds: readonly JobCondition[] | undefined, type: string): JobCondition | undefined {
  return (conds ?? []).find((c) => c.type === type);
}

export function hasTrueCondition(conds: readonly JobCondition[] | undefined, type: string): boolean {
  return findCondition(conds, type)?.status === 'True';
}

/** 'Complete' or 'Failed' once the Job has finished. */
export function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  const conds = job.status?.conditions;
  if (hasTrueCondition(conds, 'Complete')) return 'Complete';
  if (hasTrueCondition(conds, 'Failed')) return 'Failed';
  return undefined;
}

/** When the Job finished: the terminal condition's lastTransitionTime. */
export function finishedAt(job: Job): number | undefined {
  const type = finishedType(job);
  const t = type ? findCondition(job.status?.conditions, type)?.lastTransitionTime : undefined;
  return t ? Date.parse(t) : undefined;
}

export function newCondition(type: string, reason: string, message: string, now: number, status = 'True'): JobCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastProbeTime: t, lastTransitionTime: t };
}

/**
 * Sets a condition in place; returns whether anything changed. The transition time moves only
 * when the status does.
 */
export function setCondition(conds: JobCondition[], c: JobCondition): boolean {
  const i = conds.findIndex((x) => x.type === c.type);
  if (i < 0) {
    conds.push(c);
    return true;
  }
  const old = conds[i]!;
  if (old.status === c.status && old.reason === c.reason && old.message === c.message) return false;
  conds[i] = old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime ?? c.lastTransitionTime } : c;
  return true;
}
