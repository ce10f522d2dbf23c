// One store watch on etcd, on its own gRPC watch stream.
//
// Contract mapping: the stream asks etcd for events from `last` (not last + 1) and drops events at
// or below `last`; etcd refuses a start revision below its compacted revision, so the watch fails
// with Compacted exactly when afterRevision < compacted revision, as the Store contract says.
// When the stream breaks (etcd restarts, a member dies) the watch reconnects from the last
// revision it delivered, so callers see no gap and no duplicate; if etcd stays unreachable for
// `retryWindowMs` the watch ends with Unavailable.

import type { Etcd3, IDuplexStream, IEvent, IKeyValue, IWatchRequest, IWatchResponse } from 'etcd3';
import { mapEtcdError, prefixRangeEnd, prefixRangeStart } from './etcd-errors.js';
import { StoreError, type KeyValue, type Watch, type WatchEvent, type WatchHandlers } from './store.js';

export interface EtcdWatchOptions {
  endpoints: string;
  retryWindowMs: number;
  onEnd(w: EtcdWatch): void;
}

export class EtcdWatch implements Watch {
  private stream: IDuplexStream<IWatchRequest, IWatchResponse> | undefined;
  private closed = false;
  /** Events at or below this revision were delivered already (or predate the watch). */
  private last: number;
  private failingSince: number | undefined;
  private backoffMs = 50;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    afterRevision: number,
    private readonly handlers: WatchHandlers,
    private readonly opts: EtcdWatchOptions,
  ) {
    this.last = afterRevision;
    setImmediate(() => void this.connect());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.stream = undefined;
    this.opts.onEnd(this);
  }

  /** Ends the watch with `err` (no-op once closed). */
  fail(err: StoreError): void {
    if (this.closed) return;
    this.close();
    try {
      this.handlers.onError(err);
    } catch (thrown) {
      setImmediate(() => {
        throw thrown;
      });
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let stream: IDuplexStream<IWatchRequest, IWatchResponse>;
    try {
      stream = await this.client.watchClient.watch();
    } catch (err) {
      return this.retry(err);
    }
    // Cancelling emits 'error' (CANCELLED); a stream must never be left without a listener.
    stream.on('error', () => {});
    if (this.closed) return stream.cancel();
    this.stream = stream;
    stream.on('data', (res) => {
      if (this.stream === stream) this.onResponse(res);
    });
    stream.on('error', (err) => {
      if (this.stream === stream) this.retry(err);
    });
    stream.on('end', () => {
      if (this.stream === stream) this.retry(new StoreError('Unavailable', 'the etcd watch stream ended'));
    });
    stream.write({
      create_request: {
        key: prefixRangeStart(this.prefix),
        range_end: prefixRangeEnd(this.prefix),
        // start_revision 0 would mean "now"; revision 1 is the first etcd ever has.
        start_revision: Math.max(this.last, 1),
        prev_kv: true,
      },
    });
  }

  private retry(err: unknown): void {
    if (this.closed) return;
    this.stream?.cancel();
    this.stream = undefined;
    const mapped = mapEtcdError(err, this.opts.endpoints);
    if (mapped instanceof StoreError && mapped.code !== 'Unavailable') return this.fail(mapped);
    const now = Date.now();
    this.failingSince ??= now;
    if (now - this.failingSince >= this.opts.retryWindowMs) {
      const reason = mapped instanceof Error ? mapped.message : String(mapped);
      return this.fail(new StoreError('Unavailable', `etcd watch on ${this.prefix} lost: ${reason}`));
    }
    this.retryTimer = setTimeout(() => void this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 2000);
  }

  private onResponse(res: IWatchResponse): void {
    if (res.created && !res.canceled) {
      this.failingSince = undefined;
      this.backoffMs = 50;
    }
    const compactRevision = Number(res.compact_revision ?? 0);
    if (compactRevision > 0 || (res.canceled && /compacted/.test(res.cancel_reason ?? ''))) {
      return this.fail(
        new StoreError(
          'Compacted',
          `cannot watch ${this.prefix} from revision ${this.last}: etcd compacted its history up to revision ${compactRevision}`,
        ),
      );
    }
    if (res.canceled) {
      return this.fail(new StoreError('Unavailable', `etcd canceled the watch on ${this.prefix}: ${res.cancel_reason}`));
    }
    const events: WatchEvent[] = [];
    for (const ev of res.events ?? []) {
      const mapped = toWatchEvent(ev);
      if (!mapped) {
        return this.fail(new StoreError('Compacted', `etcd sent a delete of ${ev.kv.key.toString()} without its previous value; relist`));
      }
      const rev = mapped.type === 'put' ? mapped.kv.modRevision : mapped.revision;
      if (rev > this.last) events.push(mapped);
    }
    if (events.length === 0) return;
    const lastEvent = events[events.length - 1] as WatchEvent;
    this.last = lastEvent.type === 'put' ? lastEvent.kv.modRevision : lastEvent.revision;
    try {
      this.handlers.onEvents(events);
    } catch (thrown) {
      setImmediate(() => {
        throw thrown;
      });
    }
  }
}

export function toKeyValue(kv: IKeyValue): KeyValue {
  return {
    key: kv.key.toString('utf8'),
    value: kv.value.toString('utf8'),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
  };
}

/** Undefined for a delete whose previous value etcd could not provide. */
function toWatchEvent(ev: IEvent): WatchEvent | undefined {
  if (ev.type === 'Delete') {
    if (!ev.prev_kv) return undefined;
    return { type: 'delete', key: ev.kv.key.toString('utf8'), revision: Number(ev.kv.mod_revision), prev: toKeyValue(ev.prev_kv) };
  }
  const kv = toKeyValue(ev.kv);
  // A create has no previous value (prev_kv is at most the tombstone-free nothing).
  if (!ev.prev_kv || kv.createRevision === kv.modRevision) return { type: 'put', kv };
  return { type: 'put', kv, prev: toKeyValue(ev.prev_kv) };
}
