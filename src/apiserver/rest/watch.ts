// GET ?watch=1: a stream of newline-delimited watch events served from the watch cache.
//
// Semantics as upstream's cacher: resourceVersion unset or "0" starts with synthetic ADDED events
// for the current state; a revision N replays events after N from the cache's window (too old:
// an ERROR event with 410 Expired). Selector transitions are translated: an object that stops
// matching arrives as DELETED, one that starts matching as ADDED. BOOKMARK events carry the
// cache's revision when the client allows them.

import { errors, StatusError } from '../../api/errors.js';
import { toTable } from '../table/index.js';
import { EventBatch, withResourceVersion, type CacheEvent, type CacheEntry, type CacheWatcher, type EventType } from '../watch-cache.js';
import { includeObject, partialMetadata } from './output.js';
import { predicateFor } from './select.js';
import { intParam, resourceVersionParam, type Scope } from './scope.js';

/** A watcher whose client stops reading is dropped once this much output is queued. */
const maxBufferedBytes = 32 * 1024 * 1024;

export async function watch(s: Scope): Promise<void> {
  const q = s.query;
  const rv = resourceVersionParam(q);
  const bookmarks = q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1';
  const sendInitial = q.get('sendInitialEvents');
  if (sendInitial !== null && q.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw errors.invalid('ListOptions', 'meta.k8s.io', '', [
      { type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan" },
    ]);
  }
  const timeoutSeconds = intParam(q, 'timeoutSeconds') ?? 1800 + Math.floor(Math.random() * 1800);
  const pred = predicateFor(s);
  const cache = s.server.cache;
  const rc = s.rc;
  const repr = s.repr;
  const res = s.res;

  let initial: CacheEvent[] | undefined;
  let error: StatusError | undefined;
  const initialEvents = sendInitial === 'true' || (sendInitial === null && (rv === '' || rv === '0'));
  if (rv !== '' && rv !== '0') {
    const n = Number(rv);
    if (n > cache.revision && !(await cache.waitFor(n, 3000))) {
      error = errors.timeout(`Too large resource version: ${n}, current: ${cache.revision}`);
    }
  }

  res.writeHead(200, { 'Content-Type': repr.as === 'object' && repr.yaml ? 'application/yaml' : 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let columnsSent = false;
  const encode = (type: EventType | 'ERROR' | 'BOOKMARK', json: string): string => {
    if (repr.as === 'Table' && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const obj = JSON.parse(json) as Record<string, unknown> & { metadata: { resourceVersion?: string } };
      const table = toTable(s.info, [obj], { includeObject: includeObject(q), noHeaders: columnsSent });
      columnsSent = true;
      json = JSON.stringify({ ...table, apiVersion: `meta.k8s.io/${repr.version}`, metadata: { resourceVersion: obj.metadata.resourceVersion } });
    } else if ((repr.as === 'PartialObjectMetadata' || repr.as === 'PartialObjectMetadataList') && type !== 'ERROR' && type !== 'BOOKMARK') {
      json = JSON.stringify(partialMetadata(JSON.parse(json) as { metadata: unknown }, repr.version));
    }
    return `{"type":"${type}","object":${json}}\n`;
  };

  let closed = false;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let lastRv = 0;
  const close = () => {
    if (closed) return;
    closed = true;
    rc.watchers.delete(watcher);
    clearTimeout(deadline);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    s.server.shutdown.removeEventListener('abort', close);
    res.end();
  };
  const write = (chunk: string | Buffer) => {
    if (closed) return;
    res.write(chunk);
    if (res.writableLength > maxBufferedBytes) close();
  };

  const translate = (ev: CacheEvent): string | undefined => {
    const now = pred(ev.entry);
    if (ev.type === 'ADDED') return now ? encode('ADDED', ev.entry.json) : undefined;
    const before = ev.prev ? pred(ev.prev) : false;
    if (ev.type === 'DELETED') return before || now ? encode('DELETED', ev.entry.json) : undefined;
    if (now && before) return encode('MODIFIED', ev.entry.json);
    if (now) return encode('ADDED', ev.entry.json);
    if (before) return encode('DELETED', withResourceVersion(ev.prev!.json, ev.prev!.rv, ev.rv));
    return undefined;
  };

  // Plain JSON watchers without selectors all receive the same bytes: the batch encodes them once.
  const shareable = repr.as === 'object' && !repr.yaml && !q.get('labelSelector') && !q.get('fieldSelector') && s.rr.name === undefined;
  const watcher: CacheWatcher = {
    deliver(events, batch) {
      let shared: EventBatch | undefined = batch;
      if (events.length > 0 && events[0]!.rv <= lastRv) {
        // Already part of the state this watcher started from.
        events = events.filter((ev) => ev.rv > lastRv);
        shared = undefined;
      }
      if (events.length === 0) return;
      lastRv = events[events.length - 1]!.rv;
      if (shared && shareable) {
        const buf = shared.plain(s.rr.namespace);
        if (buf.length) write(buf);
        return;
      }
      let out = '';
      for (const ev of events) {
        const line = translate(ev);
        if (line) out += line;
      }
      if (out) write(out);
    },
  };

  // Like upstream, a bookmark just before the timeout lets the client resume without a relist.
  const deadline = setTimeout(() => {
    if (bookmarks) write(encode('BOOKMARK', bookmarkJson(s, Math.max(lastRv, cache.deliveredRevision), false)));
    close();
  }, timeoutSeconds * 1000);
  res.on('close', close);
  s.server.shutdown.addEventListener('abort', close);

  if (error) {
    write(encode('ERROR', JSON.stringify(error.toStatus())));
    close();
    return;
  }

  // From here to subscribing runs synchronously, so no event falls between state and stream.
  if (rv !== '' && rv !== '0' && !initialEvents) {
    initial = rc.eventsAfter(Number(rv));
    if (!initial) {
      write(encode('ERROR', JSON.stringify(errors.gone(`too old resource version: ${rv} (${rc.windowStart})`).toStatus())));
      close();
      return;
    }
    watcher.deliver(initial, new EventBatch(initial));
  } else if (initialEvents) {
    let out = '';
    for (const key of rc.keys()) {
      const e = rc.entries.get(key) as CacheEntry;
      if (pred(e)) out += encode('ADDED', e.json);
    }
    if (out) write(out);
    if (sendInitial === 'true') {
      write(encode('BOOKMARK', bookmarkJson(s, cache.revision, true)));
    }
  }
  lastRv = cache.revision;
  rc.watchers.add(watcher);
  if (bookmarks) {
    bookmarkTimer = setInterval(() => write(encode('BOOKMARK', bookmarkJson(s, Math.max(lastRv, cache.deliveredRevision), false))), s.server.bookmarkIntervalMs);
    bookmarkTimer.unref();
  }
}

function bookmarkJson(s: Scope, rv: number, initialEnd: boolean): string {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (initialEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return JSON.stringify({ kind: s.info.kind, apiVersion: s.rs.apiVersion, metadata });
}
