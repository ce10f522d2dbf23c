// The eviction subresource against an in-process API server, with budgets whose status the test
// sets itself (no controller): refusals with upstream's Status, the budget spent atomically,
// pods that need no budget, dryRun.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../src/apiserver/object.js';
import { isApiError } from '../../src/client/transport.js';
import { direct, evict, pdbObj, podObj, runPod } from '../controllers/disruption/fixtures.js';
import { withCluster, type Cluster } from '../helpers/cluster.js';
import { res } from '../helpers/resources.js';

const ns = 'default';

/** Creates a budget and writes its status as the controller would have (observedGeneration current unless told). */
async function budget(c: Cluster, name: string, status: Partial<PodDisruptionBudgetStatus>, spec: Record<string, unknown> = { minAvailable: 2 }): Promise<PodDisruptionBudget> {
  const created = await c.client.create(res.pdbs, pdbObj(name, spec), ns);
  const full = { observedGeneration: created.metadata.generation, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptionsAllowed: 1, ...status };
  return (await c.client.updateStatus(res.pdbs, { ...created, status: full })) as unknown as PodDisruptionBudget;
}

const getPdb = async (c: Cluster, name: string) => (await c.client.get(res.pdbs, name, ns)) as unknown as PodDisruptionBudget;
const getPod = async (c: Cluster, name: string) => (await c.client.get(res.pods, name, ns)) as unknown as Pod;
const gone = async (c: Cluster, name: string) => c.client.get(res.pods, name, ns).then(() => false, (e: unknown) => isApiError(e, 404));

