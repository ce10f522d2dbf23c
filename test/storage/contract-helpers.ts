// Helpers for the store contract suite: unique key prefixes, watch collectors, error assertions.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { isStoreError, type Store, type StoreError, type StoreErrorCode, type Watch, type WatchEvent } from '../../src/storage/store.js';

/** A key prefix no other test (or earlier run against the same server) uses. */
export function uniquePrefix(): string {
  return `/contract/${randomUUID().slice(0, 8)}/`;
}

export function revisionOf(ev: WatchEvent): number {
  return ev.type === 'put' ? ev.kv.modRevision : ev.revision;
}

export function keyOf(ev: WatchEvent): string {
  return ev.type === 'put' ? ev.kv.key : ev.key;
}

/** Asserts that `promise` rejects with a StoreError of `code`; returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStoreError(err), `expected a StoreError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected the operation to fail with ${code}, but it succeeded`);
}

/** Records everything a watch delivers, and lets a test wait for a condition on it. */
export class Collector {
  readonly events: WatchEvent[] = [];
  readonly batches: WatchEvent[][] = [];
  error: StoreError | undefined;
  readonly watch: Watch;
  private waiters: Array<() => void> = [];

  constructor(store: Store, prefix: string, afterRevision: number) {
    this.watch = store.watch(prefix, afterRevision, {
      onEvents: (events) => {
        this.batches.push(events);
        this.events.push(...events);
        this.wake();
      },
      onError: (err) => {
        this.error = err;
        this.wake();
      },
    });
  }

  /** Resolves once `done()` holds; fails after `timeoutMs` or when the watch ends with an error. */
  async until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.error) assert.fail(`watch ended with ${this.error.code} while waiting for ${what}: ${this.error.message}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        assert.fail(`timed out waiting for ${what}; got ${this.events.length} events: ${JSON.stringify(this.events.map(summary))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until an event for `key` arrives. */
  async untilKey(key: string, timeoutMs?: number): Promise<void> {
    await this.until(() => this.events.some((ev) => keyOf(ev) === key), `an event for ${key}`, timeoutMs);
  }

  /** Waits for the watch to end with an error and returns it. */
  async failure(timeoutMs = 10_000): Promise<StoreError> {
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const check = (): void => {
        if (this.error) return resolve();
        if (Date.now() > deadline) return reject(new Error(`watch did not fail within ${timeoutMs}ms`));
        setTimeout(check, 20);
      };
      check();
    });
    return this.error as StoreError;
  }

  close(): void {
    this.watch.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export function summary(ev: WatchEvent): string {
  return `${ev.type} ${keyOf(ev)}@${revisionOf(ev)}`;
}
