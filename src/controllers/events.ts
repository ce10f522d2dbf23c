// Events, as upstream's event recorder writes them (core/v1 Events, which `kubectl describe` and
// `kubectl get events` show): named `<object>.<hex nanoseconds>`, in the object's namespace
// (`default` for cluster-scoped objects), with source and reporting component.
//
// Like upstream's EventCorrelator:
// - an identical event (same object, type, reason, message, component) seen within 10 minutes
//   bumps `count` and `lastTimestamp` of the event already written instead of writing another;
// - a spam filter allows a burst of 25 events per object and source, then one per 5 minutes.
// Recording never blocks or throws: writes go through a bounded queue (excess is dropped, as
// upstream drops beyond its 1000-event buffer) and failures go to `onError`.

import { builtinResources } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import type { Client } from '../client/client.js';

const events = builtinResources.find((r) => r.group === '' && r.kind === 'Event')!;

export type EventType = 'Normal' | 'Warning';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  at: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const dedupeWindowMs = 10 * 60_000;
const burst = 25;
const refillMs = 5 * 60_000;
const maxPending = 1000;
const maxCached = 4096;

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly pending: (() => Promise<unknown>)[] = [];
  private writing = 0;
  /** Events dropped because the queue was full or the spam filter refused them. */
  dropped = 0;

  constructor(
    private readonly client: Client,
    private readonly component: string,
    private readonly opts: { host?: string; now?: () => number; onError?: (err: unknown) => void; concurrency?: number } = {},
  ) {}

  event(obj: KObject, type: EventType, reason: string, message: string): void {
    const now = this.opts.now?.() ?? Date.now();
    const uid = obj.metadata.uid ?? '';
    if (!this.allow(`${uid}|${this.component}`, now)) {
      this.dropped++;
      return;
    }
    const key = [uid, type, reason, message, this.component].join('\0');
    const ts = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const prior = this.seen.get(key);
    if (prior && now - prior.at < dedupeWindowMs) {
      prior.count++;
      prior.at = now;
      const { name, namespace, count } = prior;
      this.enqueue(() => this.client.patch(events, name, { count, lastTimestamp: ts }, 'merge', { namespace }));
      return;
    }
    const namespace = obj.metadata.namespace || 'default';
    const name = `${obj.metadata.name ?? 'unknown'}.${(BigInt(now) * 1_000_000n + BigInt(Math.floor(Math.random() * 1e6))).toString(16)}`;
    this.remember(key, { name, namespace, count: 1, first: ts, at: now });
    const involvedObject: Record<string, unknown> = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid, apiVersion: obj.apiVersion, resourceVersion: obj.metadata.resourceVersion };
    if (!obj.metadata.namespace) delete involvedObject.namespace;
    const ev: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject,
      reason,
      message,
      source: { component: this.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      reportingComponent: this.component,
      reportingInstance: this.opts.host ?? '',
    };
    this.enqueue(() => this.client.create(events, ev, namespace));
  }

  /** Resolves once every queued write has been attempted (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private allow(key: string, now: number): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= maxCached) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + (now - b.at) / refillMs);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  private remember(key: string, s: Seen): void {
    if (this.seen.size >= maxCached) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, s);
  }

  private enqueue(write: () => Promise<unknown>): void {
    if (this.pending.length >= maxPending) {
      this.dropped++;
      return;
    }
    this.pending.push(write);
    this.pump();
  }

  private pump(): void {
    while (this.writing < (this.opts.concurrency ?? 4) && this.pending.length > 0) {
      const write = this.pending.shift()!;
      this.writing++;
      write()
        .catch((err: unknown) => this.opts.onError?.(err))
        .finally(() => {
          this.writing--;
          this.pump();
        });
    }
  }
}
