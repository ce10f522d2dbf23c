// Strategic merge patch: upstream's semantics, driven by the schemas' patch extensions.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { StatusError } from '../../../src/api/errors.js';
import { applyStrategicMergePatch } from '../../../src/api/patch/strategic.js';

type Obj = Record<string, unknown>;

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

/** A pod fixture: `pod().containers(...).obj()`. */
function pod() {
  const p: { metadata: Obj; spec: Obj & { containers: Obj[] }; status?: Obj } = {
    metadata: { name: 'p', namespace: 'default', labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
    spec: { containers: [] },
  };
  const b = {
    containers: (...cs: Obj[]) => ((p.spec.containers = cs), b),
    spec: (s: Obj) => (Object.assign(p.spec, s), b),
    status: (s: Obj) => ((p.status = s), b),
    obj: () => structuredClone(p) as Obj,
  };
  return b;
}
const c = (name: string, extra: Obj = {}): Obj => ({ name, image: `${name}:1`, ...extra });
const names = (o: unknown): unknown => ((o as { spec: { containers: Obj[] } }).spec.containers ?? []).map((x) => x.name);

interface Case {
  name: string;
  doc: Obj;
  patch: Obj;
  definition?: string;
  /** Checks the result (a partial shape or a function). */
  want: (got: Obj) => void;
}

const spec = (got: Obj) => got.spec as Obj;
const containers = (got: Obj) => spec(got).containers as Obj[];

const cases: Case[] = [
  {
    name: 'containers merge by name: a changed image keeps the other containers',
    doc: pod().containers(c('a'), c('b')).obj(),
    patch: { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
    want: (got) => assert.deepEqual(containers(got), [c('a'), c('b', { image: 'b:2' })]),
  },
  {
    name: 'a new container comes before server-only ones, as upstream orders it',
    doc: pod().containers(c('a'), c('b')).obj(),
    patch: { spec: { containers: [c('n')] } },
    want: (got) => assert.deepEqual(names(got), ['n', 'a', 'b']),
  },
  {
    name: 'ports merge by containerPort',
    doc: pod().containers(c('a', { ports: [{ containerPort: 80, name: 'http' }, { containerPort: 9090 }] })).obj(),
    patch: { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 443 }] }] } },
    want: (got) =>
      assert.deepEqual(containers(got)[0]?.ports, [{ containerPort: 80, name: 'http', hostPort: 8080 }, { containerPort: 443 }, { containerPort: 9090 }]),
  },
  {
    name: 'env merges by name',
    doc: pod().containers(c('a', { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] })).obj(),
    patch: { spec: { containers: [{ name: 'a', env: [{ name: 'B', value: '3' }] }] } },
    want: (got) => assert.deepEqual(containers(got)[0]?.env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }]),
  },
  {
    name: 'volumes merge by name, and $retainKeys swaps the volume source',
    doc: pod().spec({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'cm' } }] }).obj(),
    patch: { spec: { volumes: [{ name: 'data', hostPath: { path: '/srv' }, $retainKeys: ['hostPath', 'name'] }] } },
    want: (got) => assert.deepEqual(spec(got).volumes, [{ name: 'data', hostPath: { path: '/srv' } }, { name: 'cfg', configMap: { name: 'cm' } }]),
  },
  {
    name: '$patch: delete removes a container',
    doc: pod().containers(c('a'), c('b'), c('c')).obj(),
    patch: { spec: { containers: [{ name: 'b', $patch: 'delete' }] } },
    want: (got) => assert.deepEqual(names(got), ['a', 'c']),
  },
  {
    name: '$patch: replace in a list element replaces the whole list',
    doc: pod().containers(c('a'), c('b')).obj(),
    patch: { spec: { containers: [{ $patch: 'replace' }, c('z')] } },
    want: (got) => assert.deepEqual(containers(got), [c('z')]),
  },
  {
    name: '$patch: replace of a map replaces it',
    doc: pod().obj(),
    patch: { metadata: { labels: { $patch: 'replace', only: 'this' } } },
    want: (got) => assert.deepEqual((got.metadata as Obj).labels, { only: 'this' }),
  },
  {
    name: '$patch: delete of a map empties it, as upstream does',
    doc: pod().obj(),
    patch: { metadata: { labels: { $patch: 'delete' } } },
    want: (got) => assert.deepEqual((got.metadata as Obj).labels, {}),
  },
  {
    name: '$setElementOrder reorders a list without changing its items',
    doc: pod().containers(c('a'), c('b'), c('c')).obj(),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] } },
    want: (got) => assert.deepEqual(containers(got), [c('c'), c('a'), c('b')]),
  },
  {
    name: '$setElementOrder places a new item where the client put it',
    doc: pod().containers(c('a'), c('b')).obj(),
    patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }, { name: 'b' }], containers: [c('n')] } },
    want: (got) => assert.deepEqual(names(got), ['a', 'n', 'b']),
  },
  {
    name: '$setElementOrder orders a primitive list with merge strategy',
    doc: pod().obj(),
    patch: { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] } },
    want: (got) => assert.deepEqual((got.metadata as Obj).finalizers, ['c', 'b', 'a']),
  },
  {
    name: '$retainKeys on the deployment strategy clears rollingUpdate',
    definition: DEPLOYMENT,
    doc: { spec: { replicas: 1, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: (got) => assert.deepEqual(got, { spec: { replicas: 1, strategy: { type: 'Recreate' } } }),
  },
  {
    name: '$deleteFromPrimitiveList/finalizers removes values',
    doc: pod().obj(),
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'zzz'] } },
    want: (got) => assert.deepEqual((got.metadata as Obj).finalizers, ['b']),
  },
  {
    name: 'finalizers merge as a set',
    doc: pod().obj(),
    patch: { metadata: { finalizers: ['b', 'c'] } },
    want: (got) => assert.deepEqual((got.metadata as Obj).finalizers, ['a', 'b', 'c']),
  },
  {
    name: 'null deletes a field, in maps and structs',
    doc: pod().spec({ nodeSelector: { disk: 'ssd' } }).obj(),
    patch: { metadata: { labels: { tier: null } }, spec: { nodeSelector: null } },
    want: (got) => {
      assert.deepEqual((got.metadata as Obj).labels, { app: 'web' });
      assert.ok(!('nodeSelector' in spec(got)));
    },
  },
  {
    name: 'lists without a merge strategy are replaced whole (tolerations, args)',
    doc: pod().containers(c('a', { args: ['x', 'y'] })).spec({ tolerations: [{ key: 'k1' }, { key: 'k2' }] }).obj(),
    patch: { spec: { tolerations: [{ key: 'k3' }], containers: [{ name: 'a', args: ['z'] }] } },
    want: (got) => {
      assert.deepEqual(spec(got).tolerations, [{ key: 'k3' }]);
      assert.deepEqual(containers(got)[0]?.args, ['z']);
    },
  },
  {
    name: 'status conditions merge by type (how the kubelet patches them)',
    doc: pod().status({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False' }] }).obj(),
    patch: { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
    want: (got) => assert.deepEqual(got.status, { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }] }),
  },
  {
    name: 'a new map is taken from the patch without its nulls and directives',
    doc: pod().obj(),
    patch: { spec: { securityContext: { runAsUser: 1000, fsGroup: null }, dnsConfig: { $patch: 'replace', nameservers: ['1.1.1.1'] } } },
    want: (got) => {
      assert.deepEqual(spec(got).securityContext, { runAsUser: 1000 });
      assert.deepEqual(spec(got).dnsConfig, { nameservers: ['1.1.1.1'] });
    },
  },
  {
    name: 'without a known schema maps merge and lists are replaced',
    definition: 'io.example.v1.Unknown',
    doc: { a: { b: 1, l: [1, 2] } },
    patch: { a: { c: 2, l: [3] } },
    want: (got) => assert.deepEqual(got, { a: { b: 1, c: 2, l: [3] } }),
  },
  {
    name: 'fields of the schema that start with $ are fields, not directives',
    definition: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps',
    doc: { type: 'object' },
    patch: { $ref: '#/definitions/x' },
    want: (got) => assert.deepEqual(got, { type: 'object', $ref: '#/definitions/x' }),
  },
];

