// Priority admission against a real server: PriorityClass resolution on pod create, the global
// default, the system classes created at bootstrap, and upstream's Forbidden messages.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';

interface PodSpecOut {
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
}

describe('Priority admission', () => {
  let server: SkiffServer;
  before(async () => {
    server = await startSkiff();
  });
  after(async () => {
    await server?.stop();
  });

  const pod = (meta: Record<string, string>, spec: Record<string, unknown> = {}) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });
  const createPod = (meta: Record<string, string>, spec?: Record<string, unknown>) => server.request('POST', '/api/v1/namespaces/default/pods', pod(meta, spec));
  const createClass = (name: string, value: number, extra: Record<string, unknown> = {}) =>
    server.request('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra }));
  const specOf = (body: string) => (JSON.parse(body) as { spec: PodSpecOut }).spec;
  const forbidden = (r: { status: number; body: string }, message: string) => {
    assert.equal(r.status, 403, r.body);
    const s = JSON.parse(r.body) as { reason: string; message: string; code: number };
    assert.equal(s.reason, 'Forbidden');
    assert.equal(s.message, message);
  };

  it('creates the system classes at bootstrap', async () => {
    for (const [name, value] of [['system-node-critical', 2000001000], ['system-cluster-critical', 2000000000]] as const) {
      const r = await server.request('GET', `/apis/scheduling.k8s.io/v1/priorityclasses/${name}`);
      assert.equal(r.status, 200);
      const pc = JSON.parse(r.body) as { value: number; preemptionPolicy: string; globalDefault?: boolean; description: string };
      assert.equal(pc.value, value);
      assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
      assert.ok(!pc.globalDefault);
      assert.ok(pc.description.startsWith('Used for system critical pods'));
    }
  });

  it('resolves priority from the class, or 0 without one', async () => {
    const plain = await createPod({ name: 'plain' });
    assert.equal(plain.status, 201, plain.body);
    assert.deepEqual(specOf(plain.body).priority, 0);
    assert.equal(specOf(plain.body).preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(specOf(plain.body).priorityClassName, undefined);

    const critical = await createPod({ name: 'critical' }, { priorityClassName: 'system-cluster-critical' });
    assert.equal(specOf(critical.body).priority, 2000000000);

    assert.equal((await createClass('batch', 1000, { preemptionPolicy: 'Never' })).status, 201);
    const batch = await createPod({ name: 'batch' }, { priorityClassName: 'batch' });
    assert.deepEqual([specOf(batch.body).priority, specOf(batch.body).preemptionPolicy], [1000, 'Never']);
    // A client value that agrees with the class is accepted.
    assert.equal((await createPod({ name: 'agrees' }, { priorityClassName: 'batch', priority: 1000, preemptionPolicy: 'Never' })).status, 201);
  });

  it('rejects unknown classes and disagreeing values as upstream does', async () => {
    forbidden(await createPod({ name: 'x' }, { priorityClassName: 'foo' }), 'pods "x" is forbidden: no PriorityClass with name foo was found');
    forbidden(await createPod({ generateName: 'gen-' }, { priorityClassName: 'foo' }), 'pods "gen-" is forbidden: no PriorityClass with name foo was found');
    forbidden(
      await createPod({ name: 'y' }, { priorityClassName: 'batch', priority: 5 }),
      'pods "y" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
    forbidden(
      await createPod({ name: 'z' }, { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' }),
      'pods "z" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
    );
    const k = await server.kubectl(['create', '-f', '-'], { input: pod({ name: 'viakubectl' }, { priorityClassName: 'foo' }) });
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /Error from server \(Forbidden\): .*pods "viakubectl" is forbidden: no PriorityClass with name foo was found/);
  });

  it('keeps the resolved priority when an update omits it', async () => {
    const got = JSON.parse((await server.request('GET', '/api/v1/namespaces/default/pods/batch')).body) as { spec: PodSpecOut & Record<string, unknown> };
    delete got.spec.priority;
    delete got.spec.preemptionPolicy;
    const put = await server.request('PUT', '/api/v1/namespaces/default/pods/batch', JSON.stringify(got));
    assert.equal(put.status, 200, put.body);
    assert.deepEqual([specOf(put.body).priority, specOf(put.body).preemptionPolicy], [1000, 'Never']);
  });

  it('applies the one global default class to pods without a class', async () => {
    assert.equal((await createClass('dflt', 7, { globalDefault: true })).status, 201);
    const p = await createPod({ name: 'defaulted' });
    assert.equal(p.status, 201, p.body);
    assert.deepEqual([specOf(p.body).priority, specOf(p.body).priorityClassName], [7, 'dflt']);
    forbidden(await createClass('dflt2', 8, { globalDefault: true }), 'priorityclasses.scheduling.k8s.io "dflt2" is forbidden: PriorityClass dflt is already marked as default. Only one default can exist');
  });
});
