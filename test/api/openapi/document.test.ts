// The /openapi/v3 index and per-group-version documents, and the /openapi/v2 document.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  groupVersionOfOpenapiPath,
  openapiV2Document,
  openapiV3Discovery,
  openapiV3Document,
  openapiV3Path,
} from '../../../src/api/openapi/index.js';
import { builtinResources } from '../../../src/api/resources.js';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; 'x-kubernetes-group-version-kind'?: object; 'x-kubernetes-action'?: string }>>;
  components: { schemas: Record<string, { 'x-kubernetes-group-version-kind'?: object[] }> };
}

function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refs(x, out);
    }
  }
  return out;
}

const v1 = (): Doc => JSON.parse(openapiV3Document('v1', builtinResources).body) as Doc;

describe('OpenAPI v3 documents', () => {
  it('maps group-versions to index paths and back', () => {
    assert.equal(openapiV3Path('v1'), 'api/v1');
    assert.equal(openapiV3Path('apps/v1'), 'apis/apps/v1');
    assert.equal(groupVersionOfOpenapiPath('/openapi/v3/apis/rbac.authorization.k8s.io/v1'), 'rbac.authorization.k8s.io/v1');
    assert.equal(groupVersionOfOpenapiPath('/openapi/v3/api/v1'), 'v1');
    assert.equal(groupVersionOfOpenapiPath('/openapi/v3/apis/apps'), undefined);
  });

  it('lists each group-version with the hash of its document', () => {
    const index = openapiV3Discovery(['v1', 'apps/v1']) as { paths: Record<string, { serverRelativeURL: string }> };
    assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/apps/v1']);
    const { hash } = openapiV3Document('apps/v1', builtinResources);
    assert.match(hash, /^[0-9A-F]{128}$/);
    assert.equal(index.paths['apis/apps/v1']?.serverRelativeURL, `/openapi/v3/apis/apps/v1?hash=${hash}`);
  });

  it('is computed once and is stable', () => {
    const a = openapiV3Document('v1', builtinResources);
    assert.equal(openapiV3Document('v1', builtinResources), a);
    assert.notEqual(openapiV3Document('apps/v1', builtinResources).hash, a.hash);
  });

  it('documents the PATCH operation with fieldValidation and the kind (what kubectl checks)', () => {
    const patch = v1().paths['/api/v1/namespaces/{namespace}/pods/{name}']?.patch;
    assert.ok(patch);
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Pod' });
    assert.equal(patch['x-kubernetes-action'], 'patch');
    const names = (patch.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    for (const n of ['dryRun', 'fieldManager', 'fieldValidation', 'force']) assert.ok(names.includes(n), n);
  });

  it('has the resource paths of the group-version only', () => {
    const paths = Object.keys(v1().paths);
    for (const p of ['/api/v1/pods', '/api/v1/namespaces/{namespace}/pods', '/api/v1/namespaces/{namespace}/pods/{name}/status', '/api/v1/namespaces/{namespace}/pods/{name}/binding', '/api/v1/nodes/{name}', '/api/v1/namespaces/{namespace}/bindings']) {
      assert.ok(paths.includes(p), p);
    }
    assert.ok(!paths.some((p) => p.startsWith('/apis/')));
    const apps = JSON.parse(openapiV3Document('apps/v1', builtinResources).body) as Doc;
    const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']?.get;
    assert.deepEqual(scale?.['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  });

  it('contains every definition it references, and the kinds with their GVKs', () => {
    for (const gv of ['v1', 'apps/v1', 'rbac.authorization.k8s.io/v1']) {
      const doc = JSON.parse(openapiV3Document(gv, builtinResources).body) as Doc;
      assert.equal(doc.openapi, '3.0.0');
      const missing = refs(doc).filter((r) => !doc.components.schemas[r.replace('#/components/schemas/', '')]);
      assert.deepEqual(missing, [], gv);
    }
    const schemas = v1().components.schemas;
    assert.deepEqual(schemas['io.k8s.api.core.v1.Pod']?.['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.ok(schemas['io.k8s.api.core.v1.PodList']);
    assert.ok(!schemas['io.k8s.api.apps.v1.Deployment'], 'other groups stay out');
  });
});

describe('OpenAPI v2 document', () => {
  it('uses v2 references that all resolve, and keeps the GVKs', () => {
    const doc = JSON.parse(openapiV2Document(builtinResources).json) as { swagger: string; definitions: Record<string, Record<string, unknown>> };
    assert.equal(doc.swagger, '2.0');
    const all = refs(doc);
    assert.ok(all.length > 100);
    assert.deepEqual(all.filter((r) => !r.startsWith('#/definitions/') || !doc.definitions[r.slice('#/definitions/'.length)]), []);
    assert.deepEqual(doc.definitions['io.k8s.api.apps.v1.Deployment']?.['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const containers = (doc.definitions['io.k8s.api.core.v1.PodSpec']?.properties as Record<string, Record<string, unknown>>).containers;
    assert.deepEqual(containers?.items, { $ref: '#/definitions/io.k8s.api.core.v1.Container' });
    assert.equal(containers?.['x-kubernetes-patch-merge-key'], 'name');
  });

  it('encodes the protobuf form, starting with swagger: "2.0"', () => {
    const { protobuf, etag } = openapiV2Document(builtinResources);
    assert.deepEqual([...protobuf.subarray(0, 5)], [0x0a, 3, 0x32, 0x2e, 0x30]);
    assert.ok(protobuf.includes(Buffer.from('io.k8s.api.core.v1.PodSpec')));
    assert.match(etag, /^"[0-9A-F]+"$/);
  });
});
