// The node lifecycle controller against an in-process API server; the test plays kubelet
// (creates the Node and its Lease, renews or stops renewing it). Short grace periods.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { startNodeLifecycleController } from '../../../src/controllers/nodelifecycle/controller.js';
import type { Client } from '../../../src/client/client.js';
import { withCluster } from '../../helpers/cluster.js';
import { eventsFor, node, pod, setPodStatus } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';
import { eventually } from '../../helpers/eventually.js';

const micro = () => new Date().toISOString().replace('Z', '000Z');

async function getNode(client: Client, name: string): Promise<Node> {
  return (await client.get(res.nodes, name)) as unknown as Node;
}

const ready = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');
const taintIds = (n: Node) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

describe('node lifecycle controller', () => {
  it('marks a node whose lease stops NotReady/Unknown, taints it, marks its pods not ready, and recovers', async () => {
    await withCluster(async ({ client, ctx }) => {
      await client.create(res.nodes, node('n1', { ready: 'True' }));
      await client.create(res.leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro() } }, 'kube-node-lease');
      await client.create(res.pods, pod('p', { app: 'x' }, { nodeName: 'n1' }), 'default');
      await setPodStatus(client, 'default', 'p', { ip: '10.42.0.5', ready: true });
      const running = startNodeLifecycleController(ctx, { nodeMonitorGracePeriodMs: 800, nodeMonitorPeriodMs: 100 });
      await running.ready;
      // The kubelet renews the lease: the node stays Ready across several grace periods.
      const renew = setInterval(() => {
        void client.patch(res.leases, 'n1', { spec: { renewTime: micro() } }, 'merge', { namespace: 'kube-node-lease' }).catch(() => undefined);
      }, 100);
      try {
        await new Promise((r) => setTimeout(r, 2000));
        const fine = await getNode(client, 'n1');
        assert.equal(ready(fine)?.status, 'True');
        assert.deepEqual(taintIds(fine), []);
      } finally {
        clearInterval(renew);
      }
      const gone = await eventually('node Unknown', async () => {
        const n = await getNode(client, 'n1');
        return ready(n)?.status === 'Unknown' && taintIds(n).length === 2 ? n : undefined;
      });
      assert.equal(ready(gone)?.reason, 'NodeStatusUnknown');
      assert.equal(ready(gone)?.message, 'Kubelet stopped posting node status.');
      assert.deepEqual(taintIds(gone), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
      assert.ok(gone.spec?.taints?.every((t) => t.timeAdded));
      const p = await eventually('pod not ready', async () => {
        const got = (await client.get(res.pods, 'p', 'default')) as unknown as Pod;
        return got.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False' ? got : undefined;
      });
      assert.ok(p);
      await eventually('NodeNotReady and RegisteredNode events', async () => {
        const evs = await eventsFor(client, 'default', 'n1');
        const has = (reason: string, message: string) => evs.some((e) => e.reason === reason && e.message === message);
        return has('NodeNotReady', 'Node n1 status is now: NodeNotReady') && has('RegisteredNode', 'Node n1 event: Registered Node n1 in Controller') ? true : undefined;
      });
      await eventually('pod NodeNotReady event', async () => ((await eventsFor(client, 'default', 'p')).some((e) => e.reason === 'NodeNotReady' && e.type === 'Warning') ? true : undefined));

      // The kubelet comes back: posts Ready and renews the lease; the taints go.
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await client.patch(res.nodes, 'n1', { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] } }, 'merge', { subresource: 'status' });
      await client.patch(res.leases, 'n1', { spec: { renewTime: micro() } }, 'merge', { namespace: 'kube-node-lease' });
      await eventually('taints removed', async () => (taintIds(await getNode(client, 'n1')).length === 0 ? true : undefined));

      await client.delete(res.nodes, 'n1');
      await eventually('RemovingNode event', async () => ((await eventsFor(client, 'default', 'n1')).some((e) => e.reason === 'RemovingNode') ? true : undefined));
    });
  });

  it('taints a node the kubelet reports NotReady, and a cordoned node unschedulable', async () => {
    await withCluster(async ({ client, ctx }) => {
      const running = startNodeLifecycleController(ctx, { nodeMonitorGracePeriodMs: 60_000, nodeMonitorPeriodMs: 100 });
      await client.create(res.nodes, node('n2', { ready: 'False' }));
      await running.ready;
      await eventually('not-ready taints', async () => {
        const ids = taintIds(await getNode(client, 'n2'));
        return ids.join() === 'node.kubernetes.io/not-ready:NoExecute,node.kubernetes.io/not-ready:NoSchedule' ? true : undefined;
      });
      await client.patch(res.nodes, 'n2', { spec: { unschedulable: true } }, 'merge');
      await eventually('unschedulable taint', async () => (taintIds(await getNode(client, 'n2')).includes('node.kubernetes.io/unschedulable:NoSchedule') ? true : undefined));
      await client.patch(res.nodes, 'n2', { spec: { unschedulable: false } }, 'merge');
      await eventually('unschedulable taint removed', async () => (taintIds(await getNode(client, 'n2')).includes('node.kubernetes.io/unschedulable:NoSchedule') ? undefined : true));
    });
  });
});
