// The write pipeline on the in-memory store: no lost updates under concurrency, generation and
// status rules, finalizer-held deletion, and the watch cache seeing every write in order.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/storage/memory.js';
import { builtinResources } from '../../src/api/resources.js';
import { fieldsOf } from '../../src/api/selectors/fields.js';
import { ResourceStore, type NamespaceChecker } from '../../src/apiserver/registry.js';
import { WatchCache, type CacheEvent } from '../../src/apiserver/watch-cache.js';
import type { KObject } from '../../src/apiserver/object.js';

const cmInfo = builtinResources.find((r) => r.kind === 'ConfigMap')!;
const deployInfo = builtinResources.find((r) => r.kind === 'Deployment')!;
const anyNamespace: NamespaceChecker = { checkCreateAllowed: async () => {} };
const ctx = { dryRun: false };

function configMap(name: string, data: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

describe('ResourceStore', () => {
  it('applies every one of 100 concurrent read-modify-write updates (no lost update)', async () => {
    const store = new MemoryStore();
    const cms = new ResourceStore(cmInfo, store, {}, anyNamespace);
    await cms.create('ns', configMap('counter', { n: '0' }), ctx);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        cms.update('ns', 'counter', (cur) => {
          const c = cur!;
          c.data = { ...(c.data as Record<string, string>), [`k${i}`]: 'x', n: String(Number((c.data as Record<string, string>).n) + 1) };
          return c;
        }, ctx),
      ),
    );
    const final = await cms.get('ns', 'counter');
    assert.equal((final.data as Record<string, string>).n, '100');
    assert.equal(Object.keys(final.data as object).length, 101);
    await store.close();
  });

  it('keeps generation for metadata and status changes and bumps it for spec changes', async () => {
    const store = new MemoryStore();
    const deps = new ResourceStore(deployInfo, store, { generation: true }, anyNamespace);
    const d: KObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const created = await deps.create('ns', d, ctx);
    assert.equal(created.metadata.generation, 1);
    const labelled = await deps.update('ns', 'd', (c) => ({ ...c!, metadata: { ...c!.metadata, labels: { x: 'y' } } }), ctx);
    assert.equal(labelled.obj.metadata.generation, 1);
    const status = await deps.update('ns', 'd', (c) => ({ ...c!, status: { replicas: 1 } }), ctx, 'status');
    assert.equal(status.obj.metadata.generation, 1);
    const scaled = await deps.update('ns', 'd', (c) => ({ ...c!, spec: { ...(c!.spec as object), replicas: 3 } }), ctx);
    assert.equal(scaled.obj.metadata.generation, 2);
    assert.deepEqual(scaled.obj.status, { replicas: 1 }, 'a spec write keeps the status');
    await store.close();
  });

  it('holds a finalized object until the last finalizer goes, then deletes it', async () => {
    const store = new MemoryStore();
    const cms = new ResourceStore(cmInfo, store, {}, anyNamespace);
    await cms.create('ns', { ...configMap('f'), metadata: { name: 'f', finalizers: ['a/b'] } }, ctx);
    const marked = await cms.delete('ns', 'f', {}, ctx);
    assert.equal(marked.deleted, false);
    assert.ok(marked.obj.metadata.deletionTimestamp);
    await cms.update('ns', 'f', (c) => ({ ...c!, metadata: { ...c!.metadata, deletionTimestamp: undefined } }), ctx);
    assert.equal((await cms.get('ns', 'f')).metadata.deletionTimestamp, marked.obj.metadata.deletionTimestamp, 'an update cannot clear deletionTimestamp');
    await cms.update('ns', 'f', (c) => ({ ...c!, metadata: { ...c!.metadata, finalizers: [] } }), ctx);
    await assert.rejects(cms.get('ns', 'f'), /configmaps "f" not found/);
    await store.close();
  });
});

describe('WatchCache', () => {
  it('sees every write in revision order and serves replays from its window', async () => {
    const store = new MemoryStore();
    const cache = new WatchCache(store, builtinResources, fieldsOf);
    await cache.start();
    const cms = new ResourceStore(cmInfo, store, {}, anyNamespace);
    const seen: CacheEvent[] = [];
    cache.cacheFor(cmInfo).watchers.add({ deliver: (evs) => seen.push(...evs) });
    const start = cache.revision;
    await cms.create('ns', configMap('a'), ctx);
    await cms.update('ns', 'a', (c) => ({ ...c!, data: { x: '1' } }), ctx);
    await cms.delete('ns', 'a', {}, ctx);
    assert.ok(await cache.waitFor(start + 3, 2000));
    await new Promise((r) => setImmediate(r)); // watchers are served once per event-loop turn
    assert.deepEqual(seen.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.deepEqual(seen.map((e) => e.rv), [start + 1, start + 2, start + 3]);
    assert.equal(JSON.parse(seen[1]!.entry.json).metadata.resourceVersion, String(start + 2));
    assert.deepEqual(cache.cacheFor(cmInfo).eventsAfter(start + 1)!.map((e) => e.type), ['MODIFIED', 'DELETED']);
    assert.equal(cache.cacheFor(cmInfo).entries.size, 0);
    cache.stop();
    await store.close();
  });
});
