// Client and informer against a real skiff server: CRUD and typed errors, an informer following
// creates/updates/deletes with a label index, and relist-on-410 after server restarts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { findResource } from '../../src/api/resources.js';
import type { KObject } from '../../src/apiserver/object.js';
import { Client } from '../../src/client/client.js';
import { Informer } from '../../src/client/informer.js';
import { indexFuncs, keyOf } from '../../src/client/indexer.js';
import { ApiError, Transport } from '../../src/client/transport.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 15_000, intervalMs: 20 });

const configmaps = findResource('', 'v1', 'configmaps')!;
const fastRetry = { attempts: 2, baseDelayMs: 20, maxDelayMs: 100 };

function cm(name: string, labels: Record<string, string> = {}, data: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data };
}

// Every namespace also holds the cluster CA ConfigMap (published by a controller, as upstream).
const notRootCa = 'metadata.name!=kube-root-ca.crt';

function recorder(inf: Informer): string[] {
  const seen: string[] = [];
  inf.addHandlers({
    onAdd: (o) => seen.push(`add ${keyOf(o)}`),
    onUpdate: (a, b) => seen.push(`update ${keyOf(b)}${a === b ? ' resync' : ''}`),
    onDelete: (o) => seen.push(`delete ${keyOf(o)}`),
  });
  return seen;
}

test('client: create, get, list, update, patch, delete and typed errors', async () => {
  const server = await startSkiff();
  const client = new Client(Transport.fromKubeconfig(server.kubeconfig, fastRetry));
  try {
    const created = await client.create(configmaps, cm('one', { app: 'x' }, { a: '1' }));
    assert.ok(created.metadata.uid);
    const got = await client.get(configmaps, 'one', 'default');
    assert.deepEqual(got.data, { a: '1' });
    got.data = { a: '2' };
    const updated = await client.update(configmaps, got);
    assert.notEqual(updated.metadata.resourceVersion, created.metadata.resourceVersion);

    // A stale resourceVersion is a 409 Conflict.
    await assert.rejects(client.update(configmaps, created), (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'Conflict');
    await assert.rejects(client.get(configmaps, 'missing', 'default'), (e: unknown) => e instanceof ApiError && e.code === 404 && e.reason === 'NotFound' && /"missing" not found/.test(e.message));

    const patched = await client.patch(configmaps, 'one', { data: { b: '3' } }, 'merge', { namespace: 'default' });
    assert.deepEqual(patched.data, { a: '2', b: '3' });
    const list = await client.list(configmaps, { namespace: 'default', labelSelector: 'app=x' });
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['one']);
    assert.equal(list.items[0]!.kind, 'ConfigMap');

    await client.delete(configmaps, 'one', { namespace: 'default' });
    await assert.rejects(client.get(configmaps, 'one', 'default'), (e: unknown) => e instanceof ApiError && e.code === 404);
  } finally {
    client.transport.close();
    await server.stop();
  }
});

test('informer: paginated list, then creates, updates and deletes; label index follows', async () => {
  const server = await startSkiff();
  const client = new Client(Transport.fromKubeconfig(server.kubeconfig, fastRetry));
  const errors: unknown[] = [];
  const inf = new Informer({ client, resource: configmaps, namespace: 'default', fieldSelector: notRootCa, pageSize: 2, indexers: { tier: indexFuncs.label('tier') }, onError: (e) => errors.push(e) });
  const seen = recorder(inf);
  try {
    for (let i = 0; i < 5; i++) await client.create(configmaps, cm(`pre-${i}`, { tier: i % 2 ? 'odd' : 'even' }));
    void inf.start();
    await inf.waitForSync();
    assert.equal(inf.store.size, 5, 'all pages listed');
    assert.deepEqual(inf.store.byIndex('tier', 'odd').map((o) => o.metadata.name).sort(), ['pre-1', 'pre-3']);

    await client.create(configmaps, cm('new', { tier: 'odd' }));
    await eventually('add of new', () => seen.includes('add default/new'));
    assert.equal(inf.store.byIndex('tier', 'odd').length, 3);

    await client.patch(configmaps, 'pre-1', { metadata: { labels: { tier: 'even' } } }, 'merge', { namespace: 'default' });
    await eventually('update of pre-1', () => seen.includes('update default/pre-1'));
    assert.deepEqual(inf.store.byIndex('tier', 'odd').map((o) => o.metadata.name).sort(), ['new', 'pre-3'], 'the index moved pre-1 out of odd');
    assert.equal(inf.store.byIndex('tier', 'even').length, 4);

    await client.delete(configmaps, 'pre-0', { namespace: 'default' });
    await eventually('delete of pre-0', () => seen.includes('delete default/pre-0'));
    assert.equal(inf.store.get('default/pre-0'), undefined);
    assert.equal(inf.store.byIndex('tier', 'even').length, 3);

    const fresh = await client.list(configmaps, { namespace: 'default', fieldSelector: notRootCa });
    assert.deepEqual(snapshot(inf.store.list()), snapshot(fresh.items));
    assert.deepEqual(errors, []);
  } finally {
    inf.stop();
    client.transport.close();
    await server.stop();
  }
});

