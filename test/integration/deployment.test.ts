// Deployments end to end: a real `skiff server`, real kubectl 1.33, and a stand-in kubelet in the
// test that marks pods Running and Ready through the status subresource (no scheduler or kubelet
// runs here; pods have no node and are deleted at once).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 20_000, intervalMs: 50 });

type Obj = { metadata: { name: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { uid: string }[] }; spec?: Record<string, unknown>; status?: Record<string, unknown> };

const imageOf = (o: Obj) => ((o.spec?.containers ?? (o.spec?.template as { spec?: { containers?: unknown } } | undefined)?.spec?.containers) as { image: string }[] | undefined)?.[0]?.image;
const isReady = (p: Obj) => ((p.status?.conditions as { type: string; status: string }[] | undefined) ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('deployments with kubectl', () => {
  let server: SkiffServer;
  /** Images the stand-in kubelet makes ready by itself; others wait for `markReady`. */
  let autoReady = new Set<string>();
  let kubeletStop = false;
  let kubelet: Promise<void>;

  const list = async (kind: 'pods' | 'replicasets', selector = 'app=web'): Promise<Obj[]> => {
    const base = kind === 'pods' ? '/api/v1' : '/apis/apps/v1';
    const r = await server.request('GET', `${base}/namespaces/default/${kind}?labelSelector=${encodeURIComponent(selector)}`);
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { items: Obj[] }).items;
  };
  const activePods = async () => (await list('pods')).filter((p) => !p.metadata.deletionTimestamp);
  const markReady = async (name: string) => {
    const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }] };
    await server.request('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, JSON.stringify({ status }), { 'Content-Type': 'application/merge-patch+json' });
  };
  const kubectl = async (...args: string[]) => {
    const r = await server.kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const byRevision = async () => {
    const rss = await list('replicasets');
    const rev = (rs: Obj) => Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
    return rss.sort((a, b) => rev(a) - rev(b));
  };
  const rolloutStatus = () => kubectl('rollout', 'status', 'deployment/web', '--timeout=60s');

  before(async () => {
    server = await startSkiff();
    kubelet = (async () => {
      while (!kubeletStop) {
        try {
          for (const p of await activePods()) if (!isReady(p) && autoReady.has(imageOf(p) ?? '')) await markReady(p.metadata.name);
        } catch {
          // the server may be stopping
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  });
  after(async () => {
    kubeletStop = true;
    await kubelet;
    await server?.stop();
  });

  it('creates a ReplicaSet and pods, and rollout status reports success', async () => {
    autoReady = new Set(['img:v1']);
    await kubectl('create', 'deployment', 'web', '--image=img:v1', '--replicas=3');
    await eventually('3 pods', async () => ((await activePods()).length === 3 ? true : undefined));
    const [rs] = await list('replicasets');
    assert.match(rs?.metadata.name ?? '', /^web-[a-z0-9]+$/);
    assert.equal(rs?.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    const out = await rolloutStatus();
    assert.match(out, /deployment "web" successfully rolled out/);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'jsonpath={.items[*].message}');
    assert.match(events, /Scaled up replica set web-\w+ from 0 to 3/);
  });

  it('rolls out a new image without exceeding maxUnavailable, then lists and undoes revisions', async () => {
    await kubectl('set', 'image', 'deployment/web', 'img=img:v2');
    // As the docs advise, annotate once the new revision exists (it is copied to the new ReplicaSet).
    await eventually('revision 2', async () => ((await list('replicasets')).length === 2 ? true : undefined));
    await kubectl('annotate', 'deployment/web', 'kubernetes.io/change-cause=image v2');
    // Defaults: maxSurge 25% of 3 → 1, maxUnavailable 25% of 3 → 0.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pods = await activePods();
      const rss = await list('replicasets');
      assert.ok(pods.filter(isReady).length >= 3, `ready pods fell below 3: ${pods.filter(isReady).length}`);
      assert.ok(rss.reduce((n, rs) => n + Number(rs.spec?.replicas ?? 0), 0) <= 4, 'ReplicaSets within replicas + maxSurge');
      const fresh = pods.filter((p) => imageOf(p) === 'img:v2');
      if (fresh.length === 3 && pods.length === 3 && fresh.every(isReady)) break;
      const next = fresh.find((p) => !isReady(p));
      if (next) await markReady(next.metadata.name);
      assert.ok(Date.now() < deadline, 'rollout finished in time');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(await rolloutStatus(), /successfully rolled out/);
    const history = await kubectl('rollout', 'history', 'deployment/web');
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+image v2\n/);
    assert.match(await kubectl('rollout', 'history', 'deployment/web', '--revision=1'), /Image:\s+img:v1/);

    const first = (await byRevision())[0]!;
    autoReady = new Set(['img:v1', 'img:v2', 'img:v3']);
    assert.match(await kubectl('rollout', 'undo', 'deployment/web'), /rolled back/);
    assert.match(await rolloutStatus(), /successfully rolled out/);
    const rss = await byRevision();
    assert.equal(rss.length, 2, 'the undo reuses the revision-1 ReplicaSet');
    assert.equal(rss[1]!.metadata.name, first.metadata.name);
    assert.equal(rss[1]!.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(rss[1]!.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.ok((await activePods()).every((p) => imageOf(p) === 'img:v1'));
  });

  it('pauses, resumes and restarts', async () => {
    await kubectl('rollout', 'pause', 'deployment/web');
    await kubectl('set', 'image', 'deployment/web', 'img=img:v3');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await list('replicasets')).length, 2, 'no new ReplicaSet while paused');
    const undo = await server.kubectl(['rollout', 'undo', 'deployment/web']);
    assert.notEqual(undo.code, 0);
    assert.match(undo.stderr, /you cannot rollback a paused deployment/);
    await kubectl('rollout', 'resume', 'deployment/web');
    assert.match(await rolloutStatus(), /successfully rolled out/);
    assert.ok((await activePods()).every((p) => imageOf(p) === 'img:v3'));

    await kubectl('rollout', 'restart', 'deployment/web');
    assert.match(await rolloutStatus(), /successfully rolled out/);
    const newest = (await byRevision()).at(-1)!;
    assert.ok((newest.spec?.template as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
    assert.equal(Number(newest.spec?.replicas), 3);
  });

  it('scales to 0 and back, and replaces a deleted pod', async () => {
    await kubectl('scale', 'deployment/web', '--replicas=0');
    await eventually('no pods', async () => ((await activePods()).length === 0 ? true : undefined));
    await kubectl('scale', 'deployment/web', '--replicas=2');
    assert.match(await rolloutStatus(), /successfully rolled out/);
    const pods = await activePods();
    assert.equal(pods.length, 2);
    await kubectl('delete', 'pod', pods[0]!.metadata.name);
    await eventually('a replacement pod', async () => {
      const now = await activePods();
      return now.length === 2 && !now.some((p) => p.metadata.name === pods[0]!.metadata.name) ? true : undefined;
    });
  });

  it('deletes the Deployment in foreground: ReplicaSets and pods first', async () => {
    await kubectl('delete', 'deployment', 'web', '--cascade=foreground', '--timeout=60s');
    assert.equal((await server.request('GET', '/apis/apps/v1/namespaces/default/deployments/web')).status, 404);
    await eventually('ReplicaSets and pods gone', async () => ((await list('replicasets')).length === 0 && (await list('pods')).length === 0 ? true : undefined));
  });
});
