// A StatefulSet's revisions (upstream's getStatefulSetRevisions and truncateHistory): the update
// revision is the one holding the current template — the newest revision if it already does, an
// older equal one renumbered to the next revision (a rollback), or a new `<set>-<hash>`; a name
// taken by other data bumps the collision count and hashes again. The current revision is the one
// status.currentRevision names (the update revision for a new set).

import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { KObject } from '../../apiserver/object.js';
import type { Client } from '../../client/client.js';
import { isApiError } from '../../client/transport.js';
import { hashRevisionData, jsonEqual } from '../hash.js';
import { newRevision, nextRevisionNumber, revisionHashLabel, revisionName, revisionsToPrune, sortRevisions, templatePatch, type Revision } from '../history/revisions.js';
import { resourceOf } from '../context.js';

const revisionsResource = resourceOf('apps', 'ControllerRevision');

export interface SetRevisions {
  current: Revision;
  update: Revision;
  collisionCount: number;
}

export async function setRevisions(client: Client, set: StatefulSet, owned: Revision[]): Promise<SetRevisions> {
  const obj = set as unknown as KObject;
  const ns = set.metadata?.namespace ?? '';
  const revs = sortRevisions(owned);
  let collisionCount = set.status?.collisionCount ?? 0;
  const data = templatePatch(obj);
  const next = nextRevisionNumber(revs);
  const equal = revs.filter((r) => jsonEqual(r.data, data));
  const last = revs[revs.length - 1];
  let update: Revision;
  if (equal.length > 0 && last && equal[equal.length - 1] === last) {
    update = last;
  } else if (equal.length > 0) {
    const prior = equal[equal.length - 1] as Revision;
    update = (await client.patch(revisionsResource, prior.metadata.name, { revision: next }, 'merge', { namespace: ns })) as Revision;
  } else {
    const hash = hashRevisionData(data, collisionCount);
    const labels = { ...(set.spec?.template.metadata?.labels ?? {}), [revisionHashLabel]: hash };
    for (;;) {
      const rev = newRevision({ owner: obj, name: revisionName(set.metadata?.name ?? '', hashRevisionData(data, collisionCount)), labels, annotations: set.metadata?.annotations ?? {}, data, revision: next });
      try {
        update = (await client.create(revisionsResource, rev, ns)) as Revision;
        break;
      } catch (e) {
        if (!isApiError(e, 409)) throw e;
        const exists = (await client.get(revisionsResource, rev.metadata.name, ns)) as Revision;
        if (jsonEqual(exists.data, data)) {
          update = exists;
          break;
        }
        collisionCount++;
      }
    }
  }
  const current = revs.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { current, update, collisionCount };
}

/** truncateHistory: revisions no pod uses, beyond revisionHistoryLimit, oldest first. */
export async function truncateHistory(client: Client, set: StatefulSet, owned: Revision[], live: ReadonlySet<string>): Promise<void> {
  for (const rev of revisionsToPrune(owned, live, set.spec?.revisionHistoryLimit ?? 10)) {
    await client.delete(revisionsResource, rev.metadata.name, { namespace: rev.metadata.namespace ?? '' }).catch((e: unknown) => {
      if (!isApiError(e, 404)) throw e;
    });
  }
}
