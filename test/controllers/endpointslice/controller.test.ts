// The EndpointSlice controller against an in-process API server; the test plays kubelet.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { startEndpointSliceController } from '../../../src/controllers/endpointslice/controller.js';
import type { Client } from '../../../src/client/client.js';
import { withCluster } from '../../helpers/cluster.js';
import { node, pod, service, setPodStatus } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';
import { eventually } from '../../helpers/eventually.js';

const ns = 'default';

async function slicesOf(client: Client, svc: string): Promise<EndpointSlice[]> {
  const list = await client.list(res.slices, { namespace: ns, labelSelector: `kubernetes.io/service-name=${svc}` });
  return list.items as unknown as EndpointSlice[];
}

const ips = (slices: EndpointSlice[], ready?: boolean) =>
  slices
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => ready === undefined || e.conditions?.ready === ready)
    .flatMap((e) => e.addresses)
    .sort();

describe('endpointslice controller', () => {
  it('lists the selected pods with IPs, updates in place, and leaves selector-less services alone', async () => {
    await withCluster(async ({ client, ctx }) => {
      const running = startEndpointSliceController(ctx);
      await client.create(res.nodes, node('n1', { ready: 'True', labels: { 'topology.kubernetes.io/zone': 'z1' } }));
      const svc = await client.create(res.services, service('web', { app: 'web' }), ns);
      await client.create(res.services, service('manual', undefined, [{ port: 80 }]), ns);
      for (const name of ['a', 'b', 'c', 'd']) await client.create(res.pods, pod(name, { app: 'web' }, { nodeName: 'n1' }), ns);
      await client.create(res.pods, pod('other', { app: 'other' }, { nodeName: 'n1' }), ns);
      await setPodStatus(client, ns, 'a', { ip: '10.42.0.1', ready: true });
      await setPodStatus(client, ns, 'b', { ip: '10.42.0.2', ready: true });
      await setPodStatus(client, ns, 'c', { ip: '10.42.0.3', ready: false });
      await setPodStatus(client, ns, 'd', { ready: false });
      await setPodStatus(client, ns, 'other', { ip: '10.42.0.9', ready: true });
      await running.ready;

      const slices = await eventually('three endpoints', async () => {
        const s = await slicesOf(client, 'web');
        return ips(s).length === 3 ? s : undefined;
      });
      assert.equal(slices.length, 1);
      const slice = slices[0]!;
      assert.match(slice.metadata?.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.equal(slice.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
      assert.equal(slice.metadata?.ownerReferences?.[0]?.uid, svc.metadata.uid);
      assert.equal(slice.addressType, 'IPv4');
      assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
      assert.deepEqual(ips(slices, true), ['10.42.0.1', '10.42.0.2']);
      const a = slice.endpoints.find((e) => e.targetRef?.name === 'a');
      assert.equal(a?.nodeName, 'n1');
      assert.equal(a?.zone, 'z1');
      assert.equal(a?.conditions?.serving, true);
      assert.ok(slice.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);

      // Pod c becomes ready: the same slice is updated.
      await setPodStatus(client, ns, 'c', { ip: '10.42.0.3', ready: true });
      const after = await eventually('c ready', async () => {
        const s = await slicesOf(client, 'web');
        return ips(s, true).length === 3 ? s : undefined;
      });
      assert.deepEqual(
        after.map((s) => s.metadata?.uid),
        [slice.metadata?.uid],
      );
      // Deleting a pod removes its endpoint.
      await client.delete(res.pods, 'a', { namespace: ns, gracePeriodSeconds: 0 });
      await eventually('a gone', async () => (ips(await slicesOf(client, 'web')).includes('10.42.0.1') ? undefined : true));
      assert.deepEqual(await slicesOf(client, 'manual'), []);
    });
  });

  it('groups pods by resolved port and packs at most max endpoints per slice', async () => {
    await withCluster(async ({ client, ctx }) => {
      const running = startEndpointSliceController(ctx, { maxEndpointsPerSlice: 2 });
      await client.create(res.nodes, node('n1', { ready: 'True' }));
      await client.create(res.services, service('api', { app: 'api' }), ns);
      for (let i = 1; i <= 5; i++) {
        const port = i === 5 ? 9090 : 8080;
        await client.create(res.pods, pod(`p${i}`, { app: 'api' }, { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: port }] }] }), ns);
        await setPodStatus(client, ns, `p${i}`, { ip: `10.42.1.${i}`, ready: true });
      }
      await running.ready;
      const slices = await eventually('five endpoints', async () => {
        const s = await slicesOf(client, 'api');
        return ips(s).length === 5 ? s : undefined;
      });
      for (const s of slices) assert.ok(s.endpoints.length <= 2);
      const p9090 = slices.filter((s) => s.ports?.[0]?.port === 9090);
      assert.deepEqual(ips(p9090), ['10.42.1.5']);
      assert.equal(slices.filter((s) => s.ports?.[0]?.port === 8080).length, 2);
      // A new pod of the 9090 group joins its slice (room for one more) rather than a new slice.
      await client.create(res.pods, pod('p6', { app: 'api' }, { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 9090 }] }] }), ns);
      await setPodStatus(client, ns, 'p6', { ip: '10.42.1.6', ready: true });
      const grown = await eventually('six endpoints', async () => {
        const s = await slicesOf(client, 'api');
        return ips(s).length === 6 ? s : undefined;
      });
      assert.deepEqual(grown.map((s) => s.metadata?.name).sort(), slices.map((s) => s.metadata?.name).sort());
    });
  });

  it('keeps a placeholder slice for a service selecting nothing', async () => {
    await withCluster(async ({ client, ctx }) => {
      const running = startEndpointSliceController(ctx);
      await client.create(res.services, service('empty', { app: 'none' }), ns);
      await running.ready;
      const slices = await eventually('placeholder', async () => {
        const s = await slicesOf(client, 'empty');
        return s.length === 1 ? s : undefined;
      });
      assert.deepEqual(slices[0]!.endpoints ?? [], []);
    });
  });
});
