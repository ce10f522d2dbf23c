// Unknown-field detection (fieldValidation=Strict|Warn) and pruning (the lenient modes).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pruneUnknownFields, unknownFields } from '../../../src/api/openapi/index.js';

const pod = 'io.k8s.api.core.v1.Pod';

describe('unknownFields', () => {
  const cases: { name: string; definition?: string; obj: unknown; want: string[] }[] = [
    {
      name: 'a valid pod has none',
      obj: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', labels: { app: 'x' }, annotations: { 'a/b': 'c' }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'n', uid: 'u' }] },
        spec: {
          containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, livenessProbe: { httpGet: { port: 'http' } } }],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
        },
        status: { phase: 'Running' },
      },
      want: [],
    },
    { name: 'a typo in a container', obj: { spec: { containers: [{ name: 'c', imagee: 'x' }, { name: 'd', image: 'y', portz: [] }] } }, want: ['spec.containers[0].imagee', 'spec.containers[1].portz'] },
    { name: 'top-level and spec typos', obj: { spce: {}, spec: { foo: 1, containers: [] } }, want: ['spce', 'spec.foo'] },
    { name: 'metadata is checked as ObjectMeta', obj: { metadata: { name: 'x', lables: {} } }, want: ['metadata.lables'] },
    { name: 'map keys are free (labels, resources)', obj: { metadata: { labels: { anything: 'goes' } }, spec: { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] } }, want: [] },
    {
      name: 'items of nested lists are checked through references',
      definition: 'io.k8s.api.apps.v1.Deployment',
      obj: { spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'A', valu: '1' }] }] } } } },
      want: ['spec.template.spec.containers[0].env[0].valu'],
    },
    {
      name: 'RawExtension and FieldsV1 content is free-form',
      definition: 'io.k8s.api.apps.v1.ControllerRevision',
      obj: { data: { whatever: { deep: true } }, metadata: { managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': {} } }] } },
      want: [],
    },
    { name: 'unknown definitions have no unknown fields', definition: 'io.k8s.api.nope.v1.Thing', obj: { a: 1 }, want: [] },
    { name: 'wrong value types are not unknown fields', obj: { spec: 'nonsense', metadata: [1] }, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(unknownFields(c.definition ?? pod, c.obj), c.want));
  }

  it('pruneUnknownFields removes them in place and reports them', () => {
    const obj = { kind: 'Pod', bogus: 1, spec: { containers: [{ name: 'c', imagee: 'x', image: 'y' }] } };
    assert.deepEqual(pruneUnknownFields(pod, obj), ['bogus', 'spec.containers[0].imagee']);
    assert.deepEqual(obj, { kind: 'Pod', spec: { containers: [{ name: 'c', image: 'y' }] } });
    assert.deepEqual(unknownFields(pod, obj), []);
  });
});
