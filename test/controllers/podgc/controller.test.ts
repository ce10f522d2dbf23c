import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPodGcController } from '../../../src/controllers/podgc/controller.js';
import { withCluster } from '../../helpers/cluster.js';
import { node, pod } from '../../helpers/fixtures.js';
import { res } from '../../helpers/resources.js';
import { isApiError } from '../../../src/client/transport.js';
import { eventually } from '../../helpers/eventually.js';
import { FakeClock } from '../../helpers/fake-clock.js';

describe('pod garbage collector', () => {
  it('force-deletes pods on nodes that are gone (after the quarantine) and keeps the others', async () => {
    await withCluster(async ({ client, ctx }) => {
      await client.create(res.nodes, node('here', { ready: 'True' }));
      await client.create(res.pods, pod('on-here', {}, { nodeName: 'here' }), 'default');
      await client.create(res.pods, pod('on-ghost', {}, { nodeName: 'ghost' }), 'default');
      const clock = new FakeClock(Date.now());
      startPodGcController({ ...ctx, clock }, { periodMs: 1000, quarantineMs: 5000 });
      ctx.informers.start(ctx.signal);
      await ctx.informers.waitForSync(ctx.signal);
      await new Promise((r) => setTimeout(r, 50));
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(await client.get(res.pods, 'on-ghost', 'default'), 'kept during the quarantine');
      for (let i = 0; i < 6; i++) {
        clock.advance(1000);
        await new Promise((r) => setTimeout(r, 30));
      }
      await eventually('the orphan gone', async () => {
        try {
          await client.get(res.pods, 'on-ghost', 'default');
          return undefined;
        } catch (e) {
          return isApiError(e, 404) ? true : undefined;
        }
      });
      assert.ok(await client.get(res.pods, 'on-here', 'default'), 'a pod on an existing node stays');
    });
  });

  it('deletes the oldest terminated pods beyond the threshold', async () => {
    await withCluster(async ({ client, ctx }) => {
      await client.create(res.nodes, node('n', { ready: 'True' }));
      for (const name of ['old', 'new']) {
        await client.create(res.pods, pod(name, {}, { nodeName: 'n', restartPolicy: 'Never' }), 'default');
        await client.patch(res.pods, name, { status: { phase: 'Succeeded' } }, 'merge', { namespace: 'default', subresource: 'status' });
        await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has second resolution
      }
      startPodGcController(ctx, { periodMs: 50, terminatedPodThreshold: 1 });
      ctx.informers.start(ctx.signal);
      await eventually('the older pod gone', async () => {
        try {
          await client.get(res.pods, 'old', 'default');
          return undefined;
        } catch (e) {
          return isApiError(e, 404) ? true : undefined;
        }
      });
      assert.ok(await client.get(res.pods, 'new', 'default'));
    });
  });
});
