// A DaemonSet's ControllerRevisions (upstream's constructHistory, snapshot, dedupCurHistories and
// cleanupHistory): the revision holding the current template is found or created as
// `<set>-<hash of template and collisionCount>` with the revision number after every old one;
// a name already taken by another template bumps status.collisionCount and retries.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { KObject } from '../../apiserver/object.js';
import type { Client } from '../../client/client.js';
import { isApiError } from '../../client/transport.js';
import { computeHash } from '../hash.js';
import { nextRevisionNumber, newRevision, podRevisionLabel, revisionMatches, revisionName, revisionsToPrune, sortRevisions, templatePatch, type Revision } from '../history/revisions.js';
import { resourceOf } from '../context.js';

const revisionsResource = resourceOf('apps', 'ControllerRevision');
const daemonSetsResource = resourceOf('apps', 'DaemonSet');
const podsResource = resourceOf('', 'Pod');

export interface History {
  current: Revision;
  old: Revision[];
  /** The current revision's hash: the `controller-revision-hash` of up-to-date pods. */
  hash: string;
}

/**
 * Finds or creates the current revision among `owned` (the revisions the set controls).
 * `podsWithHash(h)` gives the set's pods labelled with hash h (to relabel after a dedup).
 */
export async function constructHistory(client: Client, ds: DaemonSet, owned: Revision[], podsWithHash: (hash: string) => KObject[]): Promise<History> {
  const obj = ds as unknown as KObject;
  const ns = ds.metadata?.namespace ?? '';
  const current: Revision[] = [];
  const old: Revision[] = [];
  for (let rev of owned) {
    if (!rev.metadata.labels?.[podRevisionLabel]) {
      // Revisions from before the label: labelled with their name, as upstream does.
      rev = (await client.patch(revisionsResource, rev.metadata.name, { metadata: { labels: { [podRevisionLabel]: rev.metadata.name } } }, 'merge', { namespace: ns })) as Revision;
    }
    (revisionMatches(obj, rev) ? current : old).push(rev);
  }
  const next = nextRevisionNumber(old);
  let cur: Revision;
  if (current.length === 0) cur = await snapshot(client, ds, next);
  else cur = await dedup(client, current, podsWithHash);
  if (cur.revision < next) {
    cur = (await client.patch(revisionsResource, cur.metadata.name, { revision: next }, 'merge', { namespace: ns })) as Revision;
  }
  return { current: cur, old, hash: cur.metadata.labels?.[podRevisionLabel] ?? '' };
}

async function snapshot(client: Client, ds: DaemonSet, revision: number): Promise<Revision> {
  const obj = ds as unknown as KObject;
  const ns = ds.metadata?.namespace ?? '';
  const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
  const rev = newRevision({
    owner: obj,
    name: revisionName(ds.metadata?.name ?? '', hash),
    labels: { ...(ds.spec?.template.metadata?.labels ?? {}), [podRevisionLabel]: hash },
    annotations: ds.metadata?.annotations ?? {},
    data: templatePatch(obj),
    revision,
  });
  try {
    return (await client.create(revisionsResource, rev, ns)) as Revision;
  } catch (e) {
    if (!isApiError(e, 409)) throw e;
    const existing = (await client.get(revisionsResource, rev.metadata.name, ns)) as Revision;
    if (revisionMatches(obj, existing)) return existing;
    // Another template owns the name: bump collisionCount (only if ours was not stale) and retry.
    const live = (await client.get(daemonSetsResource, ds.metadata?.name ?? '', ns)) as unknown as DaemonSet;
    if ((live.status?.collisionCount ?? null) !== (ds.status?.collisionCount ?? null)) {
      throw new Error(`found a stale collision count (${ds.status?.collisionCount ?? 0}, expected ${live.status?.collisionCount ?? 0}) of DaemonSet "${ds.metadata?.name}" while processing; will retry until it is updated`);
    }
    const status = { ...(live.status ?? {}), collisionCount: (live.status?.collisionCount ?? 0) + 1 };
    await client.updateStatus(daemonSetsResource, { ...(live as unknown as KObject), status });
    throw new Error(`hash collision on ControllerRevision ${rev.metadata.name} of DaemonSet "${ds.metadata?.name}": collisionCount bumped, will retry`);
  }
}

/** Several revisions hold the current template: keep the newest, move pods onto its hash, delete the rest. */
async function dedup(client: Client, current: Revision[], podsWithHash: (hash: string) => KObject[]): Promise<Revision> {
  const sorted = sortRevisions(current);
  const keep = sorted[sorted.length - 1] as Revision;
  if (sorted.length === 1) return keep;
  const keepHash = keep.metadata.labels?.[podRevisionLabel] ?? '';
  for (const dup of sorted.slice(0, -1)) {
    const dupHash = dup.metadata.labels?.[podRevisionLabel] ?? '';
    for (const pod of podsWithHash(dupHash)) {
      await client
        .patch(podsResource, pod.metadata.name ?? '', { metadata: { labels: { [podRevisionLabel]: keepHash } } }, 'merge', { namespace: pod.metadata.namespace ?? '' })
        .catch(ignoreNotFound);
    }
    await client.delete(revisionsResource, dup.metadata.name, { namespace: dup.metadata.namespace ?? '' }).catch(ignoreNotFound);
  }
  return keep;
}

/** cleanupHistory: old revisions beyond revisionHistoryLimit whose hash no pod carries. */
export async function cleanupHistory(client: Client, ds: DaemonSet, old: Revision[], liveHashes: ReadonlySet<string>): Promise<void> {
  const live = new Set(old.filter((r) => liveHashes.has(r.metadata.labels?.[podRevisionLabel] ?? '')).map((r) => r.metadata.name));
  for (const rev of revisionsToPrune(old, live, ds.spec?.revisionHistoryLimit ?? 10, { liveCountTowardLimit: true })) {
    await client.delete(revisionsResource, rev.metadata.name, { namespace: rev.metadata.namespace ?? '' }).catch(ignoreNotFound);
  }
}

function ignoreNotFound(e: unknown): undefined {
  if (isApiError(e, 404)) return undefined;
  throw e;
}
