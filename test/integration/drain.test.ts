// `kubectl drain` against a real server with real kubectl 1.33: evictions go through the
// eviction subresource and stop at the PodDisruptionBudget the disruption controller keeps, and
// the drain completes once replacements are ready elsewhere. The test plays the parts of the
// ReplicaSet controller and the kubelets: it creates the pods, their replacements and their
// Ready status itself. Also cordon and uncordon.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 20_000, intervalMs: 100 });

const ns = 'drain';

describe('kubectl drain with a PodDisruptionBudget', () => {
  let server: SkiffServer;
  before(async () => {
    server = await startSkiff();
  });
  after(async () => {
    await server?.stop();
  });

  const post = async (path: string, obj: unknown) => {
    const r = await server.request('POST', path, JSON.stringify(obj));
    assert.equal(r.status, 201, `POST ${path}: ${r.body}`);
    return JSON.parse(r.body) as { metadata: { name: string; uid: string } };
  };
  const getJson = async <T>(path: string): Promise<T> => {
    const r = await server.request('GET', path);
    assert.equal(r.status, 200, `GET ${path}: ${r.body}`);
    return JSON.parse(r.body) as T;
  };
  const markReady = async (name: string) => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] };
    const r = await server.request('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, JSON.stringify({ status }), { 'Content-Type': 'application/merge-patch+json' });
    return r.status;
  };
  type PodList = { items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { conditions?: { type: string; status: string }[] } }[] };
  const isReady = (p: PodList['items'][number]) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const livePods = async () => (await getJson<PodList>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`)).items.filter((p) => !p.metadata.deletionTimestamp);
  const allowed = async () => {
    const r = await server.kubectl(['get', 'pdb', 'web', '-n', ns]);
    assert.equal(r.code, 0, r.stderr);
    const [head, row] = r.stdout.trim().split('\n');
    assert.match(head ?? '', /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    return (row ?? '').split(/\s+/)[3];
  };

  it('evicts until the budget blocks, then completes as replacements become ready', async () => {
    await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const name of ['node-a', 'node-b']) {
      const ready = { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
      await post('/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, status: { conditions: [ready] } });
    }
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } };
    const rs = await post(`/apis/apps/v1/namespaces/${ns}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
    });
    let made = 0;
    const createPod = async (node: string) => {
      const name = `web-${++made}`;
      await post(`/api/v1/namespaces/${ns}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }] },
        // No kubelet stops containers here: a zero grace period lets an evicted pod go at once.
        spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'web', image: 'busybox' }] },
      });
      assert.equal(await markReady(name), 200);
    };
    /**
     * The ReplicaSet controller's and the kubelets' part: three live pods, all running and ready.
     * Missing ones are created on node-b; pods someone else created (a ReplicaSet controller, once
     * one runs) are bound to node-b if unscheduled and marked ready.
     */
    const keepThreeReady = async () => {
      const live = await livePods();
      for (const p of live) {
        if (isReady(p)) continue;
        const name = p.metadata.name;
        if (!p.spec.nodeName) {
          const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'node-b' } };
          await server.request('POST', `/api/v1/namespaces/${ns}/pods/${name}/binding`, JSON.stringify(binding));
        }
        await markReady(name);
      }
      for (let missing = 3 - live.length; missing > 0; missing--) await createPod('node-b');
    };
    for (let i = 0; i < 3; i++) await createPod('node-a');
    await post(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } } });
    await eventually('the budget to allow one disruption', async () => (await allowed()) === '1');

    const drain = server.kubectl(['drain', 'node-a', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s'], { timeoutMs: 120_000 });
    let finished = false;
    void drain.then(() => (finished = true));
    while (!finished) {
      await keepThreeReady();
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await drain;
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.match(out, /node\/node-a cordoned/);
    assert.match(out, /error when evicting pods\/"web-\d" -n "drain" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.match(out, /node\/node-a drained/);
    for (const p of ['web-1', 'web-2', 'web-3']) assert.match(out, new RegExp(`pod/${p} evicted`));

    // The last eviction's replacement comes after the drain has finished.
    await eventually('three ready pods on node-b', async () => {
      await keepThreeReady();
      const live = await livePods();
      return live.length === 3 && live.every((p) => p.spec.nodeName === 'node-b' && isReady(p));
    });
    await eventually('the budget to settle at one allowed disruption', async () => (await allowed()) === '1');
    const node = await getJson<{ spec?: { unschedulable?: boolean } }>('/api/v1/nodes/node-a');
    assert.equal(node.spec?.unschedulable, true);
  });

  it('cordons and uncordons through spec.unschedulable', async () => {
    const unschedulable = async (n: string) => (await getJson<{ spec?: { unschedulable?: boolean } }>(`/api/v1/nodes/${n}`)).spec?.unschedulable === true;
    let r = await server.kubectl(['uncordon', 'node-a']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node\/node-a uncordoned/);
    assert.equal(await unschedulable('node-a'), false);
    r = await server.kubectl(['cordon', 'node-b']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /node\/node-b cordoned/);
    assert.equal(await unschedulable('node-b'), true);
    r = await server.kubectl(['get', 'nodes', 'node-b']);
    assert.match(r.stdout, /node-b\s+Ready,SchedulingDisabled/);
    r = await server.kubectl(['uncordon', 'node-b']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await unschedulable('node-b'), false);
  });
});
