// The controllers `skiff server` runs today, observed through kubectl-visible objects: every
// namespace gets a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap, and both come
// back when deleted or edited.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('built-in controllers', () => {
  let server: SkiffServer;
  before(async () => {
    server = await startSkiff();
  });
  after(async () => {
    await server?.stop();
  });

  const get = async (path: string) => {
    const r = await server.request('GET', path);
    return r.status === 200 ? (JSON.parse(r.body) as { data?: Record<string, string>; metadata: { uid: string } }) : undefined;
  };

  it('gives every namespace a default ServiceAccount and the root CA, and restores them', async () => {
    const created = await server.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ctrl' } }));
    assert.equal(created.status, 201);
    const sa = await eventually('default ServiceAccount', () => get('/api/v1/namespaces/ctrl/serviceaccounts/default'));
    const cm = await eventually('kube-root-ca.crt', () => get('/api/v1/namespaces/ctrl/configmaps/kube-root-ca.crt'));
    assert.equal(cm.data?.['ca.crt'], server.tls.ca);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await eventually(`default ServiceAccount in ${ns}`, () => get(`/api/v1/namespaces/${ns}/serviceaccounts/default`));
    }

    assert.equal((await server.request('DELETE', '/api/v1/namespaces/ctrl/serviceaccounts/default')).status, 200);
    const again = await eventually('a new default ServiceAccount', async () => {
      const s = await get('/api/v1/namespaces/ctrl/serviceaccounts/default');
      return s && s.metadata.uid !== sa.metadata.uid ? s : undefined;
    });
    assert.ok(again);

    const edited = await server.request('PATCH', '/api/v1/namespaces/ctrl/configmaps/kube-root-ca.crt', JSON.stringify({ data: { 'ca.crt': 'tampered' } }), { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(edited.status, 200);
    await eventually('the CA restored', async () => ((await get('/api/v1/namespaces/ctrl/configmaps/kube-root-ca.crt'))?.data?.['ca.crt'] === server.tls.ca ? true : undefined));
  });
});