describe('pods/eviction', () => {
  it('refuses with 429 and the budget as cause when no disruption is allowed', async () => {
    await withCluster(async (c) => {
      await runPod(c.client, ns, podObj('a', { nodeName: 'n1' }));
      await budget(c, 'web', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
      const r = await evict(c, ns, 'a');
      assert.equal(r.code, 429);
      assert.deepEqual(r.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        reason: 'TooManyRequests',
        details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }] },
        code: 429,
      });
      assert.equal((await getPod(c, 'a')).metadata?.deletionTimestamp, undefined);
    }, direct);
  });

  it('spends the budget: decrements disruptionsAllowed, records the pod, marks it and deletes it', async () => {
    await withCluster(async (c) => {
      await runPod(c.client, ns, podObj('a', { nodeName: 'n1' }));
      await runPod(c.client, ns, podObj('b', { nodeName: 'n1' }));
      await budget(c, 'web', { disruptionsAllowed: 1 });
      const r = await evict(c, ns, 'a');
      assert.equal(r.code, 201);
      assert.deepEqual(r.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
      const pdb = await getPdb(c, 'web');
      assert.equal(pdb.status?.disruptionsAllowed, 0);
      assert.deepEqual(Object.keys(pdb.status?.disruptedPods ?? {}), ['a']);
      assert.deepEqual(
        pdb.status?.conditions?.map((x) => [x.type, x.status, x.reason]),
        [['DisruptionAllowed', 'False', 'InsufficientPods']],
      );
      // Bound to a node, the pod gets its grace period; it carries the DisruptionTarget condition.
      const pod = await getPod(c, 'a');
      assert.ok(pod.metadata?.deletionTimestamp);
      const cond = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
      assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['True', 'EvictionByEvictionAPI', 'Eviction API: evicting']);
      // The budget is spent now: the next eviction is refused.
      assert.equal((await evict(c, ns, 'b')).code, 429);
    }, direct);
  });

  it('never approves more evictions than allowed, however many arrive at once', async () => {
    await withCluster(async (c) => {
      const names = ['a', 'b', 'c', 'd', 'e'];
      for (const n of names) await runPod(c.client, ns, podObj(n, { nodeName: 'n1' }));
      await budget(c, 'web', { disruptionsAllowed: 2, currentHealthy: 5, desiredHealthy: 3, expectedPods: 5 }, { minAvailable: 3 });
      const codes = (await Promise.all(names.map((n) => evict(c, ns, n)))).map((r) => r.code).sort();
      assert.deepEqual(codes, [201, 201, 429, 429, 429]);
      const pdb = await getPdb(c, 'web');
      assert.equal(pdb.status?.disruptionsAllowed, 0);
      assert.equal(Object.keys(pdb.status?.disruptedPods ?? {}).length, 2);
    }, direct);
  });

  it('answers 500 for a pod with two budgets', async () => {
    await withCluster(async (c) => {
      await runPod(c.client, ns, podObj('a'));
      await budget(c, 'one', {});
      await budget(c, 'two', {}, { maxUnavailable: 1, selector: {} });
      const r = await evict(c, ns, 'a');
      assert.equal(r.code, 500);
      assert.equal(r.body.message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
      assert.equal(await gone(c, 'a'), false);
    }, direct);
  });

  it('answers 429 while the controller has not observed the budget’s generation', async () => {
    await withCluster(async (c) => {
      await runPod(c.client, ns, podObj('a'));
      await budget(c, 'web', { observedGeneration: 0, disruptionsAllowed: 3 });
      const r = await evict(c, ns, 'a');
      assert.equal(r.code, 429);
      assert.deepEqual(r.body.details, { retryAfterSeconds: 10, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web is still being processed by the server.' }] });
    }, direct);
  });

  it('changes nothing with dryRun', async () => {
    await withCluster(async (c) => {
      await runPod(c.client, ns, podObj('a', { nodeName: 'n1' }));
      const before = await budget(c, 'web', { disruptionsAllowed: 1 });
      const podBefore = await getPod(c, 'a');
      assert.equal((await evict(c, ns, 'a', undefined, '?dryRun=All')).code, 201);
      assert.equal((await evict(c, ns, 'a', { dryRun: ['All'] })).code, 201);
      assert.equal((await getPdb(c, 'web')).metadata?.resourceVersion, before.metadata?.resourceVersion);
      assert.equal((await getPod(c, 'a')).metadata?.resourceVersion, podBefore.metadata?.resourceVersion);
      // The checks still run: an exhausted budget refuses a dry run too.
      await budget(c, 'other', { disruptionsAllowed: 0 }, { minAvailable: 1, selector: { matchLabels: { app: 'other' } } });
      await runPod(c.client, ns, podObj('o', { labels: { app: 'other' } }));
      assert.equal((await evict(c, ns, 'o', undefined, '?dryRun=All')).code, 429);
    }, direct);
  });

  it('deletes pods that need no budget: pending, finished, unready while the budget holds, unguarded', async () => {
    await withCluster(async (c) => {
      await budget(c, 'web', { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
      await c.client.create(res.pods, podObj('pending'), ns);
      await runPod(c.client, ns, podObj('done'), false, 'Succeeded');
      await runPod(c.client, ns, podObj('unready'), false);
      await runPod(c.client, ns, podObj('free', { labels: { app: 'free' } }));
      for (const name of ['pending', 'done', 'unready', 'free']) {
        const r = await evict(c, ns, name);
        assert.equal(r.code, 201, `${name}: ${JSON.stringify(r.body)}`);
        assert.equal(await gone(c, name), true, name);
      }
      // None of them spent the budget.
      const pdb = await getPdb(c, 'web');
      assert.equal(pdb.status?.disruptedPods, undefined);

      // IfHealthyBudget: an unready pod is protected while the budget is not met; AlwaysAllow lets it go.
      await budget(c, 'strict', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 }, { minAvailable: 2, selector: { matchLabels: { app: 'strict' } } });
      await runPod(c.client, ns, podObj('s', { labels: { app: 'strict' } }), false);
      assert.equal((await evict(c, ns, 's')).code, 429);
      const strict = await getPdb(c, 'strict');
      await c.client.update(res.pdbs, { ...(strict as unknown as KObject), spec: { ...strict.spec, unhealthyPodEvictionPolicy: 'AlwaysAllow' } });
      // The spec change bumps the generation; the controller's part is played here.
      const bumped = await getPdb(c, 'strict');
      await c.client.updateStatus(res.pdbs, { ...(bumped as unknown as KObject), status: { ...bumped.status, observedGeneration: bumped.metadata?.generation } });
      assert.equal((await evict(c, ns, 's')).code, 201);
      assert.equal(await gone(c, 's'), true);
    }, direct);
  });

  it('checks the Eviction’s name and preconditions', async () => {
    await withCluster(async (c) => {
      await runPod(c.client, ns, podObj('a'));
      const wrongName = await c.transport
        .request('POST', `/api/v1/namespaces/${ns}/pods/a/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'b' } } })
        .then(() => 0, (e: { code: number; message: string }) => `${e.code} ${e.message}`);
      assert.equal(wrongName, '400 name in URL does not match name in Eviction object');
      const r = await evict(c, ns, 'a', { preconditions: { uid: 'not-the-uid' } });
      assert.equal(r.code, 409);
      assert.match(String(r.body.message), /^Operation cannot be fulfilled on Pod "a": the UID in the precondition \(not-the-uid\) does not match the UID in record/);
      assert.equal((await evict(c, ns, 'missing')).code, 404);
      assert.equal(await gone(c, 'a'), false);
    }, direct);
  });
});
