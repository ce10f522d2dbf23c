// What every resource handler receives: the parsed request, the resource, its storage and cache,
// plus the query-parameter parsing shared by several verbs.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from '../../api/resources.js';
import { errors } from '../../api/errors.js';
import type { ResourceRequest } from '../request-info.js';
import type { ResourceStore, OpContext } from '../registry.js';
import type { ResourceCache, WatchCache } from '../watch-cache.js';
import type { Representation } from '../http.js';
import type { UserInfo } from '../authn.js';
import type { Store } from '../../storage/store.js';

export interface ServerContext {
  store: Store;
  cache: WatchCache;
  storeFor(group: string, plural: string): ResourceStore | undefined;
  /** Interval between BOOKMARK events on watches that allow them (upstream: about a minute). */
  bookmarkIntervalMs: number;
  /** Closing all watches on shutdown. */
  shutdown: AbortSignal;
}

export interface Scope {
  req: IncomingMessage;
  res: ServerResponse;
  rr: ResourceRequest;
  info: ResourceInfo;
  rs: ResourceStore;
  rc: ResourceCache;
  query: URLSearchParams;
  repr: Representation;
  user: UserInfo;
  server: ServerContext;
  /** Warning headers to send (e.g. unknown fields with fieldValidation=Warn). */
  warnings: string[];
}

export function opContext(s: Scope): OpContext {
  return { dryRun: dryRun(s.query), user: s.user };
}

export function dryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: "${v}": must be an integer`);
  return Number(v);
}

/** The resourceVersion query parameter: '' when absent, else a revision the store can hold. */
export function resourceVersionParam(q: URLSearchParams): string {
  const rv = q.get('resourceVersion') ?? '';
  if (rv !== '' && (!/^\d+$/.test(rv) || !Number.isSafeInteger(Number(rv)))) {
    throw errors.badRequest(`Invalid value: "${rv}": resourceVersion must be a non-negative integer below 2^53`);
  }
  return rv;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation parameter unsupported: ${v}`);
}

export function requireNamespace(s: Scope): string | undefined {
  if (s.info.namespaced && s.rr.name !== undefined && s.rr.namespace === undefined) {
    throw errors.notFoundPath();
  }
  if (!s.info.namespaced && s.rr.namespace !== undefined) throw errors.notFoundPath();
  return s.rr.namespace;
}
