// The in-process transport against an in-process API server on the memory store: the same
// handlers, validation and watches as over HTTPS, without sockets.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Informer } from '../../src/client/informer.js';
import { isApiError } from '../../src/client/transport.js';
import type { KObject } from '../../src/apiserver/object.js';
import { withCluster } from '../helpers/cluster.js';
import { res } from '../helpers/resources.js';

const { configMaps: configmaps, pods } = res;

const cm = (name: string, data: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

describe('in-process transport', () => {
  it('creates, reads, patches and lists through the full request path', async () => {
    await withCluster(async ({ client }) => {
      const created = await client.create(configmaps, cm('a', { x: '1' }), 'default');
      assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
      const patched = await client.patch(configmaps, 'a', { data: { y: '2' } }, 'merge', { namespace: 'default' });
      assert.deepEqual(patched.data, { x: '1', y: '2' });
      const list = await client.list(configmaps, { namespace: 'default' });
      assert.deepEqual(list.items.map((i) => i.metadata.name), ['a']);
      await assert.rejects(client.get(configmaps, 'missing', 'default'), (e: unknown) => isApiError(e, 404));
      // Validation is the same as over HTTPS.
      await assert.rejects(
        client.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } }, 'default'),
        (e: unknown) => isApiError(e, 422) && /spec\.containers\[0\]\.image: Required value/.test((e as Error).message),
      );
    });
  });

  it('feeds an informer with list and watch', async () => {
    await withCluster(async ({ client }) => {
      await client.create(configmaps, cm('before'), 'default');
      const informer = new Informer({ client, resource: configmaps, namespace: 'default' });
      const seen: string[] = [];
      informer.addHandlers({
        onAdd: (o) => seen.push(`add ${o.metadata.name}`),
        onUpdate: (_old, o) => seen.push(`update ${o.metadata.name}`),
        onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
      });
      const controller = new AbortController();
      void informer.start(controller.signal);
      try {
        await informer.waitForSync(controller.signal);
        await client.create(configmaps, cm('after'), 'default');
        await client.patch(configmaps, 'after', { data: { v: '1' } }, 'merge', { namespace: 'default' });
        await client.delete(configmaps, 'before', { namespace: 'default' });
        const deadline = Date.now() + 5000;
        while (seen.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.deepEqual(seen, ['add before', 'add after', 'update after', 'delete before']);
        assert.deepEqual(informer.store.list().map((o) => o.metadata.name), ['after']);
      } finally {
        controller.abort();
        informer.stop();
      }
    });
  });
});
