// Pod helpers the DaemonSet and StatefulSet controllers share beyond src/api/pods.ts (where
// readiness, availability and terminal phases are decided).

import type { Pod } from 'kubernetes-types/core/v1.js';

/** Being deleted (deletionTimestamp set), whatever its phase. */
export function isTerminating(pod: Pod): boolean {
  return Boolean(pod.metadata?.deletionTimestamp);
}

/** By creation time, then name (oldest first); used to choose which duplicate pod survives. */
export function byCreation(a: Pod, b: Pod): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = a.metadata?.name ?? '';
  const nb = b.metadata?.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
