// @kubernetes/client-node (the official JavaScript client) against a real skiff server:
// typed list and create, a raw watch, and an informer that sees create, update and delete.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 10_000, intervalMs: 50 });

describe('@kubernetes/client-node against skiff', () => {
  let server: SkiffServer;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  const namespace = `cn-${Date.now().toString(36)}`;

  before(async () => {
    server = await startSkiff();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(server.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  after(async () => {
    await server?.stop();
  });

  it('creates and lists typed objects', async () => {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'one' }, data: { a: '1' } } });
    const list = await core.listNamespacedConfigMap({ namespace });
    // kube-root-ca.crt is published into every namespace by a controller, as upstream does.
    assert.deepEqual(list.items.map((c) => c.metadata?.name).filter((n) => n !== 'kube-root-ca.crt'), ['one']);
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
    const missing = await core.readNamespacedConfigMap({ namespace, name: 'nope' }).then(
      () => undefined,
      (e: { code?: number }) => e,
    );
    assert.equal(missing?.code, 404);
  });

  it('watches events from a resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace });
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      { resourceVersion: list.metadata!.resourceVersion!, allowWatchBookmarks: true },
      (type, obj: k8s.V1ConfigMap) => obj.metadata?.name === 'two' && seen.push(`${type} ${obj.metadata?.name}`),
      () => {},
    );
    try {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'two' } } });
      await core.patchNamespacedConfigMap({ namespace, name: 'two', body: { data: { x: 'y' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace, name: 'two' });
      await eventually('three events', () => (seen.length >= 3 ? true : undefined));
      assert.deepEqual(seen, ['ADDED two', 'MODIFIED two', 'DELETED two']);
    } finally {
      ctl.abort();
    }
  });

  it('keeps an informer in sync through create, update and delete', async () => {
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => core.listNamespacedConfigMap({ namespace }));
    const events: string[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await eventually('initial list', () => (informer.get('one', namespace) ? true : undefined));
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'three' } } });
      await eventually('add three', () => (informer.get('three', namespace) ? true : undefined));
      await core.replaceNamespacedConfigMap({ namespace, name: 'three', body: { metadata: { name: 'three' }, data: { v: '2' } } });
      await eventually('update three', () => (informer.get('three', namespace)?.data?.v === '2' ? true : undefined));
      await core.deleteNamespacedConfigMap({ namespace, name: 'three' });
      await eventually('delete three', () => (informer.get('three', namespace) ? undefined : true));
      assert.ok(events.includes('add one'));
      assert.deepEqual(events.filter((e) => e.endsWith('three')), ['add three', 'update three', 'delete three']);
    } finally {
      await informer.stop();
    }
  });
});
