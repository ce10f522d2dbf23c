// The StatefulSet controller against an in-process API server; the fake kubelet binds pods,
// finishes graceful deletions and (when told) marks pods Running and Ready.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { KObject } from '../../../src/apiserver/object.js';
import type { Client } from '../../../src/client/client.js';
import { startStatefulSetController } from '../../../src/controllers/statefulset/controller.js';
import { eventMessages, listPods, withKubelet } from '../history/cluster.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';

const sts = (opts: { replicas?: number; image?: string; parallel?: boolean; start?: number; retention?: object } = {}): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: opts.replicas ?? 3,
    serviceName: 'nginx',
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: opts.image ?? 'nginx:1' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...(opts.parallel ? { podManagementPolicy: 'Parallel' } : {}),
    ...(opts.start !== undefined ? { ordinals: { start: opts.start } } : {}),
    ...(opts.retention ? { persistentVolumeClaimRetentionPolicy: opts.retention } : {}),
  },
});

const names = async (client: Client) => (await listPods(client, 'app=web')).map((p) => p.metadata?.name ?? '').sort();
const getSts = async (client: Client) => (await client.get(res.statefulSets, 'web', 'default')) as unknown as StatefulSet;
const scale = (client: Client, replicas: number) => client.patch(res.statefulSets, 'web', { spec: { replicas } }, 'merge', { namespace: 'default' });

describe('StatefulSet controller', () => {
  it('creates members in order, each after its predecessor is ready, with their claims', async () => {
    await withKubelet(async ({ client, ctx, kubelet }) => {
      kubelet.autoReady = false;
      startStatefulSetController(ctx);
      await client.create(res.statefulSets, sts(), 'default');
      await eventually('web-0', async () => (await names(client)).join() === 'web-0');
      // Nothing more while web-0 is not ready.
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await names(client), ['web-0']);
      await kubelet.ready('web-0');
      await eventually('web-1', async () => (await names(client)).join() === 'web-0,web-1');
      await kubelet.ready('web-1');
      await eventually('web-2', async () => (await names(client)).join() === 'web-0,web-1,web-2');
      await kubelet.ready('web-2');

      const pod = (await listPods(client, 'statefulset.kubernetes.io/pod-name=web-2'))[0];
      assert.equal(pod?.spec?.hostname, 'web-2');
      assert.equal(pod?.spec?.subdomain, 'nginx');
      assert.equal(pod?.metadata?.labels?.['apps.kubernetes.io/pod-index'], '2');
      assert.deepEqual(pod?.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: 'data-web-2' });
      const claims = (await client.list(res.pvcs, { namespace: 'default' })).items.map((c) => c.metadata.name).sort();
      assert.deepEqual(claims, ['data-web-0', 'data-web-1', 'data-web-2']);

      const status = await eventually('ready status', async () => {
        const s = (await getSts(client)).status;
        return s?.readyReplicas === 3 ? s : undefined;
      });
      assert.equal(status.replicas, 3);
      assert.equal(status.currentReplicas, 3);
      assert.equal(status.updatedReplicas, 3);
      assert.equal(status.availableReplicas, 3);
      assert.equal(status.currentRevision, status.updateRevision);
      assert.equal(pod?.metadata?.labels?.['controller-revision-hash'], status.updateRevision);
      const events = await eventually('events', async () => {
        const e = await eventMessages(client);
        return e.filter((m) => m.startsWith('SuccessfulCreate')).length === 6 ? e : undefined;
      });
      assert.ok(events.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'));
      assert.ok(events.includes('SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success'));
    });
  });

  it('scales down from the highest ordinal, one at a time', async () => {
    await withKubelet(async ({ client, ctx, kubelet }) => {
      startStatefulSetController(ctx);
      await client.create(res.statefulSets, sts({ replicas: 4 }), 'default');
      await eventually('4 ready', async () => (await getSts(client)).status?.readyReplicas === 4);
      await scale(client, 1);
      await eventually('1 left', async () => (await names(client)).join() === 'web-0');
      assert.deepEqual(kubelet.deleted, ['web-3', 'web-2', 'web-1']);
      // whenScaled: Retain keeps the claims.
      assert.equal((await client.list(res.pvcs, { namespace: 'default' })).items.length, 4);
    });
  });

  it('updates only ordinals at or above the partition, highest first, then the rest', async () => {
    await withKubelet(async ({ client, ctx, kubelet }) => {
      startStatefulSetController(ctx);
      await client.create(res.statefulSets, sts(), 'default');
      await eventually('3 ready', async () => (await getSts(client)).status?.readyReplicas === 3);
      const before = (await getSts(client)).status?.currentRevision;
      await client.patch(res.statefulSets, 'web', { spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, 'merge', { namespace: 'default' });
      const partial = await eventually('2 updated', async () => {
        const s = (await getSts(client)).status;
        return s?.updatedReplicas === 2 && s.readyReplicas === 3 ? s : undefined;
      });
      assert.equal(partial.currentRevision, before);
      assert.notEqual(partial.updateRevision, before);
      const images = Object.fromEntries((await listPods(client, 'app=web')).map((p) => [p.metadata?.name, p.spec?.containers[0]?.image]));
      assert.deepEqual(images, { 'web-0': 'nginx:1', 'web-1': 'nginx:2', 'web-2': 'nginx:2' });
      assert.deepEqual(kubelet.deleted, ['web-2', 'web-1']);

      await client.patch(res.statefulSets, 'web', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } }, 'merge', { namespace: 'default' });
      const done = await eventually('rolled out', async () => {
        const s = (await getSts(client)).status;
        return s?.updatedReplicas === 3 && s.readyReplicas === 3 && s.currentRevision === s.updateRevision ? s : undefined;
      });
      assert.equal(done.currentReplicas, 3);
      const revs = (await client.list(res.revisions, { namespace: 'default' })).items;
      assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
      assert.ok(revs.every((r) => r.metadata.labels?.['controller.kubernetes.io/hash']));
    });
  });

  it('runs Parallel sets all at once and starts at spec.ordinals.start', async () => {
    await withKubelet(async ({ client, ctx, kubelet }) => {
      kubelet.autoReady = false;
      startStatefulSetController(ctx);
      await client.create(res.statefulSets, sts({ parallel: true, start: 5 }), 'default');
      await eventually('3 pods without readiness', async () => (await names(client)).join() === 'web-5,web-6,web-7');
      assert.equal((await getSts(client)).status?.readyReplicas ?? 0, 0);
    });
  });

  it('gives claims the owners their retention policy asks for', async () => {
    await withKubelet(async ({ client, ctx }) => {
      startStatefulSetController(ctx);
      await client.create(res.statefulSets, sts({ replicas: 2, retention: { whenDeleted: 'Delete', whenScaled: 'Delete' } }), 'default');
      await eventually('2 ready', async () => (await getSts(client)).status?.readyReplicas === 2);
      const owners = async (claim: string) => ((await client.get(res.pvcs, claim, 'default')).metadata.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`);
      assert.deepEqual(await owners('data-web-1'), ['StatefulSet/web']);
      await scale(client, 1);
      await eventually('web-1 gone', async () => (await names(client)).join() === 'web-0');
      // Scaled away: the pod owns the claim now, so the garbage collector removes it with the pod.
      assert.deepEqual(await owners('data-web-1'), ['Pod/web-1']);
      assert.deepEqual(await owners('data-web-0'), ['StatefulSet/web']);
    });
  });
});
