// openStore: picks a datastore backend from a URL, as k3s's --datastore-endpoint does.
//
//   memory://                         in-memory (tests; nothing persists)
//   sqlite://PATH                     embedded SQLite; PATH relative to the working directory, or
//                                     absolute as in sqlite:///var/lib/skiff/state.db
//   etcd://HOST:PORT[,HOST:PORT...]   an etcd v3 cluster
//   http://HOST:PORT[,http://...]     the same, written as etcd client URLs

import { resolve } from 'node:path';
import { EtcdStore } from './etcd.js';
import { MemoryStore } from './memory.js';
import { SqliteStore } from './sqlite.js';
import { StoreError, type Store } from './store.js';

export { StoreError, isStoreError } from './store.js';
export type {
  KeyValue,
  RangeOptions,
  RangeResult,
  Store,
  StoreErrorCode,
  Watch,
  WatchEvent,
  WatchHandlers,
} from './store.js';

const ACCEPTED = 'memory://, sqlite://PATH, etcd://HOST:PORT[,HOST:PORT...] or http://HOST:PORT[,...]';

/**
 * Opens the store `url` names. An etcd store is checked once for reachability, so a wrong
 * endpoint fails here (StoreError Unavailable) rather than on the first request.
 */
export async function openStore(url: string): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite': {
      const path = url.slice('sqlite://'.length);
      if (path === '') throw new Error(`datastore URL ${url} has no file path; expected sqlite://PATH`);
      return new SqliteStore(resolve(path));
    }
    case 'etcd':
    case 'http':
      return openEtcd(url, parseEtcdEndpoints(url));
    case 'https':
      throw new Error(`datastore URL ${url}: etcd over TLS is not supported yet; use http:// or etcd:// endpoints`);
    default:
      throw new Error(`unsupported datastore URL ${JSON.stringify(url)}; accepted: ${ACCEPTED}`);
  }
}

/** "etcd://a:1,b:2" or "http://a:1,http://b:2" → ["a:1", "b:2"]. */
export function parseEtcdEndpoints(url: string): string[] {
  const endpoints = url
    .split(',')
    .map((part) => part.trim().replace(/^(etcd|http):\/\//i, '').replace(/\/+$/, ''))
    .filter((part) => part !== '');
  if (endpoints.length === 0) throw new Error(`datastore URL ${url} names no etcd endpoint; expected etcd://HOST:PORT`);
  for (const e of endpoints) {
    if (!/^[^\s/:]+:\d+$/.test(e) && !/^\[[0-9a-f:]+\]:\d+$/i.test(e)) {
      throw new Error(`datastore URL ${url}: "${e}" is not HOST:PORT`);
    }
  }
  return endpoints;
}

async function openEtcd(url: string, endpoints: string[]): Promise<Store> {
  const store = new EtcdStore({ endpoints });
  try {
    await store.currentRevision();
  } catch (err) {
    await store.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreError('Unavailable', `cannot reach etcd at ${url}: ${reason}`);
  }
  return store;
}
