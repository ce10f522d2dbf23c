// Polling for a condition that becomes true asynchronously (a controller reconciled, a watch
// delivered, a process answered).
//
// Contract:
// - `fn` is called until it returns something other than `undefined` or `false`; that value is
//   returned (so `() => cond` and `() => obj?.field` both work).
// - A thrown error counts as "not yet" (the object may not exist yet) and is remembered: the
//   timeout's message ends with the last one, so a failure says what was last wrong.
// - An assertion failure (`node:assert`) is a verdict, not "not yet": it is rethrown at once, so an
//   invariant asserted inside the poll ("never more than 2 pods at once") fails the test.
// - The timeout bounds how long to wait for a condition; it is never a statement about speed.

import { AssertionError } from 'node:assert';

export type Poll<T> = () => Promise<T | undefined | false> | T | undefined | false;

export interface Eventually {
  <T>(what: string, fn: Poll<T>, timeoutMs?: number): Promise<T>;
}

export interface PollDefaults {
  timeoutMs: number;
  /** Pause between polls; longer where a poll is costly (a kubectl process). */
  intervalMs: number;
}

/** An `eventually` with other defaults, for a test file whose polls are slow or costly. */
export function eventuallyWith(defaults: PollDefaults): Eventually {
  return async <T>(what: string, fn: Poll<T>, timeoutMs = defaults.timeoutMs): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined && v !== false) return v;
      } catch (e) {
        if (e instanceof AssertionError) throw e;
        last = e;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`}`);
      await new Promise((r) => setTimeout(r, defaults.intervalMs));
    }
  };
}

/** Polls every 20 ms for up to 10 s (in-process clusters). */
export const eventually: Eventually = eventuallyWith({ timeoutMs: 10_000, intervalMs: 20 });
