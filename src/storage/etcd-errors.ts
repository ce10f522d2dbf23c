// etcd client errors → StoreError codes, and the byte-level key helpers etcd ranges need.

import { GRPCDeadlineExceededError, GRPCUnavailableError, ClientClosedError, isRecoverableError } from 'etcd3';
import { StoreError } from './store.js';

/**
 * Maps an error from the etcd3 client to a StoreError; errors with no store meaning (bugs,
 * permission problems) are returned unchanged so their message reaches the user.
 */
export function mapEtcdError(err: unknown, endpoints: string): unknown {
  if (err instanceof StoreError || !(err instanceof Error)) return err;
  const msg = err.message;
  if (msg.includes('required revision has been compacted')) {
    return new StoreError('Compacted', `etcd: the requested revision has been compacted (${msg})`);
  }
  if (msg.includes('required revision is a future revision')) {
    return new StoreError('FutureRevision', `etcd: the requested revision is newer than the current one (${msg})`);
  }
  if (err instanceof ClientClosedError) return new StoreError('Closed', 'the etcd store is closed');
  const grpcCode = (err as { code?: unknown }).code;
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    (err as { isBrokenCircuitError?: boolean }).isBrokenCircuitError === true ||
    isRecoverableError(err) ||
    grpcCode === 14 || // UNAVAILABLE, from raw streams
    grpcCode === 4 // DEADLINE_EXCEEDED
  ) {
    return new StoreError('Unavailable', `etcd at ${endpoints} is unavailable: ${msg}`);
  }
  return err;
}

export function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/**
 * The etcd range_end that selects every key starting with `prefix`: the prefix with its last
 * byte below 0xff incremented. "\0" means "no upper bound" (every key >= the start key).
 */
export function prefixRangeEnd(prefix: string): Buffer {
  const b = bytes(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] as number) < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = (end[i] as number) + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

/** The start key of a prefix range: etcd refuses an empty key, and "\0" is the smallest one. */
export function prefixRangeStart(prefix: string): Buffer {
  return prefix === '' ? Buffer.from([0]) : bytes(prefix);
}
