// The DaemonSet controller against an in-process API server, with the fake scheduler/kubelet
// binding pods by their metadata.name affinity and marking them Running and Ready.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { startDaemonSetController } from '../../../src/controllers/daemonset/controller.js';
import { createNode, eventMessages, listPods, withKubelet } from '../history/cluster.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';

const ds = (image: string, extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image }], ...extra } } },
});

const getDs = async (client: Parameters<Parameters<typeof withKubelet>[0]>[0]['client']) => (await client.get(res.daemonSets, 'agent', 'default')) as unknown as DaemonSet;

describe('DaemonSet controller', () => {
  it('runs one bound, ready pod per eligible node and reports it in status', async () => {
    await withKubelet(async ({ client, ctx }) => {
      await createNode(client, 'n1');
      await createNode(client, 'n2');
      await createNode(client, 'n3', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
      startDaemonSetController(ctx);
      await client.create(res.daemonSets, ds('busybox:1'), 'default');

      const pods = await eventually('2 ready pods', async () => {
        const p = await listPods(client, 'app=agent');
        return p.length === 2 && p.every((x) => x.status?.phase === 'Running') ? p : undefined;
      });
      assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['n1', 'n2']);
      for (const p of pods) {
        const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
        assert.deepEqual(terms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec?.nodeName ?? ''] }] }]);
        assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable'));
        assert.match(p.metadata?.name ?? '', /^agent-[a-z0-9]{5}$/);
      }
      const status = await eventually('status', async () => {
        const s = (await getDs(client)).status;
        return s?.numberAvailable === 2 ? s : undefined;
      });
      assert.deepEqual(
        { ...status, observedGeneration: status.observedGeneration },
        { currentNumberScheduled: 2, desiredNumberScheduled: 2, numberMisscheduled: 0, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2, numberUnavailable: 0, observedGeneration: 1 },
      );
      const revs = (await client.list(res.revisions, { namespace: 'default' })).items;
      assert.equal(revs.length, 1);
      const hash = pods[0]?.metadata?.labels?.['controller-revision-hash'];
      assert.equal(revs[0]?.metadata.name, `agent-${hash}`);
      assert.equal(revs[0]?.revision, 1);
      const events = await eventually('events', async () => {
        const e = await eventMessages(client);
        return e.filter((m) => m.startsWith('SuccessfulCreate: Created pod: agent-')).length === 2 ? e : undefined;
      });
      assert.equal(events.filter((m) => m.startsWith('SuccessfulCreate')).length, 2, 'no pod was created twice');

      // Tolerating the taint brings the third node in.
      await client.patch(res.daemonSets, 'agent', { spec: { template: { spec: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } } } }, 'merge', { namespace: 'default' });
      await eventually('3 updated pods', async () => {
        const s = (await getDs(client)).status;
        return s?.desiredNumberScheduled === 3 && s.updatedNumberScheduled === 3 && s.numberAvailable === 3 && s.observedGeneration === 2;
      });
    });
  });

  it('rolls an image change through every node and keeps both revisions', async () => {
    await withKubelet(async ({ client, ctx }) => {
      for (const n of ['n1', 'n2', 'n3']) await createNode(client, n);
      startDaemonSetController(ctx);
      await client.create(res.daemonSets, ds('busybox:1'), 'default');
      await eventually('3 available', async () => (await getDs(client)).status?.numberAvailable === 3);
      await client.patch(res.daemonSets, 'agent', { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } } }, 'merge', { namespace: 'default' });
      const pods = await eventually('all pods at busybox:2', async () => {
        const p = await listPods(client, 'app=agent');
        return p.length === 3 && p.every((x) => x.spec?.containers[0]?.image === 'busybox:2' && x.status?.phase === 'Running') ? p : undefined;
      });
      const revs = (await client.list(res.revisions, { namespace: 'default' })).items.sort((a, b) => (a.revision as number) - (b.revision as number));
      assert.deepEqual(revs.map((r) => r.revision), [1, 2]);
      assert.equal(new Set(pods.map((p) => p.metadata?.labels?.['controller-revision-hash'])).size, 1);
      assert.equal(`agent-${pods[0]?.metadata?.labels?.['controller-revision-hash']}`, revs[1]?.metadata.name);
      await eventually('rolled out', async () => {
        const s = (await getDs(client)).status;
        return s?.updatedNumberScheduled === 3 && s.numberAvailable === 3;
      });

      // Undo as kubectl does it: the old revision's data as a strategic merge patch.
      await client.patch(res.daemonSets, 'agent', revs[0]?.data, 'strategic', { namespace: 'default' });
      await eventually('back at busybox:1 as revision 3', async () => {
        const r = (await client.list(res.revisions, { namespace: 'default' })).items;
        const p = await listPods(client, 'app=agent');
        return r.length === 2 && r.some((x) => x.metadata.name === revs[0]?.metadata.name && x.revision === 3) && p.length === 3 && p.every((x) => x.spec?.containers[0]?.image === 'busybox:1');
      });
    });
  });

  it('follows nodes: new nodes get a pod, deleted or relabelled nodes lose theirs, failed pods come back', async () => {
    await withKubelet(async ({ client, ctx, kubelet }) => {
      await createNode(client, 'n1', { labels: { role: 'edge' } });
      startDaemonSetController(ctx);
      await client.create(res.daemonSets, ds('busybox:1', { nodeSelector: { role: 'edge' } }), 'default');
      await eventually('1 pod', async () => (await listPods(client, 'app=agent')).length === 1);
      await createNode(client, 'n2', { labels: { role: 'edge' } });
      await createNode(client, 'n3', { labels: { role: 'edge' } });
      await eventually('3 pods', async () => (await listPods(client, 'app=agent')).filter((p) => p.spec?.nodeName).length === 3);

      await client.delete(res.nodes, 'n3');
      await client.patch(res.nodes, 'n2', { metadata: { labels: { role: 'core' } } }, 'merge');
      const left = await eventually('only n1 keeps its pod', async () => {
        const p = await listPods(client, 'app=agent');
        return p.length === 1 ? p : undefined;
      });
      assert.equal(left[0]?.spec?.nodeName, 'n1');

      const failedName = left[0]?.metadata?.name ?? '';
      await kubelet.fail(failedName);
      await eventually('a replacement pod on n1', async () => {
        const p = await listPods(client, 'app=agent');
        return p.length === 1 && p[0]?.metadata?.name !== failedName && p[0]?.status?.phase === 'Running';
      });
      const events = await eventually('FailedDaemonPod event', async () => {
        const e = await eventMessages(client);
        return e.some((m) => m.startsWith('FailedDaemonPod: ')) ? e : undefined;
      });
      assert.ok(events.includes(`FailedDaemonPod: Found failed daemon pod default/${failedName} on node n1, will try to kill it`));
      assert.ok(events.includes(`SuccessfulDelete: Deleted pod: ${failedName}`));
    });
  });

  it('adopts matching orphans instead of creating more pods', async () => {
    await withKubelet(async ({ client, ctx }) => {
      await createNode(client, 'n1');
      const orphan = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'stray', labels: { app: 'agent' } },
        spec: { containers: [{ name: 'c', image: 'busybox:1' }], nodeName: 'n1' },
      };
      await client.create(res.pods, orphan, 'default');
      startDaemonSetController(ctx);
      // OnDelete: the adopted pod (of no known revision) is not replaced by a rolling update.
      await client.create(res.daemonSets, { ...ds('busybox:1'), spec: { ...(ds('busybox:1').spec as object), updateStrategy: { type: 'OnDelete' } } }, 'default');
      const owned = await eventually('stray adopted', async () => {
        const p = (await client.get(res.pods, 'stray', 'default')).metadata.ownerReferences;
        return p?.[0]?.kind === 'DaemonSet' ? p : undefined;
      });
      assert.equal(owned[0]?.controller, true);
      await eventually('status counts the adopted pod', async () => (await getDs(client)).status?.currentNumberScheduled === 1);
      assert.deepEqual((await listPods(client, 'app=agent')).map((p) => p.metadata?.name), ['stray'], 'no second pod was created for n1');
    });
  });
});
