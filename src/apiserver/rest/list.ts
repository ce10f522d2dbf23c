// GET on a collection: served from the watch cache, or from the store when the client asks for
// an exact past revision or continues a paginated list (pages after the first are read from the
// store at the first page's revision, so the whole list is one consistent snapshot).

import { errors } from '../../api/errors.js';
import { isStoreError } from '../../storage/store.js';
import { lowerBound, resourcePrefix } from '../watch-cache.js';
import { decodeContinue, encodeContinue } from './continue.js';
import { sendList } from './output.js';
import { predicateFor, type Predicate } from './select.js';
import { intParam, resourceVersionParam, type Scope } from './scope.js';

/** How long a list waits for the cache to catch up with a requested revision. */
const freshnessWaitMs = 3000;

export async function list(s: Scope): Promise<void> {
  const q = s.query;
  const rv = resourceVersionParam(q);
  const match = q.get('resourceVersionMatch') ?? '';
  const limit = intParam(q, 'limit') ?? 0;
  const cont = q.get('continue') ?? '';
  if (limit < 0) throw errors.badRequest(`limit: Invalid value: ${limit}: must be greater than or equal to 0`);
  if (match && match !== 'Exact' && match !== 'NotOlderThan') {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match && rv === '') throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (match === 'Exact' && rv === '0') throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  const pred = predicateFor(s);

  if (cont) {
    if (rv !== '' && rv !== '0') throw errors.badRequest('specifying resource version is not allowed when using continue');
    const token = decodeContinue(cont);
    await fromStore(s, pred, token.rv, token.start, limit);
    return;
  }
  const rvNum = Number(rv);
  if (match === 'Exact' || (limit > 0 && rv !== '' && rv !== '0' && match === '')) {
    await fromStore(s, pred, rvNum, undefined, limit);
    return;
  }
  const cache = s.server.cache;
  if (rv === '') {
    // A consistent read: wait until the cache holds everything the store has acknowledged.
    const current = await s.server.store.currentRevision();
    if (!(await cache.waitFor(current, freshnessWaitMs))) {
      await fromStore(s, pred, 0, undefined, limit);
      return;
    }
  } else if (rv !== '0' && !(await cache.waitFor(rvNum, freshnessWaitMs))) {
    throw errors.timeout(`Too large resource version: ${rvNum}, current: ${cache.revision}`);
  }
  await fromCache(s, pred, limit);
}

function fromCache(s: Scope, pred: Predicate, limit: number): Promise<void> {
  const rc = s.rc;
  const keys = rc.keys();
  const revision = s.server.cache.revision;
  const prefix = resourcePrefix(s.info) + (s.info.namespaced && s.rr.namespace !== undefined ? `${s.rr.namespace}/` : '');
  const items: string[] = [];
  let last = '';
  let more = false;
  for (let i = lowerBound(keys, prefix); i < keys.length; i++) {
    const key = keys[i]!;
    if (!key.startsWith(prefix)) break;
    const e = rc.entries.get(key)!;
    if (!pred(e)) continue;
    if (limit > 0 && items.length === limit) {
      more = true;
      break;
    }
    items.push(e.json);
    last = key;
  }
  return sendList(s, items, {
    resourceVersion: String(revision),
    ...(more ? { continue: encodeContinue({ rv: revision, start: last.slice(resourcePrefix(s.info).length) }) } : {}),
  });
}

async function fromStore(s: Scope, pred: Predicate, revision: number, start: string | undefined, limit: number): Promise<void> {
  const base = resourcePrefix(s.info);
  const prefix = base + (s.info.namespaced && s.rr.namespace !== undefined ? `${s.rr.namespace}/` : '');
  const items: string[] = [];
  let startAfter = start !== undefined ? base + start : undefined;
  let servedAt = revision;
  let last = '';
  let more = false;
  // Pages keep every store reply small, whatever the list's size.
  const batch = limit > 0 ? Math.max(limit, 100) : 500;
  try {
    outer: for (;;) {
      const res = await s.server.store.range(prefix, { limit: batch, ...(startAfter ? { startAfter } : {}), ...(servedAt ? { revision: servedAt } : {}) });
      servedAt = res.revision;
      for (const kv of res.kvs) {
        const e = s.server.cache.entryFor(s.info, kv.key, kv);
        startAfter = kv.key;
        if (!pred(e)) continue;
        if (limit > 0 && items.length === limit) {
          more = true;
          break outer;
        }
        items.push(e.json);
        last = kv.key;
      }
      if (!res.more) break;
    }
  } catch (err) {
    if (isStoreError(err, 'FutureRevision')) throw errors.timeout(`Too large resource version: ${revision}, current: ${await s.server.store.currentRevision()}`);
    if (isStoreError(err, 'Compacted')) {
      if (start !== undefined) {
        throw errors.gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      throw errors.gone(`too old resource version: ${revision} (${await s.server.store.compactedRevision()})`);
    }
    throw err;
  }
  await sendList(s, items, {
    resourceVersion: String(servedAt),
    ...(more ? { continue: encodeContinue({ rv: servedAt, start: last.slice(base.length) }) } : {}),
  });
}
