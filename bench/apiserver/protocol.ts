// Messages between the benchmark's main thread (pool.ts) and its load workers (load-worker.ts).

import type { HistogramData } from './histogram.js';
import type { Tls } from './server.js';

export interface WorkerInit {
  url: string;
  tls: Tls;
}

export interface LoadJob {
  op: 'createConfigMap' | 'getConfigMap' | 'createPod';
  /** Clients in this worker, each with one request in flight. */
  concurrency: number;
  durationMs: number;
  /** Total operations over all workers (0: until the duration ends). */
  maxOps: number;
  /** Shared Int32Array[1]: the next operation number. */
  counter: SharedArrayBuffer;
  /** Operation i goes to namespaces[i % length]. */
  namespaces: string[];
  /** getConfigMap: names cm-0 .. cm-(existing-1) exist. */
  existing?: number;
  /** createPod: pod number = operation number + offset. */
  offset?: number;
}

export interface LoadResult {
  ok: number;
  statuses: Record<string, number>;
  firstError: string;
  elapsedMs: number;
  /** The highest metadata.resourceVersion in a successful response. */
  maxResourceVersion: number;
  hist: HistogramData;
}

export interface WatchJob {
  /** The watch request path (with ?watch=1&resourceVersion=...). */
  path: string;
  watchers: number;
  /** Events are numbered 0 .. total-1 by their `seq` data field. */
  total: number;
}

export interface WatchResult {
  watchers: number;
  delivered: number;
  missed: number;
  incompleteWatchers: number;
  duplicates: number;
  otherEvents: number;
  streamsEndedEarly: number;
  /** Socket reads ('data' events) over all watchers: delivered / chunks shows how batched delivery was. */
  chunks: number;
  errors: number;
  firstError: string;
  hist: HistogramData;
}

export type WorkerRequest =
  | { id: number; type: 'load'; job: LoadJob }
  | { id: number; type: 'watchOpen'; job: WatchJob }
  | { id: number; type: 'watchDrain'; sent: number; timeoutMs: number }
  | { id: number; type: 'close' };

export type WorkerReply = { id: number; result?: LoadResult | WatchResult | { opened: number } | { closed: boolean }; error?: string };
