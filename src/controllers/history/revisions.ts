// ControllerRevisions as the DaemonSet and StatefulSet controllers keep them (upstream's
// pkg/controller/history and the daemon controller's snapshot):
// - `data` is the patch that restores the owner's pod template, exactly the shape kubectl
//   applies on `rollout undo`: {"spec":{"template":{...,"$patch":"replace"}}};
// - names are `<owner>-<hash>` (owner name cut to 223 characters);
// - revision numbers grow: a template that comes back (an undo) has its old revision renumbered
//   to the next number instead of a new object being written;
// - the history limit keeps the newest `revisionHistoryLimit` revisions no live pod uses.

import { newControllerRef } from '../../api/ownerrefs.js';
import type { KObject, Meta } from '../../apiserver/object.js';
import { jsonEqual } from '../hash.js';

/** The label pods (and DaemonSet revisions) carry: apps.ControllerRevisionHashLabelKey. */
export const podRevisionLabel = 'controller-revision-hash';
/** The label StatefulSet revisions carry: history.ControllerRevisionHashLabel. */
export const revisionHashLabel = 'controller.kubernetes.io/hash';

export interface Revision extends KObject {
  apiVersion: 'apps/v1';
  kind: 'ControllerRevision';
  metadata: Meta & { name: string };
  data?: unknown;
  revision: number;
}

/** The revision data of an owner: a strategic-merge patch replacing spec.template. */
export function templatePatch(owner: KObject): { spec: { template: Record<string, unknown> } } {
  const spec = (owner.spec ?? {}) as { template?: Record<string, unknown> };
  return { spec: { template: { ...structuredClone(spec.template ?? {}), $patch: 'replace' } } };
}

/** The pod template a revision restores (ApplyRevision on spec.template). */
export function templateOf(rev: Revision): Record<string, unknown> {
  const data = (rev.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
  const { $patch: _directive, ...template } = structuredClone(data.spec?.template ?? {});
  return template;
}

/** Whether a revision holds the owner's current template (upstream compares the patch bytes). */
export function revisionMatches(owner: KObject, rev: Revision): boolean {
  return jsonEqual(templatePatch(owner), rev.data);
}

/** history.ControllerRevisionName. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

export function newRevision(opts: {
  owner: KObject;
  name: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  data: unknown;
  revision: number;
}): Revision {
  const metadata: Revision['metadata'] = {
    name: opts.name,
    namespace: opts.owner.metadata.namespace ?? '',
    labels: opts.labels,
    ownerReferences: [newControllerRef(opts.owner)],
  };
  if (opts.annotations && Object.keys(opts.annotations).length > 0) metadata.annotations = { ...opts.annotations };
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata, data: opts.data, revision: opts.revision };
}

/** Oldest first: by revision number, then creation time, then name (history.SortControllerRevisions). */
export function sortRevisions<T extends Revision>(revs: T[]): T[] {
  return [...revs].sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
}

/** The number the next new revision gets: one more than the highest (1 for none). */
export function nextRevisionNumber(revs: readonly Revision[]): number {
  let max = 0;
  for (const r of revs) if (r.revision > max) max = r.revision;
  return max + 1;
}

/**
 * The revisions to delete so at most `limit` old ones remain, oldest first, never one in `live`
 * (used by a pod, or the owner's current/update revision). StatefulSets count only revisions
 * that are not live against the limit; DaemonSets (`liveCountTowardLimit`) count every old one.
 */
export function revisionsToPrune<T extends Revision>(revs: T[], live: ReadonlySet<string>, limit: number, opts: { liveCountTowardLimit?: boolean } = {}): T[] {
  const sorted = sortRevisions(revs);
  const dead = sorted.filter((r) => !live.has(r.metadata.name));
  const excess = (opts.liveCountTowardLimit ? sorted.length : dead.length) - Math.max(0, limit);
  return excess > 0 ? dead.slice(0, excess) : [];
}