describe('applyStrategicMergePatch', () => {
  for (const t of cases) {
    it(t.name, () => {
      const doc = structuredClone(t.doc);
      const patch = structuredClone(t.patch);
      t.want(applyStrategicMergePatch(doc, patch, t.definition ?? POD) as Obj);
      assert.deepEqual(doc, t.doc, 'the document is not modified');
      assert.deepEqual(patch, t.patch, 'the patch is not modified');
    });
  }

  it('is idempotent for merges by key (a retried patch gives the same object)', () => {
    const patch = { spec: { containers: [{ name: 'a', image: 'a:2', env: [{ name: 'X', value: '1' }] }] } };
    const once = applyStrategicMergePatch(pod().containers(c('a'), c('b')).obj(), patch, POD);
    assert.deepEqual(applyStrategicMergePatch(once, patch, POD), once);
  });

  const bad: { name: string; patch: unknown; code: number; message: RegExp }[] = [
    { name: 'an unknown $patch value', patch: { metadata: { labels: { $patch: 'bogus' } } }, code: 400, message: /^unknown patch type: bogus in map: map\[\$patch:bogus\]$/ },
    { name: 'an unknown $patch value in a list item', patch: { spec: { containers: [{ name: 'a', $patch: 'bogus' }] } }, code: 400, message: /^unknown patch type: bogus in map: / },
    { name: '$patch: merge in a list', patch: { spec: { containers: [{ $patch: 'merge' }] } }, code: 400, message: /^merging lists cannot yet be specified in the patch$/ },
    { name: 'an unknown directive', patch: { spec: { $frobnicate: 1 } }, code: 400, message: /unknown patch directive: \$frobnicate/ },
    { name: 'a field missing from $retainKeys', patch: { spec: { $retainKeys: ['hostname'], subdomain: 'x' } }, code: 400, message: /^invalid patch format of retainKeys$/ },
    { name: '$retainKeys that is not a list', patch: { spec: { $retainKeys: 'x' } }, code: 400, message: /^invalid patch format of retainKeys$/ },
    { name: '$deleteFromPrimitiveList that is not a list', patch: { metadata: { '$deleteFromPrimitiveList/finalizers': 'a' } }, code: 400, message: /^invalid patch format of primitive list$/ },
    {
      name: '$setElementOrder contradicting the patch list',
      patch: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b' }, { name: 'a' }] } },
      code: 400,
      message: /^The order in patch list:\n.*\n doesn't match \$setElementOrder list:/,
    },
    { name: 'a list item without its merge key', patch: { spec: { containers: [{ image: 'x' }] } }, code: 400, message: /^map: map\[image:x\] does not contain declared merge key: name$/ },
    { name: 'a patch that is not an object', patch: [1], code: 400, message: /^json: cannot unmarshal array into Go value of type map\[string\]interface \{\}$/ },
  ];
  for (const b of bad) {
    it(`${b.name} is an error`, () => {
      assert.throws(
        () => applyStrategicMergePatch(pod().containers(c('a')).obj(), b.patch, POD),
        (e: unknown) => {
          assert.ok(e instanceof StatusError, String(e));
          assert.equal(e.code, b.code);
          assert.equal(e.reason, 'BadRequest');
          assert.match(e.message, b.message);
          return true;
        },
      );
    });
  }
});
