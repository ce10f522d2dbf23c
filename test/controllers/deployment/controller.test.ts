// The Deployment and ReplicaSet controllers together against an in-process API server: creation,
// a rolling update that respects maxSurge/maxUnavailable at every step, proportional scaling
// mid-rollout, and Recreate.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDeploymentController } from '../../../src/controllers/deployment/controller.js';
import { startReplicaSetController } from '../../../src/controllers/replicaset/controller.js';
import { startBench, type Bench } from '../podcontrol/harness.js';
import { condition, getDeployment, imageOf, isReady, makeDeployment, podsOf, replicaSetsOf, rolledOut, setImage, specReplicas, statusOf } from './fixtures.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';
import { eventsFor } from '../../helpers/fixtures.js';

describe('deployment controller', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench([startReplicaSetController, startDeploymentController], { readyIf: (p) => imageOf(p) === 'img:v1' });
  });
  after(async () => {
    await bench?.stop();
  });

  it('creates a ReplicaSet <name>-<hash> with the revision annotations, and reports a complete rollout', async () => {
    const d = await bench.client.create(res.deployments, makeDeployment('web'), 'default');
    await eventually('rolled out', () => rolledOut(bench.client, 'web'));
    const [rs] = await replicaSetsOf(bench.client, 'web');
    assert.ok(rs);
    const hash = rs.metadata.labels?.['pod-template-hash'] ?? '';
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual((rs.spec as { selector: unknown }).selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.equal(rs.metadata.ownerReferences?.[0]?.uid, d.metadata.uid);
    assert.equal(rs.metadata.ownerReferences?.[0]?.controller, true);
    assert.deepEqual(
      { ...rs.metadata.annotations },
      { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' },
    );
    const dep = await getDeployment(bench.client, 'web');
    assert.equal(dep.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const s = await eventually('NewReplicaSetAvailable', async () => {
      const st = await statusOf(bench.client, 'web');
      return condition(st, 'Progressing')?.reason === 'NewReplicaSetAvailable' ? st : undefined;
    });
    assert.deepEqual([s.replicas, s.updatedReplicas, s.readyReplicas, s.availableReplicas, s.observedGeneration], [3, 3, 3, 3, 1]);
    assert.equal(s.unavailableReplicas ?? 0, 0);
    assert.equal(condition(s, 'Available')?.reason, 'MinimumReplicasAvailable');
    assert.equal(condition(s, 'Progressing')?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
    const ev = await eventually('ScalingReplicaSet', async () => (await eventsFor(bench.client, 'default', 'web')).find((e) => e.reason === 'ScalingReplicaSet'));
    assert.equal(ev.message, `Scaled up replica set web-${hash} from 0 to 3`);
  });

  it('rolls a new template out within maxSurge and maxUnavailable at every step', async () => {
    await bench.client.create(res.deployments, makeDeployment('roll', { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }), 'default');
    await eventually('rolled out', () => rolledOut(bench.client, 'roll'));
    await setImage(bench.client, 'roll', 'img:v2');
    const deadline = Date.now() + 15_000;
    let steps = 0;
    for (;;) {
      const pods = await podsOf(bench.client, 'roll');
      const rss = await replicaSetsOf(bench.client, 'roll');
      const ready = pods.filter(isReady).length;
      assert.ok(rss.reduce((n, rs) => n + specReplicas(rs), 0) <= 5, 'sum of ReplicaSet sizes within replicas + maxSurge');
      assert.ok(pods.length <= 5, `at most 5 pods, saw ${pods.length}`);
      assert.ok(ready >= 3, `at least replicas - maxUnavailable ready, saw ${ready}`);
      if (await rolledOut(bench.client, 'roll')) break;
      // Stand in for a slow kubelet: one new pod becomes ready per step.
      const next = pods.find((p) => imageOf(p) === 'img:v2' && !isReady(p));
      if (next) {
        await bench.markReady(next.metadata.name ?? '');
        steps++;
      }
      assert.ok(Date.now() < deadline, 'rollout finished in time');
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(steps >= 4, 'every new pod was made ready by the test');
    const rss = await replicaSetsOf(bench.client, 'roll');
    assert.deepEqual(rss.map(specReplicas), [0, 4]);
    assert.deepEqual(rss.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']), ['1', '2']);
    assert.equal((await getDeployment(bench.client, 'roll')).metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    const msgs = (await eventsFor(bench.client, 'default', 'roll')).map((e) => e.message);
    assert.ok(msgs.some((m) => /^Scaled down replica set roll-\w+ from 4 to 3$/.test(m)), msgs.join('\n'));
  });

  it('scales proportionally when the Deployment is resized mid-rollout', async () => {
    await bench.client.create(res.deployments, makeDeployment('prop', { replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } }), 'default');
    await eventually('rolled out', () => rolledOut(bench.client, 'prop'), 10_000);
    // The new pods never become ready: the rollout stalls at new 5 / old 8.
    await setImage(bench.client, 'prop', 'img:stuck');
    await eventually('stalled at 8 old + 5 new', async () => {
      const rss = await replicaSetsOf(bench.client, 'prop');
      return rss.map(specReplicas).join() === '8,5' ? true : undefined;
    });
    await bench.client.patch(res.deployments, 'prop', { spec: { replicas: 20 } }, 'merge', { namespace: 'default' });
    const sizes = await eventually('proportional sizes', async () => {
      const rss = await replicaSetsOf(bench.client, 'prop');
      return rss.map(specReplicas).join() === '14,9' ? rss : undefined;
    });
    assert.deepEqual(sizes.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']), ['20', '20']);
    assert.deepEqual(sizes.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas']), ['23', '23']);
  });

  it('Recreate: scales the old ReplicaSet to 0 and waits for its pods before starting the new one', async () => {
    await bench.client.create(res.deployments, makeDeployment('rec', { replicas: 2, strategy: { type: 'Recreate' } }), 'default');
    await eventually('rolled out', () => rolledOut(bench.client, 'rec'));
    bench.readyIf = (p) => imageOf(p) === 'img:v1' || imageOf(p) === 'img:v3';
    await setImage(bench.client, 'rec', 'img:v3');
    const deadline = Date.now() + 10_000;
    while (!(await rolledOut(bench.client, 'rec'))) {
      const rss = await replicaSetsOf(bench.client, 'rec');
      const fresh = rss.find((rs) => imageOf(rs) === 'img:v3');
      const pods = await podsOf(bench.client, 'rec');
      if (fresh && specReplicas(fresh) > 0) assert.equal(pods.filter((p) => imageOf(p) === 'img:v1').length, 0, 'no old pod once the new ReplicaSet is scaled up');
      assert.ok(Date.now() < deadline, 'recreate finished in time');
      await new Promise((r) => setTimeout(r, 20));
    }
    const rss = await replicaSetsOf(bench.client, 'rec');
    assert.deepEqual(rss.map(specReplicas), [0, 2]);
    const st = await statusOf(bench.client, 'rec');
    assert.equal(condition(st, 'Available')?.status, 'True');
  });
});
