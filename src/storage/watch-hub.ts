// In-process watch fan-out for backends whose writes all pass through this process (memory,
// SQLite).
//
// Why it has no gaps or duplicates: a watch starts on a later macrotask with one synchronous step —
// `replay` returns every retained event after the watch's revision together with the revision it
// read up to, and the watcher is registered at that revision before control returns to the event
// loop. Backends call `publish` synchronously right after a write becomes visible, and never
// between a replay and its registration (both are synchronous), so live events start exactly
// where the replay ended. Each watcher remembers the last revision it was given and drops anything
// at or below it.

import { StoreError, type Watch, type WatchEvent, type WatchHandlers } from './store.js';

export interface Replay {
  events: WatchEvent[];
  /** The revision the replay read up to (the store's current revision). */
  revision: number;
}

/** Reads retained events after `afterRevision` under `prefix`; throws StoreError('Compacted'). */
export type ReplayFn = (prefix: string, afterRevision: number) => Replay;

interface Watcher {
  prefix: string;
  /** Events at or below this revision were delivered already (or predate the watch). */
  after: number;
  handlers: WatchHandlers;
  closed: boolean;
}

export function eventRevision(ev: WatchEvent): number {
  return ev.type === 'put' ? ev.kv.modRevision : ev.revision;
}

export function eventKey(ev: WatchEvent): string {
  return ev.type === 'put' ? ev.kv.key : ev.key;
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private closedWith: StoreError | undefined;

  constructor(private readonly replay: ReplayFn) {}

  watch(prefix: string, afterRevision: number, handlers: WatchHandlers): Watch {
    const w: Watcher = { prefix, after: afterRevision, handlers, closed: false };
    setImmediate(() => this.start(w));
    return {
      close: () => {
        w.closed = true;
        this.watchers.delete(w);
      },
    };
  }

  /** Delivers events (in revision order) that just became visible to every interested watcher. */
  publish(events: WatchEvent[]): void {
    if (events.length === 0) return;
    for (const w of [...this.watchers]) {
      if (w.closed) continue;
      const mine = events.filter((ev) => eventRevision(ev) > w.after && eventKey(ev).startsWith(w.prefix));
      if (mine.length === 0) continue;
      w.after = eventRevision(mine[mine.length - 1] as WatchEvent);
      deliver(w, mine);
    }
  }

  /** Ends every watch with `err`; watches started later end with it too. */
  closeAll(err: StoreError): void {
    this.closedWith = err;
    for (const w of [...this.watchers]) fail(w, err);
    this.watchers.clear();
  }

  private start(w: Watcher): void {
    if (w.closed) return;
    if (this.closedWith) return fail(w, this.closedWith);
    let replayed: Replay;
    try {
      replayed = this.replay(w.prefix, w.after);
    } catch (err) {
      return fail(w, err instanceof StoreError ? err : new StoreError('Unavailable', String(err)));
    }
    // A watch may start from a future revision: it then waits for events beyond it.
    w.after = Math.max(w.after, replayed.revision);
    this.watchers.add(w);
    if (replayed.events.length > 0) deliver(w, replayed.events);
  }
}

function deliver(w: Watcher, events: WatchEvent[]): void {
  try {
    w.handlers.onEvents(events);
  } catch (err) {
    // A throwing handler is a bug in the caller; surface it without breaking the writer's batch.
    setImmediate(() => {
      throw err;
    });
  }
}

function fail(w: Watcher, err: StoreError): void {
  if (w.closed) return;
  w.closed = true;
  try {
    w.handlers.onError(err);
  } catch (thrown) {
    setImmediate(() => {
      throw thrown;
    });
  }
}
