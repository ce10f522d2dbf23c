// API semantics over raw HTTPS against a real server: authentication, object metadata,
// status/spec split, generation, finalizers and graceful deletion, pagination, resourceVersion
// rules, watch resume, bookmarks and selector transitions, subresources.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';

type Obj = { metadata: { name: string; resourceVersion: string; uid: string; generation?: number; finalizers?: string[]; deletionTimestamp?: string; creationTimestamp?: string }; [k: string]: unknown };
type List = { metadata: { resourceVersion: string; continue?: string }; items: Obj[] };

/** Registers the suite for one datastore; `datastore` gives the --datastore-endpoint (or none). */
export function apiSemanticsSuite(label: string, datastore: () => Promise<{ endpoint?: string; stop(): Promise<void> }>): void {
  describe(`API semantics (${label})`, () => {
    let server: SkiffServer;
    let store: { endpoint?: string; stop(): Promise<void> } | undefined;
    const tokenDir = mkdtempSync(join(tmpdir(), 'skiff-token-'));
    // API semantics only: no controllers or scheduler writing to the objects under test.
    const serverArgs = () => ['--token-auth-file', join(tokenDir, 'tokens.csv'), '--disable-controller-manager', '--disable-scheduler'];
    const ns = 'sem';

    const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const r = await server.request(method, path, body === undefined ? undefined : JSON.stringify(body), headers);
      return { status: r.status, body: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : {}, headers: r.headers };
    };
    const ok = async <T = Obj>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
      const r = await req(method, path, body, headers);
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as T;
    };
    const cm = (name: string, data: Record<string, string> = {}, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });

    /** Opens a watch stream and collects its events until `until` says stop or the timeout passes. */
    const watchEvents = (path: string, until: (events: { type: string; object: Obj }[]) => boolean, timeoutMs = 5000) =>
      new Promise<{ type: string; object: Obj }[]>((resolve, reject) => {
        const events: { type: string; object: Obj }[] = [];
        const u = new URL(path, server.url);
        const r = https.get(u, { ...server.tls, headers: { Accept: 'application/json' } }, (res) => {
          let buf = '';
          const done = () => {
            clearTimeout(timer);
            res.destroy();
            resolve(events);
          };
          const timer = setTimeout(done, timeoutMs);
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let i;
            while ((i = buf.indexOf('\n')) >= 0) {
              events.push(JSON.parse(buf.slice(0, i)) as { type: string; object: Obj });
              buf = buf.slice(i + 1);
            }
            if (until(events)) done();
          });
          res.on('end', done);
        });
        r.on('error', reject);
      });

    before(async () => {
      writeFileSync(join(tokenDir, 'tokens.csv'), 'sekrit-token,alice,1001,"devs,ops"\n');
      store = await datastore();
      server = await startSkiff({ datastore: store.endpoint, extraArgs: serverArgs() });
      await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    });
    after(async () => {
      await server?.stop();
      await store?.stop();
      rmSync(tokenDir, { recursive: true, force: true });
    });

    it('requires credentials except for health and version, and accepts bearer tokens', async () => {
      const anon = (path: string, headers: Record<string, string> = {}) =>
        new Promise<number>((resolve, reject) => {
          https.get(new URL(path, server.url), { ca: server.tls.ca, headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
      assert.equal(await anon('/api/v1/namespaces'), 401);
      assert.equal(await anon('/healthz'), 200);
      assert.equal(await anon('/readyz'), 200);
      assert.equal(await anon('/version'), 200);
      assert.equal(await anon('/api/v1/namespaces', { Authorization: 'Bearer sekrit-token' }), 200);
      assert.equal(await anon('/api/v1/namespaces', { Authorization: 'Bearer wrong' }), 401);
    });

    it('sets system metadata and honours generateName', async () => {
      const a = await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-', uid: 'client-set' } });
      assert.match(a.metadata.name, /^gen-[a-z0-9]{5}$/);
      assert.match(a.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.notEqual(a.metadata.uid, 'client-set');
      assert.match(a.metadata.resourceVersion, /^\d+$/);
      assert.match(a.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const missingNs = await req('POST', '/api/v1/namespaces/nope/configmaps', cm('x'));
      assert.equal(missingNs.status, 404);
      assert.equal(missingNs.body.message, 'namespaces "nope" not found');
      const dup = await req('POST', `/api/v1/namespaces/${ns}/configmaps`, cm(a.metadata.name));
      assert.equal(dup.status, 409);
      assert.equal(dup.body.reason, 'AlreadyExists');
    });

    it('writes spec and status only through their own endpoints and bumps generation on spec changes', async () => {
      const dep = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'gen' },
        spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
        status: { replicas: 99 },
      };
      const created = await ok('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, dep);
      assert.equal(created.status, undefined, 'status is dropped on create');
      assert.equal(created.metadata.generation, 1);
      const path = `/apis/apps/v1/namespaces/${ns}/deployments/gen`;
      const withStatus = await ok('PUT', `${path}/status`, { ...created, status: { replicas: 3, observedGeneration: 1 }, spec: { ...dep.spec, replicas: 7 } });
      assert.deepEqual((withStatus.spec as { replicas: number }).replicas, 1, '/status ignores spec');
      assert.equal((withStatus.status as { replicas: number }).replicas, 3);
      assert.equal(withStatus.metadata.generation, 1, 'status writes keep generation');
      const labelled = await ok('PATCH', path, { metadata: { labels: { x: 'y' } }, status: { replicas: 0 } }, { 'Content-Type': 'application/merge-patch+json' });
      assert.equal(labelled.metadata.generation, 1, 'metadata changes keep generation');
      assert.equal((labelled.status as { replicas: number }).replicas, 3, 'the main endpoint ignores status');
      const scaled = await ok('PATCH', path, { spec: { replicas: 4 } }, { 'Content-Type': 'application/merge-patch+json' });
      assert.equal(scaled.metadata.generation, 2);
      const scale = await ok<Record<string, { replicas: number; selector?: string }>>('GET', `${path}/scale`);
      assert.equal(scale.spec!.replicas, 4);
      assert.equal(scale.status!.selector, 'a=b');
      await ok('PUT', `${path}/scale`, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'gen', namespace: ns }, spec: { replicas: 6 } });
      assert.equal(((await ok('GET', path)).spec as { replicas: number }).replicas, 6);
    });

    it('rejects stale updates with 409 and unconditional ones win', async () => {
      const a = await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('cas', { v: '1' }));
      await ok('PUT', `/api/v1/namespaces/${ns}/configmaps/cas`, { ...a, data: { v: '2' } });
      const stale = await req('PUT', `/api/v1/namespaces/${ns}/configmaps/cas`, { ...a, data: { v: '3' } });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.reason, 'Conflict');
      const { resourceVersion: _rv, ...meta } = a.metadata;
      const uncond = await ok('PUT', `/api/v1/namespaces/${ns}/configmaps/cas`, { ...a, metadata: meta, data: { v: '4' } });
      assert.deepEqual(uncond.data, { v: '4' });
    });

    it('holds objects with finalizers until the last one is removed, and records propagation', async () => {
      await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, { ...cm('fin'), metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
      const marked = await ok('DELETE', `/api/v1/namespaces/${ns}/configmaps/fin`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' });
      assert.ok(marked.metadata.deletionTimestamp, 'marked for deletion');
      assert.deepEqual(marked.metadata.finalizers?.sort(), ['example.com/hold', 'foregroundDeletion']);
      assert.equal((await req('GET', `/api/v1/namespaces/${ns}/configmaps/fin`)).status, 200);
      await ok('PATCH', `/api/v1/namespaces/${ns}/configmaps/fin`, { metadata: { finalizers: null } }, { 'Content-Type': 'application/merge-patch+json' });
      assert.equal((await req('GET', `/api/v1/namespaces/${ns}/configmaps/fin`)).status, 404);
    });

    it('gives bound pods a grace period and deletes unbound ones at once', async () => {
      const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      const created = await ok('POST', `/api/v1/namespaces/${ns}/pods`, pod('bound'));
      assert.equal((created.status as { phase: string; qosClass: string }).phase, 'Pending');
      assert.equal((created.status as { phase: string; qosClass: string }).qosClass, 'BestEffort');
      const tolerations = (created.spec as { tolerations: { key: string; tolerationSeconds: number }[] }).tolerations;
      assert.deepEqual(tolerations.map((t) => [t.key, t.tolerationSeconds]), [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]]);
      const bind = await req('POST', `/api/v1/namespaces/${ns}/pods/bound/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'node-1' } });
      assert.equal(bind.status, 201);
      const again = await req('POST', `/api/v1/namespaces/${ns}/pods/bound/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'node-2' } });
      assert.equal(again.status, 409);
      assert.match(String(again.body.message), /is already assigned to node "node-1"/);
      const marked = await ok('DELETE', `/api/v1/namespaces/${ns}/pods/bound`);
      assert.ok(marked.metadata.deletionTimestamp);
      assert.equal((marked.metadata as { deletionGracePeriodSeconds?: number }).deletionGracePeriodSeconds, 30);
      assert.equal((await req('GET', `/api/v1/namespaces/${ns}/pods/bound`)).status, 200, 'still there during the grace period');
      await ok('DELETE', `/api/v1/namespaces/${ns}/pods/bound?gracePeriodSeconds=0`);
      assert.equal((await req('GET', `/api/v1/namespaces/${ns}/pods/bound`)).status, 404);
      await ok('POST', `/api/v1/namespaces/${ns}/pods`, pod('unbound'));
      await ok('DELETE', `/api/v1/namespaces/${ns}/pods/unbound`);
      assert.equal((await req('GET', `/api/v1/namespaces/${ns}/pods/unbound`)).status, 404);
    });

    it('dry-runs writes without storing them', async () => {
      const before = (await ok<List>('GET', '/api/v1/namespaces')).metadata.resourceVersion;
      const dry = await ok('POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=All`, cm('dry'));
      assert.equal(dry.metadata.name, 'dry');
      assert.equal((await req('GET', `/api/v1/namespaces/${ns}/configmaps/dry`)).status, 404);
      assert.equal((await ok<List>('GET', '/api/v1/namespaces')).metadata.resourceVersion, before);
    });

    it('paginates with limit and continue as one consistent snapshot', async () => {
      const pns = 'paged';
      await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: pns } });
      for (let i = 0; i < 25; i++) await ok('POST', `/api/v1/namespaces/${pns}/configmaps`, cm(`item-${String(i).padStart(2, '0')}`, {}, { parity: i % 2 ? 'odd' : 'even' }));
      // Every namespace also holds kube-root-ca.crt, published by a controller as upstream does.
      const sel = 'fieldSelector=metadata.name%21%3Dkube-root-ca.crt';
      const first = await ok<List>('GET', `/api/v1/namespaces/${pns}/configmaps?limit=10&${sel}`);
      assert.equal(first.items.length, 10);
      assert.ok(first.metadata.continue);
      // A write between pages must not show up in later pages.
      await ok('POST', `/api/v1/namespaces/${pns}/configmaps`, cm('item-99'));
      const names = first.items.map((i) => i.metadata.name);
      let token: string | undefined = first.metadata.continue;
      while (token) {
        const page: List = await ok<List>('GET', `/api/v1/namespaces/${pns}/configmaps?limit=10&${sel}&continue=${encodeURIComponent(token)}`);
        assert.equal(page.metadata.resourceVersion, first.metadata.resourceVersion);
        names.push(...page.items.map((i) => i.metadata.name));
        token = page.metadata.continue;
      }
      assert.deepEqual(names, Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, '0')}`));
      const odd = await ok<List>('GET', `/api/v1/namespaces/${pns}/configmaps?labelSelector=parity%3Dodd&limit=5`);
      assert.equal(odd.items.length, 5);
      assert.ok(odd.items.every((i) => Number(i.metadata.name.slice(5)) % 2 === 1));
      const bad = await req('GET', `/api/v1/namespaces/${pns}/configmaps?limit=5&continue=garbage`);
      assert.equal(bad.status, 400);
    });

    it('serves resourceVersion and resourceVersionMatch like upstream', async () => {
      const a = await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('rv', { v: '1' }));
      await ok('PATCH', `/api/v1/namespaces/${ns}/configmaps/rv`, { data: { v: '2' } }, { 'Content-Type': 'application/merge-patch+json' });
      const exact = await ok<List>('GET', `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=Exact&fieldSelector=metadata.name%3Drv`);
      assert.deepEqual(exact.items[0]!.data, { v: '1' }, 'Exact reads the past');
      const fresh = await ok<List>('GET', `/api/v1/namespaces/${ns}/configmaps?resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Drv`);
      assert.deepEqual(fresh.items[0]!.data, { v: '2' });
      const any = await ok('GET', `/api/v1/namespaces/${ns}/configmaps/rv?resourceVersion=0`);
      assert.equal(any.metadata.name, 'rv');
      const noRv = await req('GET', `/api/v1/namespaces/${ns}/configmaps?resourceVersionMatch=Exact`);
      assert.equal(noRv.status, 400);
      const future = await req('GET', `/api/v1/namespaces/${ns}/configmaps?resourceVersion=999999999`);
      assert.equal(future.status, 504);
      assert.match(String(future.body.message), /Too large resource version/);
    });

    it('watches from a resourceVersion, translates selector transitions and sends bookmarks', async () => {
      const list = await ok<List>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      const stream = watchEvents(`/api/v1/namespaces/${ns}/configmaps?watch=1&labelSelector=team%3Dblue&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}`, (ev) => ev.filter((e) => e.type !== 'BOOKMARK').length >= 3);
      await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('w1', {}, { team: 'blue' }));
      await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('w2', {}, { team: 'red' }));
      await ok('PATCH', `/api/v1/namespaces/${ns}/configmaps/w2`, { metadata: { labels: { team: 'blue' } } }, { 'Content-Type': 'application/merge-patch+json' });
      await ok('PATCH', `/api/v1/namespaces/${ns}/configmaps/w1`, { metadata: { labels: { team: 'red' } } }, { 'Content-Type': 'application/merge-patch+json' });
      const events = (await stream).filter((e) => e.type !== 'BOOKMARK');
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'ADDED w2', 'DELETED w1']);
      const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
      assert.deepEqual([...rvs].sort((x, y) => x - y), rvs, 'in revision order');

      // Resuming from the revision of an event replays what came after it, exactly once.
      const resumed = await watchEvents(`/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${events[0]!.object.metadata.resourceVersion}`, (ev) => ev.length >= 3, 2000);
      assert.deepEqual(resumed.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w2', 'MODIFIED w2', 'MODIFIED w1']);

      const initial = await watchEvents(`/api/v1/namespaces/${ns}/configmaps?watch=1&fieldSelector=metadata.name%3Dw2`, (ev) => ev.length >= 1, 2000);
      assert.deepEqual(initial.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w2'], 'no resourceVersion starts with the current state');

      const timed = await watchEvents(`/api/v1/namespaces/${ns}/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=1&fieldSelector=metadata.name%3Dnothing`, () => false, 5000);
      assert.equal(timed.length, 1, 'timeoutSeconds ends the stream after a final bookmark');
      assert.equal(timed[0]!.type, 'BOOKMARK');
      assert.ok(Number(timed[0]!.object.metadata.resourceVersion) >= Number(events[2]!.object.metadata.resourceVersion), 'the bookmark covers every event');
    });

    it('keeps everything across a restart, and answers watches from before it with 410 Gone', async () => {
      const before = await ok<List>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      await server.stop({ keepData: true });
      server = await startSkiff({ dataDir: server.dataDir, datastore: store!.endpoint, extraArgs: serverArgs() });
      const afterRestart = await ok<List>('GET', `/api/v1/namespaces/${ns}/configmaps`);
      assert.deepEqual(afterRestart.items.map((i) => i.metadata.resourceVersion), before.items.map((i) => i.metadata.resourceVersion));
      const tooOld = await watchEvents(`/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=1`, (ev) => ev.length >= 1, 2000);
      assert.equal(tooOld[0]?.type, 'ERROR');
      assert.equal((tooOld[0]?.object as unknown as { code: number; reason: string }).code, 410);
      assert.equal((tooOld[0]?.object as unknown as { code: number; reason: string }).reason, 'Expired');
      const created = await ok('POST', `/api/v1/namespaces/${ns}/configmaps`, cm('after-restart'));
      assert.ok(Number(created.metadata.resourceVersion) > Number(before.metadata.resourceVersion), 'revisions continue');
    });

    it('stores core/v1 and events.k8s.io/v1 Events as one object, converted on the way', async () => {
      const written = await ok('POST', `/apis/events.k8s.io/v1/namespaces/${ns}/events`, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'ev1' },
        eventTime: '2026-11-22T10:00:00.000000Z',
        reportingController: 'skiff.io/test',
        reportingInstance: 'test-1',
        action: 'Testing',
        reason: 'Tested',
        type: 'Normal',
        note: 'hello from events.k8s.io',
        regarding: { kind: 'ConfigMap', namespace: ns, name: 'cas', apiVersion: 'v1' },
      });
      assert.equal(written.note, 'hello from events.k8s.io');
      const core = await ok('GET', `/api/v1/namespaces/${ns}/events/ev1`);
      assert.equal(core.apiVersion, 'v1');
      assert.equal(core.message, 'hello from events.k8s.io');
      assert.equal(core.reportingComponent, 'skiff.io/test');
      assert.deepEqual((core.involvedObject as { name: string }).name, 'cas');
      assert.equal(core.metadata.resourceVersion, written.metadata.resourceVersion);
      const byField = await ok<List>('GET', `/api/v1/namespaces/${ns}/events?fieldSelector=involvedObject.name%3Dcas`);
      assert.deepEqual(byField.items.map((e) => e.metadata.name), ['ev1']);
      await ok('PATCH', `/api/v1/namespaces/${ns}/events/ev1`, { message: 'changed through core' }, { 'Content-Type': 'application/merge-patch+json' });
      const back = await ok('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events/ev1`);
      assert.equal(back.note, 'changed through core');
      assert.equal(back.apiVersion, 'events.k8s.io/v1');
      const listed = await ok<List>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
      assert.ok(listed.items.some((e) => e.metadata.name === 'ev1' && e.note === 'changed through core'));
    });

    it('serves discovery, aggregated discovery, OpenAPI and Table', async () => {
      const agg = await server.request('GET', '/apis', undefined, { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
      assert.equal(agg.status, 200);
      assert.match(String(agg.headers['content-type']), /as=APIGroupDiscoveryList/);
      const groups = (JSON.parse(agg.body) as { items: { metadata: { name: string } }[] }).items.map((g) => g.metadata.name);
      for (const g of ['apps', 'batch', 'rbac.authorization.k8s.io', 'coordination.k8s.io']) assert.ok(groups.includes(g), g);
      const v3 = await ok<{ paths: Record<string, unknown> }>('GET', '/openapi/v3');
      assert.ok(v3.paths['api/v1'] && v3.paths['apis/apps/v1']);
      const table = await ok<{ kind: string; columnDefinitions: { name: string }[]; rows: unknown[] }>('GET', '/api/v1/namespaces', undefined, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
      assert.equal(table.kind, 'Table');
      assert.deepEqual(table.columnDefinitions.map((c) => c.name), ['Name', 'Status', 'Age']);
    });
  });
}
