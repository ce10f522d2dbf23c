// Periodic compaction, as kube-apiserver does every 5 minutes: each run compacts to the revision
// seen at the previous run, so watchers always have at least one interval of history to resume from.

import type { Store } from './store.js';

export function startCompactor(store: Store, opts: { intervalMs: number }): () => void {
  let previous = 0;
  const timer = setInterval(() => {
    void (async () => {
      try {
        const current = await store.currentRevision();
        if (previous > 0 && previous > (await store.compactedRevision())) await store.compact(previous);
        previous = current;
      } catch {
        // A failed compaction is retried at the next interval; nothing depends on it succeeding.
      }
    })();
  }, opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
