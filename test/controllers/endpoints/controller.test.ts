// The Endpoints controller against an in-process API server; the test plays kubelet.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import { startEndpointsController } from '../../../src/controllers/endpoints/controller.js';
import { isApiError } from '../../../src/client/transport.js';
import type { Client } from '../../../src/client/client.js';
import { withCluster } from '../../helpers/cluster.js';
import { node, pod, service, setPodStatus } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';
import { eventually } from '../../helpers/eventually.js';

const ns = 'default';

async function endpointsOf(client: Client, name: string): Promise<Endpoints | undefined> {
  try {
    return (await client.get(res.endpoints, name, ns)) as unknown as Endpoints;
  } catch (e) {
    if (isApiError(e, 404)) return undefined;
    throw e;
  }
}

describe('endpoints controller', () => {
  it('writes ready and not-ready addresses with the trigger-time annotation and service labels', async () => {
    await withCluster(async ({ client, ctx }) => {
      const running = startEndpointsController(ctx);
      await client.create(res.nodes, node('n1', { ready: 'True' }));
      const svc = service('web', { app: 'web' });
      svc.metadata.labels = { tier: 'front' };
      await client.create(res.services, svc, ns);
      await client.create(res.services, service('manual', undefined, [{ port: 80 }]), ns);
      for (const name of ['a', 'b']) await client.create(res.pods, pod(name, { app: 'web' }, { nodeName: 'n1' }), ns);
      await setPodStatus(client, ns, 'a', { ip: '10.42.0.1', ready: true });
      await setPodStatus(client, ns, 'b', { ip: '10.42.0.2', ready: false });
      await running.ready;

      const ep = await eventually('endpoints with both pods', async () => {
        const e = await endpointsOf(client, 'web');
        const s = e?.subsets?.[0];
        return s?.addresses?.length === 1 && s.notReadyAddresses?.length === 1 ? e : undefined;
      });
      assert.deepEqual(ep.metadata?.labels, { tier: 'front' });
      assert.ok(ep.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);
      assert.deepEqual(ep.subsets?.[0]?.addresses?.[0], { ip: '10.42.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: ns, name: 'a', uid: ep.subsets?.[0]?.addresses?.[0]?.targetRef?.uid } });
      assert.deepEqual(ep.subsets?.[0]?.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
      assert.equal(await endpointsOf(client, 'manual'), undefined);

      await setPodStatus(client, ns, 'b', { ip: '10.42.0.2', ready: true });
      await eventually('b ready', async () => ((await endpointsOf(client, 'web'))?.subsets?.[0]?.addresses?.length === 2 ? true : undefined));

      await client.delete(res.services, 'web', { namespace: ns });
      await eventually('endpoints removed with the service', async () => ((await endpointsOf(client, 'web')) ? undefined : true));
    });
  });

  it('truncates at 1000 addresses and says so', async () => {
    await withCluster(async ({ client, ctx }) => {
      await client.create(res.services, service('big', { app: 'big' }, [{ port: 80, targetPort: 80 }]), ns);
      const n = 1005;
      for (let i = 0; i < n; i++) await client.create(res.pods, pod(`p${i}`, { app: 'big' }, { nodeName: 'n1' }), ns);
      for (let i = 0; i < n; i++) await setPodStatus(client, ns, `p${i}`, { ip: `10.42.${Math.floor(i / 250)}.${(i % 250) + 1}`, ready: true });
      const running = startEndpointsController(ctx);
      await running.ready;
      const ep = await eventually('truncated endpoints', async () => {
        const e = await endpointsOf(client, 'big');
        return e?.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'] === 'truncated' ? e : undefined;
      });
      assert.equal(ep.subsets?.[0]?.addresses?.length, 1000);
    });
  });
});
