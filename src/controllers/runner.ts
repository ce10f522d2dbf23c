// Runs a controller: its informers, a rate-limited workqueue and N workers calling an idempotent
// `reconcile(key)`. Informer handlers only enqueue keys; reconcile reads the informer caches. A
// failed reconcile is retried with the key's backoff; a successful one resets it.

import type { Informer } from '../client/informer.js';
import { WorkQueue, type Clock } from '../client/workqueue.js';

export interface ControllerSpec {
  name: string;
  informers: Informer[];
  /** Idempotent: bring the world in line for `key`; throw to be retried with backoff. */
  reconcile(key: string, signal: AbortSignal): Promise<void>;
  workers?: number;
  /** The queue's clock (tests drive delays with a fake one). */
  clock?: Clock;
  onError?(name: string, key: string, err: unknown): void;
}

export interface RunningController {
  queue: WorkQueue<string>;
  /** Resolves when the informers have synced and workers run. */
  ready: Promise<void>;
  /** Resolves when every worker has stopped (after the signal aborts). */
  done: Promise<void>;
}

export function runController(spec: ControllerSpec, signal: AbortSignal): RunningController {
  const queue = new WorkQueue<string>(spec.clock ? { clock: spec.clock } : {});
  signal.addEventListener('abort', () => queue.shutDown(), { once: true });
  for (const inf of spec.informers) void inf.start(signal);
  const ready = Promise.all(spec.informers.map((i) => i.waitForSync(signal))).then(() => undefined);
  const worker = async () => {
    await ready.catch(() => undefined);
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await spec.reconcile(key, signal);
        queue.forget(key);
      } catch (err) {
        if (!signal.aborted) {
          spec.onError?.(spec.name, key, err);
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  const done = Promise.all(Array.from({ length: spec.workers ?? 1 }, worker)).then(() => undefined);
  return { queue, ready, done };
}
