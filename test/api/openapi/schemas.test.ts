// The generated component schemas: upstream names and shapes, descriptions, patch extensions,
// and references that all resolve.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { loadSchemas, type Schema } from '../../../src/api/openapi/index.js';
import { patchMeta } from '../../../src/api/openapi/patchmeta.js';
import { propertyOf, refPrefix, resolve } from '../../../src/api/openapi/schema.js';
import { builtinResources } from '../../../src/api/resources.js';

const schemas = loadSchemas();

function prop(definition: string, ...path: string[]): Schema {
  let s: Schema | undefined = schemas[definition];
  for (const [i, key] of path.entries()) {
    const p = propertyOf(schemas, s, key);
    assert.ok(p, `${definition}: no property ${path.slice(0, i + 1).join('.')}`);
    s = i === path.length - 1 ? p : (resolve(schemas, p)?.items ?? p);
  }
  return s as Schema;
}

function refsOf(s: Schema, out: string[] = []): string[] {
  if (s.$ref) out.push(s.$ref);
  for (const x of s.allOf ?? []) refsOf(x, out);
  for (const x of Object.values(s.properties ?? {})) refsOf(x, out);
  if (s.items) refsOf(s.items, out);
  if (typeof s.additionalProperties === 'object') refsOf(s.additionalProperties, out);
  return out;
}

describe('generated OpenAPI schemas', () => {
  it('holds every registered resource kind under its upstream definition name, with its GVK', () => {
    for (const r of builtinResources) {
      const s = schemas[r.definition];
      assert.ok(s, `missing ${r.definition}`);
      assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: r.group, version: r.version, kind: r.kind }], r.definition);
      if (r.kind === 'Binding') continue; // upstream has no BindingList
      assert.deepEqual(schemas[r.definition + 'List']?.['x-kubernetes-group-version-kind'], [{ group: r.group, version: r.version, kind: r.kind + 'List' }]);
    }
  });

  it('resolves every $ref to a definition', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(schemas)) {
      for (const r of refsOf(s)) {
        assert.ok(r.startsWith(refPrefix), `${name}: ${r}`);
        if (!schemas[r.slice(refPrefix.length)]) missing.push(`${name} → ${r}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('carries upstream descriptions on definitions and fields', () => {
    assert.match(schemas['io.k8s.api.core.v1.Pod']?.description ?? '', /^Pod is a collection of containers/);
    assert.match(prop('io.k8s.api.core.v1.Pod', 'spec', 'containers').description ?? '', /^List of containers belonging to the pod/);
    assert.match(prop('io.k8s.api.core.v1.Container', 'image').description ?? '', /Container image name/);
    // Paragraphs stay separated as upstream's are.
    assert.match(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity']?.description ?? '', /\n\n/);
  });

  it('wraps references the way upstream v3 does', () => {
    const spec = prop('io.k8s.api.core.v1.Pod', 'spec');
    assert.deepEqual(spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }]);
    assert.deepEqual(spec.default, {});
    const containers = prop('io.k8s.api.core.v1.PodSpec', 'containers');
    assert.equal(containers.type, 'array');
    assert.deepEqual(containers.items, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }], default: {} });
    const limits = prop('io.k8s.api.core.v1.ResourceRequirements', 'limits');
    assert.deepEqual(limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
    assert.deepEqual(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels').additionalProperties, { type: 'string', default: '' });
  });

  it('types scalars like upstream: Quantity, IntOrString, Time, integers', () => {
    const def = (n: string) => schemas[n] as Schema;
    assert.equal(def('io.k8s.apimachinery.pkg.api.resource.Quantity').type, 'string');
    assert.deepEqual([def('io.k8s.apimachinery.pkg.util.intstr.IntOrString').type, def('io.k8s.apimachinery.pkg.util.intstr.IntOrString').format], ['string', 'int-or-string']);
    assert.deepEqual([def('io.k8s.apimachinery.pkg.apis.meta.v1.Time').type, def('io.k8s.apimachinery.pkg.apis.meta.v1.Time').format], ['string', 'date-time']);
    assert.equal(def('io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime').format, 'date-time');
    assert.equal(def('io.k8s.apimachinery.pkg.runtime.RawExtension').type, 'object');
    assert.deepEqual(prop('io.k8s.api.core.v1.HTTPGetAction', 'port').allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
    assert.deepEqual([prop('io.k8s.api.core.v1.ContainerPort', 'containerPort').type, prop('io.k8s.api.core.v1.ContainerPort', 'containerPort').format], ['integer', 'int32']);
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'terminationGracePeriodSeconds').format, 'int64');
    assert.deepEqual(schemas['io.k8s.api.core.v1.Container']?.required, ['name']);
  });

  it('carries the patch extensions: containers by name, ports by containerPort, env by name', () => {
    const containers = prop('io.k8s.api.core.v1.Pod', 'spec', 'containers');
    assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(containers['x-kubernetes-list-type'], 'map');
    const ports = prop('io.k8s.api.core.v1.Pod', 'spec', 'containers', 'ports');
    assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
    assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
    assert.equal(prop('io.k8s.api.core.v1.Container', 'env')['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-list-type'], 'atomic');
    assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-patch-strategy'], undefined);
  });

  it('names only definitions and fields that exist in its patch facts table', () => {
    const wrong: string[] = [];
    for (const [definition, fields] of Object.entries(patchMeta)) {
      const props = schemas[definition]?.properties;
      if (!props) wrong.push(definition);
      else for (const f of Object.keys(fields)) if (!props[f]) wrong.push(`${definition}.${f}`);
    }
    assert.deepEqual(wrong, []);
  });
});
