// Deployment lifecycle: pause and resume, history cleanup, change-cause, the progress deadline
// (with a clock moved ahead) and escaping a pod-template-hash collision.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDeploymentController } from '../../../src/controllers/deployment/controller.js';
import { podTemplateHash } from '../../../src/controllers/hash.js';
import { startReplicaSetController } from '../../../src/controllers/replicaset/controller.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { startBench, type Bench } from '../podcontrol/harness.js';
import { condition, getDeployment, imageOf, makeDeployment, replicaSetsOf, rolledOut, setImage, specReplicas, statusOf } from './fixtures.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';

describe('deployment lifecycle', () => {
  let bench: Bench;
  before(async () => {
    bench = await startBench([startReplicaSetController, startDeploymentController], { readyIf: (p) => imageOf(p) !== 'img:never' });
  });
  after(async () => {
    await bench?.stop();
  });

  it('makes no rollout progress while paused but still scales, then resumes', async () => {
    await bench.client.create(res.deployments, makeDeployment('paws', { replicas: 2 }), 'default');
    await eventually('rolled out', () => rolledOut(bench.client, 'paws'));
    await bench.client.patch(res.deployments, 'paws', { spec: { paused: true } }, 'merge', { namespace: 'default' });
    const paused = await eventually('DeploymentPaused', async () => {
      const c = condition(await statusOf(bench.client, 'paws'), 'Progressing');
      return c?.reason === 'DeploymentPaused' ? c : undefined;
    });
    assert.deepEqual([paused.status, paused.message], ['Unknown', 'Deployment is paused']);
    await setImage(bench.client, 'paws', 'img:v2');
    await bench.client.patch(res.deployments, 'paws', { spec: { replicas: 4 } }, 'merge', { namespace: 'default' });
    await eventually('scaled while paused', async () => {
      const rss = await replicaSetsOf(bench.client, 'paws');
      return rss.length === 1 && specReplicas(rss[0]!) === 4 ? true : undefined;
    });
    const st = await eventually('observed', async () => {
      const d = await getDeployment(bench.client, 'paws');
      const s = (d.status ?? {}) as { observedGeneration?: number; updatedReplicas?: number };
      return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) ? s : undefined;
    });
    assert.equal(st.updatedReplicas, 0, 'the new template is not rolled out while paused');
    assert.equal((await replicaSetsOf(bench.client, 'paws')).length, 1, 'no new ReplicaSet while paused');

    await bench.client.patch(res.deployments, 'paws', { spec: { paused: false } }, 'merge', { namespace: 'default' });
    await eventually('rolled out after resume', () => rolledOut(bench.client, 'paws'), 10_000);
    const rss = await replicaSetsOf(bench.client, 'paws');
    assert.deepEqual(rss.map(specReplicas), [0, 4]);
    assert.equal(imageOf(rss[1]!), 'img:v2');
  });

  it('keeps revisionHistoryLimit old ReplicaSets and copies the change-cause to the new one', async () => {
    await bench.client.create(res.deployments, makeDeployment('hist', { replicas: 1, revisionHistoryLimit: 1 }), 'default');
    await eventually('rolled out', () => rolledOut(bench.client, 'hist'));
    for (const v of ['img:v2', 'img:v3', 'img:v4']) {
      await bench.client.patch(res.deployments, 'hist', { metadata: { annotations: { 'kubernetes.io/change-cause': `to ${v}` } } }, 'merge', { namespace: 'default' });
      await setImage(bench.client, 'hist', v);
      await eventually(`rolled out ${v}`, () => rolledOut(bench.client, 'hist'));
    }
    const rss = await eventually('history pruned to 1 old', async () => {
      const r = await replicaSetsOf(bench.client, 'hist');
      return r.length === 2 ? r : undefined;
    });
    assert.deepEqual(rss.map((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision']), ['3', '4']);
    assert.equal(rss[1]!.metadata.annotations?.['kubernetes.io/change-cause'], 'to img:v4');
  });

  it('reports ProgressDeadlineExceeded when a rollout stops moving', async () => {
    await bench.client.create(res.deployments, makeDeployment('late', { replicas: 1, image: 'img:never', progressDeadlineSeconds: 30 }), 'default');
    // The pod exists but never becomes ready: progress stops at updatedReplicas 1.
    const st = await eventually('progressing', async () => {
      const s = await statusOf(bench.client, 'late');
      return s.updatedReplicas === 1 && condition(s, 'Progressing')?.status === 'True' ? s : undefined;
    });
    assert.equal(condition(st, 'Available')?.reason, 'MinimumReplicasUnavailable');
    assert.equal(condition(st, 'Progressing')?.reason, 'ReplicaSetUpdated');
    const c = await eventually('ProgressDeadlineExceeded', async () => {
      // Time passes (the controller's requeue timer fires once the deadline is behind us).
      bench.clock.advance(15_000);
      const cond = condition(await statusOf(bench.client, 'late'), 'Progressing');
      return cond?.reason === 'ProgressDeadlineExceeded' ? cond : undefined;
    });
    assert.equal(c.status, 'False');
    assert.match(c.message ?? '', /^ReplicaSet "late-\w+" has timed out progressing\.$/);
  });

  it('escapes a pod-template-hash collision by bumping collisionCount', async () => {
    // Paused: the controller creates no ReplicaSet, so we can take its name first.
    const d = await bench.client.create(res.deployments, makeDeployment('clash', { replicas: 1, paused: true }), 'default');
    const hash = podTemplateHash((d.spec as { template: PodTemplateSpec }).template);
    await bench.client.create(
      res.replicaSets,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: `clash-${hash}` },
        spec: { replicas: 0, selector: { matchLabels: { app: 'squatter' } }, template: { metadata: { labels: { app: 'squatter' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
      },
      'default',
    );
    await bench.client.patch(res.deployments, 'clash', { spec: { paused: false } }, 'merge', { namespace: 'default' });
    await eventually('rolled out', () => rolledOut(bench.client, 'clash'), 10_000);
    const st = await statusOf(bench.client, 'clash');
    assert.equal(st.collisionCount, 1);
    const rss = await replicaSetsOf(bench.client, 'clash');
    assert.equal(rss.length, 1);
    assert.equal(rss[0]!.metadata.name, `clash-${podTemplateHash((d.spec as { template: PodTemplateSpec }).template, 1)}`);
  });
});
