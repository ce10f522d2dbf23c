// Bad input never crashes the server, never answers 5xx, and never changes stored state:
// random bytes, truncated objects, wrongly-typed fields and oversized bodies thrown at the write
// endpoints of every resource, checked with the store's revision before and after.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { builtinResources, groupVersion, type ResourceInfo } from '../../src/api/resources.js';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';

function collectionPath(r: ResourceInfo, ns: string): string {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  return r.namespaced ? `${base}/namespaces/${ns}/${r.plural}` : `${base}/${r.plural}`;
}

const writable = builtinResources.filter((r) => !(r.group === '' && r.kind === 'Binding'));

describe('bad input', () => {
  let server: SkiffServer;
  const ns = 'fuzz';

  before(async () => {
    // The API alone: no controller or scheduler writes that would move the store revision.
    server = await startSkiff({ extraArgs: ['--disable-controller-manager', '--disable-scheduler'] });
    const r = await server.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
    assert.equal(r.status, 201, r.body);
    // One existing object per resource family that updates and patches can aim at.
    const cm = await server.request('POST', `/api/v1/namespaces/${ns}/configmaps`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target' }, data: { a: 'b' } }));
    assert.equal(cm.status, 201, cm.body);
    const pod = await server.request('POST', `/api/v1/namespaces/${ns}/pods`, JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'target' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }));
    assert.equal(pod.status, 201, pod.body);
    const labels = { app: 'target' };
    const dep = await server.request(
      'POST',
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'target' }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } }),
    );
    assert.equal(dep.status, 201, dep.body);
  });
  after(async () => {
    await server?.stop();
  });

  const revision = async (): Promise<string> => {
    const r = await server.request('GET', '/api/v1/namespaces');
    assert.equal(r.status, 200);
    return (JSON.parse(r.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  };

  const expectRejected = async (method: string, path: string, body: string | Buffer, contentType: string) => {
    const r = await server.request(method, path, body, { 'Content-Type': contentType });
    assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} with ${JSON.stringify(String(body).slice(0, 80))} answered ${r.status}: ${r.body.slice(0, 300)}`);
    const status = JSON.parse(r.body) as { kind: string; status: string; code: number; reason: string };
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Failure');
    assert.equal(status.code, r.status);
  };

  it('rejects random and truncated bodies on every write endpoint without changing the store', async () => {
    const before = await revision();
    const validCm = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fuzzed', namespace: ns }, data: { k: 'v' } });
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }).filter((s) => !isJson(s)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)).filter((b) => !isJson(b.toString())),
      fc.integer({ min: 1, max: validCm.length - 1 }).map((n) => validCm.slice(0, n)),
      fc.constantFrom('[]', '1', '"x"', 'null', '{"kind":5}', '{"apiVersion":"v1","kind":"Wrong"}', '{"metadata":[]}'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writable), garbage, fc.constantFrom('POST', 'PUT', 'PATCH'), async (r, body, method) => {
        const path = collectionPath(r, ns) + (method === 'POST' ? '' : '/target');
        const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
        await expectRejected(method, path, body, type);
      }),
      { numRuns: 300 },
    );
    assert.equal(await revision(), before, 'no bad request changed the store');
  });

  it('rejects bad bodies on subresources and DELETE without changing the store', async () => {
    const before = await revision();
    const valid = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    // Malformed for every endpoint; objects with unknown fields are not (upstream ignores those).
    const garbage = fc.oneof(
      fc.string({ maxLength: 200 }).filter((s) => s.trim() !== '' && !isJson(s)),
      fc.integer({ min: 1, max: valid.length - 1 }).map((n) => valid.slice(0, n)),
      fc.constantFrom('[1]', '1', '"x"', '{"kind":5}'),
    );
    // Wrongly typed or unsupported DeleteOptions.
    const badDeleteOptions = fc.constantFrom('{"kind":"Pod"}', '{"gracePeriodSeconds":"soon"}', '{"propagationPolicy":"Sometimes"}', '{"propagationPolicy":7}', '{"preconditions":[]}');
    const endpoints: [string, string, string][] = [
      ['DELETE', `/api/v1/namespaces/${ns}/configmaps/target`, 'application/json'],
      ['DELETE', `/api/v1/namespaces/${ns}/configmaps`, 'application/json'],
      ['PUT', `/apis/apps/v1/namespaces/${ns}/deployments/target/scale`, 'application/json'],
      ['PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/target/scale`, 'application/merge-patch+json'],
      ['PUT', `/api/v1/namespaces/${ns}/pods/target/status`, 'application/json'],
      ['PATCH', `/api/v1/namespaces/${ns}/pods/target/status`, 'application/strategic-merge-patch+json'],
      ['PATCH', `/api/v1/namespaces/${ns}/configmaps/target`, 'application/json-patch+json'],
      ['POST', `/api/v1/namespaces/${ns}/pods/target/binding`, 'application/json'],
      ['POST', `/api/v1/namespaces/${ns}/pods/target/eviction`, 'application/json'],
      ['PUT', `/api/v1/namespaces/${ns}/finalize`, 'application/json'],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), garbage, badDeleteOptions, fc.boolean(), async ([method, path, type], body, options, useOptions) => {
        await expectRejected(method, path, method === 'DELETE' && useOptions ? options : body, type);
      }),
      { numRuns: 300 },
    );
    assert.equal(await revision(), before, 'no bad request changed the store');
  });

  it('answers random query parameters on reads with 2xx or 4xx, never 5xx', async () => {
    const params = ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'resourceVersionMatch', 'timeoutSeconds', 'includeObject', 'dryRun', 'fieldValidation'];
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('0', '-1', '1', '99999999999999999999', 'a=b', 'a in (x', '!', 'metadata.name=x', 'spec.nodeName!=', 'Exact', 'NotOlderThan', 'None', 'Object', 'All', 'Strict'),
    );
    const target = fc.constantFrom(
      `/api/v1/namespaces/${ns}/configmaps`,
      `/api/v1/namespaces/${ns}/configmaps/target`,
      `/api/v1/pods`,
      `/apis/apps/v1/namespaces/${ns}/deployments/target/scale`,
      `/api/v1/events`,
    );
    await fc.assert(
      fc.asyncProperty(target, fc.dictionary(fc.constantFrom(...params), value, { maxKeys: 4 }), fc.constantFrom('application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io'), async (path, query, accept) => {
        const qs = new URLSearchParams(query).toString();
        const r = await server.request('GET', `${path}?${qs}`, undefined, { Accept: accept });
        // 504 is upstream's answer to a resourceVersion the store has not reached (after 3 s).
        const tooNew = r.status === 504 && r.body.includes('Too large resource version');
        assert.ok(r.status < 500 || tooNew, `GET ${path}?${qs} answered ${r.status}: ${r.body.slice(0, 300)}`);
        if (r.status >= 400) assert.equal((JSON.parse(r.body) as { kind: string }).kind, 'Status');
      }),
      { numRuns: 300 },
    );
  });

  it('rejects wrongly typed fields with 400 or 422', async () => {
    const before = await revision();
    const bodies = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 5 } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { 'bad key!': 'v' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { k: 5 } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: 'nope' } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 70000 }] }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 'eighty' }] } },
    ];
    for (const b of bodies) {
      const path = `/api/v1/namespaces/${ns}/${b.kind === 'Pod' ? 'pods' : b.kind === 'Service' ? 'services' : 'configmaps'}`;
      await expectRejected('POST', path, JSON.stringify(b), 'application/json');
    }
    assert.equal(await revision(), before);
  });

  it('answers 413 for bodies over 3 MiB, 404 for unknown resources and missing objects, 409 for stale updates', async () => {
    const before = await revision();
    const huge = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    const r413 = await server.request('POST', `/api/v1/namespaces/${ns}/configmaps`, huge);
    assert.equal(r413.status, 413);
    assert.equal((JSON.parse(r413.body) as { reason: string }).reason, 'RequestEntityTooLarge');

    const r404 = await server.request('GET', '/api/v1/namespaces/fuzz/widgets');
    assert.equal(r404.status, 404);
    const missing = await server.request('DELETE', `/api/v1/namespaces/${ns}/configmaps/missing`);
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body) as { message: string }).message, 'configmaps "missing" not found');

    const cur = JSON.parse((await server.request('GET', `/api/v1/namespaces/${ns}/configmaps/target`)).body) as { metadata: { resourceVersion: string } };
    const stale = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'target', resourceVersion: String(Number(cur.metadata.resourceVersion) - 1) }, data: { a: 'c' } };
    const r409 = await server.request('PUT', `/api/v1/namespaces/${ns}/configmaps/target`, JSON.stringify(stale));
    assert.equal(r409.status, 409);
    assert.match((JSON.parse(r409.body) as { message: string }).message, /the object has been modified; please apply your changes to the latest version and try again/);
    assert.equal(await revision(), before);
    const ready = await server.request('GET', '/readyz');
    assert.equal(ready.status, 200);
  });
});

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
