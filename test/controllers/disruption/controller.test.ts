// The disruption controller against an in-process API server: budget status from matching pods
// and their controllers' scale, the fail-safe on errors, the disruptedPods map and stale
// DisruptionTarget conditions.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startDisruptionController } from '../../../src/controllers/disruption/controller.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { nowRfc3339 } from '../../../src/apiserver/object.js';
import { direct, ownerRef, pdbObj, podObj, replicaSetObj, runPod } from './fixtures.js';
import { setPodStatus } from '../../helpers/fixtures.js';
import { withCluster, type Cluster } from '../../helpers/cluster.js';
import { res } from '../../helpers/resources.js';
import { eventually } from '../../helpers/eventually.js';

const ns = 'default';

/** Runs the body with the controller started on the cluster; stops it afterwards. */
async function withController(fn: (c: Cluster) => Promise<void>): Promise<void> {
  await withCluster(async (c) => {
    await c.run(startDisruptionController);
    await fn(c);
  }, direct);
}

/** Waits for the budget's status to satisfy `ok`. */
function statusOf(c: Cluster, name: string, ok: (pdb: PodDisruptionBudget) => boolean): Promise<PodDisruptionBudget> {
  return eventually(`status of ${name}`, async () => {
    const pdb = (await c.client.get(res.pdbs, name, ns)) as unknown as PodDisruptionBudget;
    return ok(pdb) ? pdb : undefined;
  });
}

const counts = (p: PodDisruptionBudget) => {
  const s = p.status;
  return s && [s.expectedPods, s.desiredHealthy, s.currentHealthy, s.disruptionsAllowed].join('/');
};
const allowedCondition = (p: PodDisruptionBudget) => {
  const c = p.status?.conditions?.find((x) => x.type === 'DisruptionAllowed');
  return c && `${c.status}/${c.reason}`;
};

