// The controllers `skiff server` runs today, observed through kubectl-visible objects: every
// namespace gets a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap, and both come
// back when deleted or edited.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 10_000, intervalMs: 50 });

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

  it('collects dependents in background, foreground and orphan propagation', async () => {
    const ns = 'gc';
    assert.equal((await server.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }))).status, 201);
    const create = async (name: string, owner?: { name: string; uid: string }, block = false) => {
      const metadata: Record<string, unknown> = { name };
      if (owner) metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.name, uid: owner.uid, ...(block ? { blockOwnerDeletion: true } : {}) }];
      const r = await server.request('POST', `/api/v1/namespaces/${ns}/configmaps`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { keep: 'me' } }));
      assert.equal(r.status, 201, r.body);
      return JSON.parse(r.body) as { metadata: { name: string; uid: string } };
    };
    const del = (name: string, policy: string) =>
      server.request('DELETE', `/api/v1/namespaces/${ns}/configmaps/${name}`, JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy }));
    const exists = async (name: string) => (await server.request('GET', `/api/v1/namespaces/${ns}/configmaps/${name}`)).status === 200;

    // Background: the owner goes at once, its dependent soon after.
    const bg = await create('bg-owner');
    await create('bg-child', bg.metadata);
    assert.equal((await del('bg-owner', 'Background')).status, 200);
    assert.equal(await exists('bg-owner'), false);
    await eventually('bg-child collected', async () => ((await exists('bg-child')) ? undefined : true));

    // Foreground: the owner waits for its blocking dependent.
    const fg = await create('fg-owner');
    await create('fg-child', fg.metadata, true);
    assert.equal((await del('fg-owner', 'Foreground')).status, 200);
    await eventually('fg-owner and fg-child gone', async () => ((await exists('fg-owner')) || (await exists('fg-child')) ? undefined : true));

    // Orphan: the dependent stays, without its reference to the owner.
    const or = await create('or-owner');
    await create('or-child', or.metadata);
    assert.equal((await del('or-owner', 'Orphan')).status, 200);
    await eventually('or-owner gone', async () => ((await exists('or-owner')) ? undefined : true));
    const child = get(`/api/v1/namespaces/${ns}/configmaps/or-child`);
    const orphan = (await child) as unknown as { metadata: { ownerReferences?: unknown[] }; data?: Record<string, string> };
    assert.ok(orphan, 'the dependent is kept');
    assert.deepEqual(orphan.metadata.ownerReferences ?? [], []);
    assert.deepEqual(orphan.data, { keep: 'me' }, 'only its metadata was touched');
  });

  it('empties a terminating namespace, reports what holds it, then finalizes it', async () => {
    const ns = 'doomed-ns';
    assert.equal((await server.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }))).status, 201);
    const post = async (path: string, obj: unknown) => assert.equal((await server.request('POST', path, JSON.stringify(obj))).status, 201);
    await post(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } });
    await post(`/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    await post(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    assert.equal((await server.request('DELETE', `/api/v1/namespaces/${ns}`)).status, 200);

    type Ns = { status: { phase: string; conditions?: { type: string; status: string; message?: string }[] } };
    const held = await eventually('the finalizer reported', async () => {
      const n = (await get(`/api/v1/namespaces/${ns}`)) as unknown as Ns | undefined;
      const c = n?.status.conditions?.find((x) => x.type === 'NamespaceFinalizersRemaining');
      return c?.status === 'True' ? n : undefined;
    });
    assert.equal(held.status.phase, 'Terminating');
    const conds = Object.fromEntries((held.status.conditions ?? []).map((c) => [c.type, c]));
    assert.equal(conds.NamespaceFinalizersRemaining?.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(conds.NamespaceContentRemaining?.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal((await server.request('GET', `/api/v1/namespaces/${ns}/secrets/s`)).status, 404, 'content without finalizers is gone');
    assert.equal((await server.request('GET', `/api/v1/namespaces/${ns}/configmaps/plain`)).status, 404);

    const released = await server.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/held`, JSON.stringify({ metadata: { finalizers: null } }), { 'Content-Type': 'application/merge-patch+json' });
    assert.equal(released.status, 200, released.body);
    await eventually('the namespace gone', async () => ((await server.request('GET', `/api/v1/namespaces/${ns}`)).status === 404 ? true : undefined));
  });
});
