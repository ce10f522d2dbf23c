// The ReplicaSet controller against an in-process API server, with a fake kubelet marking pods
// ready through the status subresource.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../src/apiserver/object.js';
import { Client } from '../../../src/client/client.js';
import { ApiError } from '../../../src/client/transport.js';
import type { ResourceInfo } from '../../../src/api/resources.js';
import { startReplicaSetController } from '../../../src/controllers/replicaset/controller.js';
import { activePods, startBench, type Bench } from '../podcontrol/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { res } from '../../helpers/resources.js';
import { eventsFor } from '../../helpers/fixtures.js';

function makeRS(name: string, replicas: number, extra: { minReadySeconds?: number; labels?: Record<string, string> } = {}): KObject {
  const labels = extra.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { ...labels, app: name, tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

type RSStatus = { replicas?: number; readyReplicas?: number; availableReplicas?: number; fullyLabeledReplicas?: number; observedGeneration?: number; conditions?: { type: string; reason?: string; message?: string }[] };
const statusOf = async (client: Client, name: string) => ((await client.get(res.replicaSets, name, 'default')).status ?? {}) as RSStatus;
const podsOf = (client: Client, name: string) => activePods(client, 'default', `app=${name}`);

/** Fails pod creates while `failing` is set, like a quota admission would. */
class FlakyClient extends Client {
  failing = false;
  attempts = 0;
  override async create(info: ResourceInfo, obj: KObject, namespace?: string, signal?: AbortSignal): Promise<KObject> {
    if (info.kind === 'Pod') {
      this.attempts++;
      if (this.failing) throw new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403, reason: 'Forbidden', message: 'pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0' });
    }
    return super.create(info, obj, namespace, signal);
  }
}

