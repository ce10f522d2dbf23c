// The taint eviction controller with a fake clock: immediate eviction of untolerated pods,
// eviction when tolerationSeconds run out, cancellation when the taint goes.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startTaintEvictionController } from '../../../src/controllers/nodelifecycle/taint-eviction.js';
import type { Client } from '../../../src/client/client.js';
import { withCluster } from '../../helpers/cluster.js';
import { eventsFor, node, pod } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';
import { eventually } from '../../helpers/eventually.js';
import { FakeClock } from '../../helpers/fake-clock.js';

async function getPod(client: Client, name: string): Promise<Pod> {
  return (await client.get(res.pods, name, 'default')) as unknown as Pod;
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('taint eviction controller', () => {
  it('evicts at once, after tolerationSeconds, or never, and cancels when the taint goes', async () => {
    // The taint is stamped one minute ahead of real time, so pods created now predate it.
    const added = Math.ceil((Date.now() + 60_000) / 1000) * 1000;
    const clock = new FakeClock(added + 10_000);
    await withCluster(
      async ({ client, ctx }) => {
        const stamp = new Date(added).toISOString().replace(/\.\d+Z$/, 'Z');
        const n = node('n1', { ready: 'True' });
        n.spec = { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: stamp }] };
        await client.create(res.nodes, n);
        const tol = (seconds?: number) => [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) }];
        await client.create(res.pods, pod('short', {}, { nodeName: 'n1', tolerations: tol(30) }), 'default');
        await client.create(res.pods, pod('forever', {}, { nodeName: 'n1', tolerations: tol() }), 'default');
        await client.create(res.pods, pod('long', {}, { nodeName: 'n1', tolerations: tol(120) }), 'default');
        await client.create(res.pods, pod('elsewhere', {}, { nodeName: 'n2' }), 'default');
        const running = startTaintEvictionController(ctx);
        await running.ready;

        // A taint the pod does not tolerate: evicted at once.
        const n3 = node('n3', { ready: 'True' });
        n3.spec = { taints: [{ key: 'example.com/maintenance', effect: 'NoExecute', timeAdded: stamp }] };
        await client.create(res.nodes, n3);
        await client.create(res.pods, pod('intolerant', {}, { nodeName: 'n3' }), 'default');
        const evicted = await eventually('intolerant evicted', async () => {
          const p = await getPod(client, 'intolerant');
          return p.metadata?.deletionTimestamp ? p : undefined;
        });
        assert.deepEqual(
          evicted.status?.conditions?.filter((c) => c.type === 'DisruptionTarget').map((c) => [c.status, c.reason, c.message]),
          [['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']],
        );
        await eventually('eviction event', async () =>
          (await eventsFor(client, 'default', 'intolerant')).some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/intolerant') ? true : undefined,
        );

        await settle();
        assert.equal((await getPod(client, 'short')).metadata?.deletionTimestamp, undefined);
        clock.advance(19_000); // added + 29 s
        await settle();
        assert.equal((await getPod(client, 'short')).metadata?.deletionTimestamp, undefined);
        clock.advance(1_000); // added + 30 s
        await eventually('short evicted', async () => ((await getPod(client, 'short')).metadata?.deletionTimestamp ? true : undefined));

        // The taint goes before `long` is due: its eviction is cancelled.
        await client.patch(res.nodes, 'n1', { spec: { taints: [] } }, 'merge');
        await eventually('cancel event', async () =>
          (await eventsFor(client, 'default', 'long')).some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Cancelling deletion of Pod default/long') ? true : undefined,
        );
        clock.advance(200_000);
        await settle();
        for (const name of ['long', 'forever', 'elsewhere']) assert.equal((await getPod(client, name)).metadata?.deletionTimestamp, undefined, name);
      },
      { clock },
    );
  });
});
