// Which pods go first when a controller scales down (upstream's ActivePodsWithRanks, with the
// PodDeletionCost and LogarithmicScaleDown behaviour that is on by default). Earlier = deleted
// first:
//   1. unassigned (no nodeName) before assigned;
//   2. Pending before Unknown before Running;
//   3. not ready before ready;
//   4. lower `controller.kubernetes.io/pod-deletion-cost` before higher;
//   5. more related active pods on the same node before fewer ("doubled up" first);
//   6. both ready: ready more recently before ready longer (compared by power-of-two age buckets;
//      same bucket falls through to the uid);
//   7. more container restarts before fewer (regular containers, then restartable init ones);
//   8. created more recently before older (same log2 bucket: ordered by uid, as upstream).
// Pure functions; the inputs are not mutated.

import { isPodActive, isPodReady, podReadySince } from '../../api/pods.js';
import type { PodObj } from './pods.js';

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

interface Ranked {
  pod: PodObj;
  /** Active related pods on this pod's node. */
  rank: number;
}

/** Upstream's deletion cost: an int32 annotation, 0 when missing or malformed. */
export function podDeletionCost(pod: PodObj): number {
  const v = pod.metadata.annotations?.[deletionCostAnnotation];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

function timeOf(rfc3339: string | undefined): number | undefined {
  if (!rfc3339) return undefined;
  const t = Date.parse(rfc3339);
  return Number.isNaN(t) ? undefined : t;
}

/** afterOrZero: a missing time sorts first, otherwise the later one first. */
function afterOrZero(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === undefined;
  return a > b;
}

/** floor(log2(age in ns)), -1 for a time not in the past. */
function logRank(t: number, now: number): number {
  const ageMs = now - t;
  return ageMs > 0 ? Math.floor(Math.log2(ageMs * 1e6)) : -1;
}

/** "Newer first" by log2 buckets; ties by uid. Returns undefined when the times are equal. */
function newerFirst(a: number | undefined, b: number | undefined, pa: PodObj, pb: PodObj, now: number): boolean | undefined {
  if (a === b) return undefined;
  if (a === undefined || b === undefined) return afterOrZero(a, b);
  const diff = logRank(a, now) - logRank(b, now);
  if (diff === 0) return (pa.metadata.uid ?? '') < (pb.metadata.uid ?? '');
  return diff < 0;
}

function maxRestarts(pod: PodObj): { regular: number; sidecar: number } {
  let regular = 0;
  let sidecar = 0;
  for (const s of pod.status?.containerStatuses ?? []) regular = Math.max(regular, s.restartCount ?? 0);
  const restartable = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  for (const s of pod.status?.initContainerStatuses ?? []) if (restartable.has(s.name)) sidecar = Math.max(sidecar, s.restartCount ?? 0);
  return { regular, sidecar };
}

/** True when `a` should be deleted before `b`. */
function less(a: Ranked, b: Ranked, now: number): boolean {
  const pa = a.pod;
  const pb = b.pod;
  const na = pa.spec?.nodeName ?? '';
  const nb = pb.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  const oa = phaseOrdinal[pa.status?.phase ?? ''] ?? 0;
  const ob = phaseOrdinal[pb.status?.phase ?? ''] ?? 0;
  if (oa !== ob) return oa < ob;
  const ra = isPodReady(pa);
  const rb = isPodReady(pb);
  if (ra !== rb) return !ra;
  const ca = podDeletionCost(pa);
  const cb = podDeletionCost(pb);
  if (ca !== cb) return ca < cb;
  if (a.rank !== b.rank) return a.rank > b.rank;
  if (ra && rb) {
    const r = newerFirst(podReadySince(pa), podReadySince(pb), pa, pb, now);
    if (r !== undefined) return r;
  }
  const xa = maxRestarts(pa);
  const xb = maxRestarts(pb);
  if (xa.regular !== xb.regular) return xa.regular > xb.regular;
  if (xa.sidecar !== xb.sidecar) return xa.sidecar > xb.sidecar;
  const r = newerFirst(timeOf(pa.metadata.creationTimestamp), timeOf(pb.metadata.creationTimestamp), pa, pb, now);
  return r ?? false;
}

/**
 * `pods` ordered deletion-first. `related` are pods of the same controller family (this
 * ReplicaSet's and its siblings'); their active count per node ranks pods that share a node.
 */
export function rankPodsForDeletion(pods: readonly PodObj[], related: readonly PodObj[], now: number): PodObj[] {
  const onNode = new Map<string, number>();
  for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
  const ranked: Ranked[] = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((a, b) => (less(a, b, now) ? -1 : less(b, a, now) ? 1 : 0));
  return ranked.map((r) => r.pod);
}

/** The `diff` pods to delete first (all of them, unsorted, when diff covers every pod). */
export function podsToDelete(pods: readonly PodObj[], related: readonly PodObj[], diff: number, now: number): PodObj[] {
  if (diff >= pods.length) return pods.slice();
  return rankPodsForDeletion(pods, related, now).slice(0, Math.max(0, diff));
}