describe('disruption controller', () => {
  // One cluster for the whole suite keeps it fast; each test uses its own labels and names.
  let cluster: Cluster;
  let done: () => void;
  let finished: Promise<void>;
  before(async () => {
    let ready: () => void;
    const started = new Promise<void>((r) => (ready = r));
    finished = withController(async (c) => {
      cluster = c;
      ready();
      await new Promise<void>((r) => (done = r));
    });
    await started;
  });
  after(async () => {
    done();
    await finished;
  });

  it('counts matching pods for an integer minAvailable and follows readiness', async () => {
    const c = cluster;
    const labels = { app: 'int' };
    for (const n of ['int-a', 'int-b', 'int-c']) await runPod(c.client, ns, podObj(n, { labels }));
    await runPod(c.client, ns, podObj('other', { labels: { app: 'other' } }));
    const created = await c.client.create(res.pdbs, { ...pdbObj('int', { minAvailable: 2 }), spec: { minAvailable: 2, selector: { matchLabels: labels } } }, ns);
    const pdb = await statusOf(c, 'int', (p) => counts(p) === '3/2/3/1');
    assert.equal(pdb.status?.observedGeneration, created.metadata.generation);
    assert.equal(allowedCondition(pdb), 'True/SufficientPods');
    await setPodStatus(c.client, ns, 'int-b', { ready: false });
    const after = await statusOf(c, 'int', (p) => counts(p) === '3/2/2/0');
    assert.equal(allowedCondition(after), 'False/InsufficientPods');
  });

  it('uses the ReplicaSet’s scale for maxUnavailable and the Deployment’s for a percentage', async () => {
    const c = cluster;
    const rsLabels = { app: 'rs' };
    const rs = await c.client.create(res.replicaSets, { ...replicaSetObj('rs', 4), spec: { ...(replicaSetObj('rs', 4).spec as object), selector: { matchLabels: rsLabels }, template: { metadata: { labels: rsLabels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }, ns);
    for (const n of ['rs-a', 'rs-b', 'rs-c']) await runPod(c.client, ns, podObj(n, { labels: rsLabels, owner: ownerRef(rs) }));
    await c.client.create(res.pdbs, { ...pdbObj('rs', {}), spec: { maxUnavailable: '50%', selector: { matchLabels: rsLabels } } }, ns);
    // 4 expected (the RS's replicas, not the 3 pods), at most ceil(2) down: 2 desired, 3 healthy.
    await statusOf(c, 'rs', (p) => counts(p) === '4/2/3/1');
    // Scaling the RS is seen without any pod changing.
    await c.client.patch(res.replicaSets, 'rs', { spec: { replicas: 6 } }, 'merge', { namespace: ns });
    await statusOf(c, 'rs', (p) => counts(p) === '6/3/3/0');

    const depLabels = { app: 'dep' };
    const dep = await c.client.create(
      res.deployments,
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dep' }, spec: { replicas: 5, selector: { matchLabels: depLabels }, template: { metadata: { labels: depLabels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
      ns,
    );
    const depRs = await c.client.create(res.replicaSets, { ...replicaSetObj('dep-rs', 1, ownerRef(dep)), spec: { replicas: 1, selector: { matchLabels: depLabels }, template: { metadata: { labels: depLabels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }, ns);
    for (const n of ['dep-a', 'dep-b', 'dep-c', 'dep-d']) await runPod(c.client, ns, podObj(n, { labels: depLabels, owner: ownerRef(depRs) }));
    await c.client.create(res.pdbs, { ...pdbObj('dep', {}), spec: { minAvailable: '50%', selector: { matchLabels: depLabels } } }, ns);
    // 5 expected from the Deployment, ceil(2.5) = 3 desired, 4 healthy.
    await statusOf(c, 'dep', (p) => counts(p) === '5/3/4/1');
  });

  it('fails safe when the scale cannot be determined', async () => {
    const c = cluster;
    const labels = { app: 'job' };
    const job = await c.client.create(
      res.jobs,
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'job' }, spec: { template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ns,
    );
    await runPod(c.client, ns, podObj('job-a', { labels, owner: ownerRef(job) }));
    await c.client.create(res.pdbs, { ...pdbObj('job', {}), spec: { maxUnavailable: 1, selector: { matchLabels: labels } } }, ns);
    const pdb = await statusOf(c, 'job', (p) => allowedCondition(p) === 'False/SyncFailed');
    assert.equal(pdb.status?.disruptionsAllowed, 0);
    assert.equal(pdb.status?.conditions?.[0]?.message, 'jobs.batch does not implement the scale subresource');

    const ghost = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' };
    await runPod(c.client, ns, podObj('ghost-a', { labels: { app: 'ghost' }, owner: ghost }));
    await c.client.create(res.pdbs, { ...pdbObj('ghost', {}), spec: { minAvailable: '100%', selector: { matchLabels: { app: 'ghost' } } } }, ns);
    const g = await statusOf(c, 'ghost', (p) => allowedCondition(p) === 'False/SyncFailed');
    assert.equal(g.status?.conditions?.[0]?.message, 'found no controllers for pod "ghost-a"');
    const reasons = await eventually('events of ghost', async () => {
      const list = await c.client.list(res.events, { namespace: ns, fieldSelector: 'involvedObject.name=ghost' });
      const rs = list.items.map((e) => e.reason as string);
      return rs.includes('NoControllers') && rs.includes('CalculateExpectedPodCountFailed') ? rs : undefined;
    });
    assert.ok(reasons.includes('NoControllers'));
  });

  it('honours recent disruptedPods entries and drops expired ones', async () => {
    const c = cluster;
    const labels = { app: 'dis' };
    for (const n of ['dis-a', 'dis-b', 'dis-c']) await runPod(c.client, ns, podObj(n, { labels }));
    await c.client.create(res.pdbs, { ...pdbObj('dis', {}), spec: { minAvailable: 1, selector: { matchLabels: labels } } }, ns);
    const pdb = await statusOf(c, 'dis', (p) => counts(p) === '3/1/3/2');
    const recent = nowRfc3339();
    const expired = nowRfc3339(new Date(Date.now() - 3 * 60_000));
    // What an eviction writes: dis-a was approved just now, dis-b long ago (and never deleted).
    await c.client.updateStatus(res.pdbs, { ...(pdb as unknown as KObject), status: { ...pdb.status, disruptedPods: { 'dis-a': recent, 'dis-b': expired } } });
    const next = await statusOf(c, 'dis', (p) => counts(p) === '3/1/2/1');
    assert.deepEqual(next.status?.disruptedPods, { 'dis-a': recent });
    // Once dis-a is being deleted its entry is no longer needed.
    await c.client.delete(res.pods, 'dis-a', { namespace: ns });
    const last = await statusOf(c, 'dis', (p) => counts(p) === '2/1/2/1');
    assert.equal(last.status?.disruptedPods, undefined);
  });

  it('resets a DisruptionTarget condition left on a pod that was not deleted', async () => {
    const c = cluster;
    const created = await c.client.create(res.pods, podObj('stale', { labels: { app: 'stale' } }), ns);
    const old = nowRfc3339(new Date(Date.now() - 3 * 60_000));
    await c.client.patch(
      res.pods,
      created.metadata.name ?? '',
      { status: { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: old }] } },
      'merge',
      { namespace: ns, subresource: 'status' },
    );
    const pod = await eventually('condition reset', async () => {
      const p = (await c.client.get(res.pods, 'stale', ns)) as unknown as Pod;
      return p.status?.conditions?.find((x) => x.type === 'DisruptionTarget')?.status === 'False' ? p : undefined;
    });
    assert.notEqual(pod.status?.conditions?.[0]?.lastTransitionTime, old);
  });
});
