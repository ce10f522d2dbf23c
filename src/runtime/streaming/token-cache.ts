// Single-use tokens for streaming requests, as upstream's streaming server hands them out
// (k8s.io/kubelet/pkg/cri/streaming request cache): the Exec/Attach/PortForward RPC stores the
// request and answers a URL naming a random 8-character token; the first HTTP request that
// presents the token consumes it. A token is valid for one minute; expired entries are dropped
// whenever a new one is inserted; at most 1000 may be outstanding (more is ResourceExhausted).
//
// Contract: consume() returns the entry at most once, never after its expiry; an unknown,
// reused or expired token is simply undefined (the HTTP layer answers 404).

import { randomBytes } from 'node:crypto';
import { CriError, GrpcStatus } from '../../cri/errors.js';

export const TOKEN_TTL_MS = 60_000;
export const MAX_IN_FLIGHT = 1000;
const TOKEN_LENGTH = 8;

export interface TokenCacheOptions {
  ttlMs?: number;
  maxInFlight?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly ttlMs: number;
  private readonly maxInFlight: number;
  private readonly now: () => number;

  constructor(options: TokenCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? TOKEN_TTL_MS;
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stores `value` and returns its fresh URL-safe token. */
  insert(value: T): string {
    this.gc();
    if (this.entries.size >= this.maxInFlight) {
      throw new CriError(GrpcStatus.RESOURCE_EXHAUSTED, `maximum number of in-flight streaming requests exceeded (${this.maxInFlight}): retry after the outstanding URLs are used or expire`);
    }
    for (let i = 0; i < 10; i++) {
      // 6 random bytes are exactly 8 base64url characters (no padding).
      const token = randomBytes((TOKEN_LENGTH * 6) / 8).toString('base64url');
      if (this.entries.has(token)) continue;
      this.entries.set(token, { value, expiresAt: this.now() + this.ttlMs });
      return token;
    }
    throw CriError.internal('failed to generate a unique streaming token');
  }

  /** Removes the token and returns its value, unless unknown or expired. */
  consume(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    this.entries.delete(token);
    return this.now() > e.expiresAt ? undefined : e.value;
  }

  /** Drops expired entries (Map iteration is insertion order, i.e. oldest first). */
  private gc(): void {
    const now = this.now();
    for (const [token, e] of this.entries) {
      if (now <= e.expiresAt) return;
      this.entries.delete(token);
    }
  }
}