describe('replicaset controller', () => {
  let bench: Bench;
  let flaky: FlakyClient;
  before(async () => {
    bench = await startBench([startReplicaSetController], { wrapClient: (c) => (flaky = new FlakyClient(c.transport)) });
  });
  after(async () => {
    await bench?.stop();
  });

  it('creates owned pods from the template, reports them, and records events', async () => {
    const rs = await bench.client.create(res.replicaSets, makeRS('web', 3), 'default');
    const pods = await eventually('3 pods', async () => ((await podsOf(bench.client, 'web')).length === 3 ? podsOf(bench.client, 'web') : undefined));
    for (const p of pods) {
      assert.match(p.metadata.name ?? '', /^web-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata.labels?.tier, 'web');
    }
    await eventually('status replicas 3', async () => ((await statusOf(bench.client, 'web')).replicas === 3 ? true : undefined));
    for (const p of pods.slice(0, 2)) await bench.markReady(p.metadata.name ?? '');
    const st = await eventually('2 ready', async () => {
      const s = await statusOf(bench.client, 'web');
      return s.readyReplicas === 2 ? s : undefined;
    });
    assert.equal(st.availableReplicas, 2);
    assert.equal(st.fullyLabeledReplicas, 3);
    assert.equal(st.observedGeneration, 1);
    const events = await eventually('3 create events', async () => {
      const ev = (await eventsFor(bench.client, 'default', 'web')).filter((e) => e.reason === 'SuccessfulCreate');
      return ev.length === 3 ? ev : undefined;
    });
    assert.deepEqual(events.map((e) => e.message).sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  });

  it('deletes not-ready pods first when scaled down, and replaces a deleted pod', async () => {
    const before = await podsOf(bench.client, 'web');
    const ready = before.filter((p) => (p.status as { conditions?: unknown[] }).conditions?.length);
    assert.equal(ready.length, 2);
    await bench.client.patch(res.replicaSets, 'web', { spec: { replicas: 2 } }, 'merge', { namespace: 'default' });
    const left = await eventually('2 pods', async () => {
      const p = await podsOf(bench.client, 'web');
      return p.length === 2 ? p : undefined;
    });
    assert.deepEqual(left.map((p) => p.metadata.name).sort(), ready.map((p) => p.metadata.name).sort(), 'the not-ready pod went first');
    await eventually('SuccessfulDelete', async () => ((await eventsFor(bench.client, 'default', 'web')).some((e) => e.reason === 'SuccessfulDelete' && /^Deleted pod: web-/.test(e.message)) ? true : undefined));

    await bench.client.delete(res.pods, left[0]!.metadata.name ?? '', { namespace: 'default' });
    const again = await eventually('a replacement pod', async () => {
      const p = await podsOf(bench.client, 'web');
      return p.length === 2 && !p.some((x) => x.metadata.name === left[0]!.metadata.name) ? p : undefined;
    });
    assert.equal(again.length, 2);
  });

  it('adopts matching orphans, releases pods that stop matching, and ignores finished pods', async () => {
    await bench.client.create(res.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, 'default');
    const rs = await bench.client.create(res.replicaSets, makeRS('adopt', 1), 'default');
    const stray = await eventually('stray adopted', async () => {
      const p = await bench.client.get(res.pods, 'stray', 'default');
      return p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid ? p : undefined;
    });
    assert.equal(stray.metadata.ownerReferences?.[0]?.controller, true);
    assert.equal(stray.metadata.ownerReferences?.[0]?.blockOwnerDeletion, true);
    assert.equal((await podsOf(bench.client, 'adopt')).length, 1, 'the orphan counts: nothing created');

    await bench.client.patch(res.pods, 'stray', { metadata: { labels: { app: 'elsewhere' } } }, 'merge', { namespace: 'default' });
    await eventually('stray released', async () => ((await bench.client.get(res.pods, 'stray', 'default')).metadata.ownerReferences?.length ? undefined : true));
    const replacement = await eventually('a replacement', async () => {
      const p = await podsOf(bench.client, 'adopt');
      return p.length === 1 ? p[0] : undefined;
    });

    await bench.client.patch(res.pods, replacement.metadata.name ?? '', { status: { phase: 'Failed' } }, 'merge', { namespace: 'default', subresource: 'status' });
    await eventually('a pod replacing the failed one', async () => {
      const p = (await podsOf(bench.client, 'adopt')).filter((x) => (x.status as { phase?: string }).phase !== 'Failed');
      return p.length === 1 && p[0]!.metadata.name !== replacement.metadata.name ? true : undefined;
    });
    const st = await eventually('status counts only the active pod', async () => {
      const s = await statusOf(bench.client, 'adopt');
      return s.replicas === 1 ? s : undefined;
    });
    assert.equal(st.replicas, 1);
  });

  it('reports a refused create as ReplicaFailure/FailedCreate and recovers', async () => {
    flaky.failing = true;
    const attemptsBefore = flaky.attempts;
    await bench.client.create(res.replicaSets, makeRS('quota', 4), 'default');
    const cond = await eventually('ReplicaFailure', async () => (await statusOf(bench.client, 'quota')).conditions?.find((c) => c.type === 'ReplicaFailure'));
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message ?? '', /exceeded quota/);
    const ev = await eventually('FailedCreate event', async () => (await eventsFor(bench.client, 'default', 'quota')).find((e) => e.reason === 'FailedCreate'));
    assert.equal(ev.type, 'Warning');
    assert.match(ev.message, /^Error creating: pods "x" is forbidden: exceeded quota/);
    // Slow start: each failing pass tries one pod, not four.
    assert.ok(flaky.attempts - attemptsBefore < 4 * 2, `attempts ${flaky.attempts - attemptsBefore}`);
    flaky.failing = false;
    await eventually('4 pods and no failure', async () => {
      const s = await statusOf(bench.client, 'quota');
      return s.replicas === 4 && !s.conditions?.length ? true : undefined;
    }, 10_000);
  });

  it('counts pods available only after minReadySeconds, re-checking on its own', async () => {
    await bench.client.create(res.replicaSets, makeRS('slow', 2, { minReadySeconds: 30 }), 'default');
    const pods = await eventually('2 pods', async () => {
      const p = await podsOf(bench.client, 'slow');
      return p.length === 2 ? p : undefined;
    });
    for (const p of pods) await bench.markReady(p.metadata.name ?? '');
    const st = await eventually('2 ready', async () => {
      const s = await statusOf(bench.client, 'slow');
      return s.readyReplicas === 2 ? s : undefined;
    });
    assert.equal(st.availableReplicas ?? 0, 0);
    bench.clock.advance(31_000);
    await eventually('2 available', async () => ((await statusOf(bench.client, 'slow')).availableReplicas === 2 ? true : undefined));
  });

  it('never creates more pods than asked, even in a burst', async () => {
    await bench.client.create(res.replicaSets, makeRS('burst', 25), 'default');
    await eventually('25 pods', async () => ((await podsOf(bench.client, 'burst')).length === 25 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await podsOf(bench.client, 'burst')).length, 25);
  });
});
