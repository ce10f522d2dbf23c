// The node IPAM controller against an in-process API server.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { startNodeIpamController } from '../../../src/controllers/nodeipam/controller.js';
import type { Client } from '../../../src/client/client.js';
import { withCluster } from '../../helpers/cluster.js';
import { eventsFor, node } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';
import { eventually } from '../../helpers/eventually.js';

async function cidrOf(client: Client, name: string): Promise<string | undefined> {
  const n = (await client.get(res.nodes, name)) as unknown as Node;
  if (n.spec?.podCIDR) assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR]);
  return n.spec?.podCIDR || undefined;
}

describe('node ipam controller', () => {
  it('keeps existing ranges, allocates the free ones, reports exhaustion and reuses released ranges', async () => {
    await withCluster(
      async ({ client, ctx }) => {
        await client.create(res.nodes, node('old', { podCIDR: '10.99.1.0/24' }));
        const running = startNodeIpamController(ctx);
        for (const name of ['a', 'b', 'c']) await client.create(res.nodes, node(name));
        await running.ready;
        const got = await eventually('three ranges', async () => {
          const cidrs = await Promise.all(['a', 'b', 'c'].map((n) => cidrOf(client, n)));
          return cidrs.every((c) => c) ? cidrs : undefined;
        });
        assert.deepEqual([...got].sort(), ['10.99.0.0/24', '10.99.2.0/24', '10.99.3.0/24']);
        assert.equal(await cidrOf(client, 'old'), '10.99.1.0/24');

        await client.create(res.nodes, node('d'));
        await eventually('CIDRNotAvailable', async () =>
          (await eventsFor(client, 'default', 'd')).some((e) => e.reason === 'CIDRNotAvailable' && e.message === 'Node d status is now: CIDRNotAvailable') ? true : undefined,
        );
        assert.equal(await cidrOf(client, 'd'), undefined);
        await client.delete(res.nodes, 'old');
        assert.equal(await eventually('d gets the released range', () => cidrOf(client, 'd')), '10.99.1.0/24');
      },
      { options: { clusterCidr: '10.99.0.0/22', nodeCidrMaskSize: 24 } },
    );
  });
});