test('informer: relists on 410 after restarts and emits the differences', async () => {
  let server: SkiffServer = await startSkiff();
  const dataDir = server.dataDir;
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  // The informer asks for its client each time it connects; the test decides when it changes.
  let current = new Client(Transport.fromKubeconfig(kubeconfig, fastRetry));
  const clients = [current];
  const errors: unknown[] = [];
  const inf = new Informer({ client: () => current, resource: configmaps, namespace: 'default', fieldSelector: notRootCa, backoff: { baseMs: 50, maxMs: 300 }, onError: (e) => errors.push(e) });
  const seen = recorder(inf);
  try {
    for (const n of ['keep', 'change', 'gone']) await current.create(configmaps, cm(n));
    void inf.start();
    await inf.waitForSync();
    assert.equal(inf.store.size, 3);
    const listsBefore = inf.relists;

    // Restart once and change things while the informer still talks to the dead server.
    await server.stop({ keepData: true });
    server = await startSkiff({ dataDir });
    const side = new Client(Transport.fromKubeconfig(kubeconfig, fastRetry));
    clients.push(side);
    await side.patch(configmaps, 'change', { data: { v: '2' } }, 'merge', { namespace: 'default' });
    await side.delete(configmaps, 'gone', { namespace: 'default' });
    await side.create(configmaps, cm('born'));
    await eventually('connection errors reported', () => errors.length > 0);

    // Restart again: the watch window now starts after the informer's revision, so it gets 410.
    await server.stop({ keepData: true });
    server = await startSkiff({ dataDir });
    current = new Client(Transport.fromKubeconfig(kubeconfig, fastRetry));
    clients.push(current);
    await eventually('relist', () => inf.relists > listsBefore && inf.store.get('default/born') !== undefined);

    assert.ok(seen.includes('add default/born'), seen.join(', '));
    assert.ok(seen.includes('update default/change'), seen.join(', '));
    assert.ok(seen.includes('delete default/gone'), seen.join(', '));
    assert.ok(!seen.includes('update default/keep'), 'unchanged objects are not re-announced');
    const fresh = await current.list(configmaps, { namespace: 'default', fieldSelector: notRootCa });
    assert.deepEqual(snapshot(inf.store.list()), snapshot(fresh.items));

    // And it keeps watching on the new server.
    await current.create(configmaps, cm('after'));
    await eventually('add after relist', () => seen.includes('add default/after'));
  } finally {
    inf.stop();
    for (const c of clients) c.transport.close();
    await server.stop();
  }
});

test('informer: periodic resync re-announces every object as an update', async () => {
  const server = await startSkiff();
  const client = new Client(Transport.fromKubeconfig(server.kubeconfig, fastRetry));
  const inf = new Informer({ client, resource: configmaps, namespace: 'default', resyncMs: 100 });
  const seen = recorder(inf);
  try {
    await client.create(configmaps, cm('r'));
    void inf.start();
    await inf.waitForSync();
    await eventually('resync', () => seen.includes('update default/r resync'));
  } finally {
    inf.stop();
    client.transport.close();
    await server.stop();
  }
});

function snapshot(objs: KObject[]): [string, string | undefined][] {
  return objs.map((o): [string, string | undefined] => [keyOf(o), o.metadata.resourceVersion]).sort((a, b) => a[0].localeCompare(b[0]));
}
