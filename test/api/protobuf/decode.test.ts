// Hand-encoded objects of the kinds kubectl sends as protobuf, decoded to the exact JSON upstream
// prints for them: presence rules, leaf types (Quantity, IntOrString, Time, bytes) and inlining.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sProtobuf } from '../../../src/api/protobuf/index.js';
import { envelope, message, objectMeta, timestamp, type Msg } from './proto-writer.js';

const decode = (apiVersion: string, kind: string, build: (m: Msg) => void) => decodeK8sProtobuf(envelope(apiVersion, kind, message(build)));

test('Namespace: empty creationTimestamp prints null, zero non-pointer scalars are omitted, empty structs print {}', () => {
  const got = decode('v1', 'Namespace', (m) => m.msg(1, (md) => objectMeta(md, 'x')).msg(2).msg(3));
  assert.deepEqual(got, { kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'x', creationTimestamp: null }, spec: {}, status: {} });
});

test('ConfigMap: data as an object, binaryData base64, a present pointer false is kept', () => {
  const got = decode('v1', 'ConfigMap', (m) =>
    m
      .msg(1, (md) => objectMeta(md, 'cm', 'ns', { app: 'x' }))
      .varint(4, false)
      .entry(2, 'a', 'b')
      .entry(2, 'c', '')
      .entry(3, 'bin', Buffer.from([0, 1, 254, 255])),
  );
  assert.deepEqual(got, {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: { name: 'cm', namespace: 'ns', labels: { app: 'x' }, creationTimestamp: null },
    immutable: false,
    data: { a: 'b', c: '' },
    binaryData: { bin: 'AAH+/w==' },
  });
});

test('Secret: map<string,bytes> values are base64, stringData stays text', () => {
  const got = decode('v1', 'Secret', (m) =>
    m.msg(1, (md) => objectMeta(md, 's', 'ns')).entry(2, 'k', 'v').entry(2, '__proto__', 'p').entry(4, 'plain', 'text').string(3, 'Opaque'),
  );
  assert.deepEqual(got.data, JSON.parse('{"k":"dg==","__proto__":"cA=="}'));
  assert.equal(Object.getPrototypeOf(got.data), Object.prototype, 'a "__proto__" key must not change the prototype');
  assert.deepEqual(got.stringData, { plain: 'text' });
  assert.equal(got.type, 'Opaque');
});

test('Deployment: pointer zero replicas, pod template with containers, ports, env, resources', () => {
  const got = decode('apps/v1', 'Deployment', (m) =>
    m
      .msg(1, (md) => objectMeta(md, 'web', 'default', { app: 'web' }))
      .msg(2, (s) =>
        s
          .varint(1, 0)
          .msg(2, (sel) => sel.entry(1, 'app', 'web'))
          .msg(3, (t) =>
            t
              .msg(1, (md) => objectMeta(md, '', '', { app: 'web' }))
              .msg(2, (ps) =>
                ps
                  .msg(2, (c) =>
                    c
                      .string(1, 'web')
                      .string(2, 'nginx')
                      .msg(6, (p) => p.string(1, '').varint(2, 0).varint(3, 80).string(4, 'TCP').string(5, ''))
                      .msg(7, (e) => e.string(1, 'A').string(2, '1'))
                      .msg(7, (e) => e.string(1, 'B').string(2, '').msg(3, (vf) => vf.msg(1, (fr) => fr.string(1, 'v1').string(2, 'metadata.name'))))
                      .msg(8, (r) => r.entryMsg(1, 'cpu', (q) => q.string(1, '500m')).entryMsg(2, 'memory', (q) => q.string(1, '64Mi')))
                      .msg(15, (sc) => sc.varint(4, 0).varint(6, false))
                      .string(13, '')
                      .string(14, '')
                      .varint(16, false),
                  )
                  .string(3, '')
                  .string(6, '')
                  .varint(11, false),
              ),
          )
          .msg(4)
          .varint(5, 0)
          .varint(7, false),
      )
      .msg(3),
  );
  assert.deepEqual(got, {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, creationTimestamp: null },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' }, creationTimestamp: null },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              ],
              resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
              securityContext: { runAsUser: 0, readOnlyRootFilesystem: false },
            },
          ],
        },
      },
      strategy: {},
    },
    status: {},
  });
});

test('Eviction with deleteOptions: pointer zero grace period, preconditions, dryRun', () => {
  const got = decode('policy/v1', 'Eviction', (m) =>
    m.msg(1, (md) => objectMeta(md, 'p', 'ns')).msg(2, (d) => d.varint(1, 0).msg(2, (p) => p.string(1, 'u1')).string(5, 'All')),
  );
  assert.deepEqual(got, {
    kind: 'Eviction',
    apiVersion: 'policy/v1',
    metadata: { name: 'p', namespace: 'ns', creationTimestamp: null },
    deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u1' }, dryRun: ['All'] },
  });
});

test('Service: IntOrString targetPort as number and as string; a zero port is printed (no omitempty)', () => {
  const got = decode('v1', 'Service', (m) =>
    m
      .msg(1, (md) => objectMeta(md, 'svc', 'ns'))
      .msg(2, (s) =>
        s
          .msg(1, (p) => p.string(1, 'http').string(2, 'TCP').varint(3, 80).msg(4, (t) => t.varint(1, 0).varint(2, 8080).string(3, '')).varint(5, 0))
          .msg(1, (p) => p.string(1, 'named').varint(3, 0).msg(4, (t) => t.varint(1, 1).varint(2, 0).string(3, 'https')))
          .entry(2, 'app', 'web')
          .string(3, '')
          .string(4, 'ClusterIP'),
      )
      .msg(3, (st) => st.msg(1)),
  );
  assert.deepEqual(got.spec, {
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'named', port: 0, targetPort: 'https' },
    ],
    selector: { app: 'web' },
    type: 'ClusterIP',
  });
  assert.deepEqual(got.status, { loadBalancer: {} });
});

test('Pod: inlined volume sources, key selectors and probe handlers; packed and unpacked int64 lists', () => {
  const got = decode('v1', 'Pod', (m) =>
    m.msg(1, (md) => objectMeta(md, 'p', 'ns')).msg(2, (ps) =>
      ps
        .msg(1, (v) => v.string(1, 'cfg').msg(2, (vs) => vs.msg(19, (cm) => cm.msg(1, (l) => l.string(1, 'cm')).varint(3, 420))))
        .msg(1, (v) => v.string(1, 'scratch').msg(2, (vs) => vs.msg(2)))
        .msg(2, (c) =>
          c
            .string(1, 'app')
            .msg(7, (e) => e.string(1, 'K').msg(3, (vf) => vf.msg(3, (k) => k.msg(1, (l) => l.string(1, 'cm')).string(2, 'key'))))
            .msg(11, (p) => p.msg(1, (h) => h.msg(2, (g) => g.string(1, '/healthz').msg(2, (t) => t.varint(2, 8080)))).varint(4, 10)),
        )
        .msg(14, (sc) => sc.bytes(4, Buffer.from([1, 2])).varint(4, 3)),
    ),
  );
  const spec = got.spec as Record<string, unknown>;
  assert.deepEqual(spec.volumes, [
    { name: 'cfg', configMap: { name: 'cm', defaultMode: 420 } },
    { name: 'scratch', emptyDir: {} },
  ]);
  assert.deepEqual(spec.containers, [
    {
      name: 'app',
      env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key' } } }],
      readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 },
    },
  ]);
  assert.deepEqual(spec.securityContext, { supplementalGroups: [1, 2, 3] });
});

test('Event: Time drops nanoseconds, MicroTime keeps six digits, Go zero time prints null, non-omitempty strings print ""', () => {
  const s = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
  const got = decode('v1', 'Event', (m) =>
    m
      .msg(1, (md) => objectMeta(md, 'e', 'ns'))
      .msg(2, (o) => o.string(1, 'Pod').string(3, 'p'))
      .msg(6, timestamp(s, 999_999_999))
      .msg(7, timestamp(-62135596800))
      .msg(10, timestamp(s, 123_456_789))
      .varint(8, 0),
  );
  assert.equal(got.firstTimestamp, '2024-01-02T03:04:05Z');
  assert.equal(got.lastTimestamp, null);
  assert.equal(got.eventTime, '2024-01-02T03:04:05.123456Z');
  assert.deepEqual(got.involvedObject, { kind: 'Pod', name: 'p' });
  assert.equal(got.reportingComponent, '');
  assert.equal(got.reportingInstance, '');
  assert.equal('count' in got, false);
  assert.equal('source' in got, false, 'a struct absent from the wire is not invented');
});

test('PriorityClass value 0 and Role without rules print as Go does (0 and null)', () => {
  const pc = decode('scheduling.k8s.io/v1', 'PriorityClass', (m) => m.msg(1, (md) => objectMeta(md, 'pc')).varint(2, 0).varint(3, false));
  assert.deepEqual(pc, { kind: 'PriorityClass', apiVersion: 'scheduling.k8s.io/v1', metadata: { name: 'pc', creationTimestamp: null }, value: 0 });
  const role = decode('rbac.authorization.k8s.io/v1', 'Role', (m) => m.msg(1, (md) => objectMeta(md, 'r', 'ns')));
  assert.equal(role.rules, null);
});

test('RawExtension and FieldsV1 carry JSON; a Time-valued map; PVC keeps an explicit empty storageClassName', () => {
  const cr = decode('apps/v1', 'ControllerRevision', (m) =>
    m
      .msg(1, (md) => {
        objectMeta(md, 'rev', 'ns');
        md.msg(17, (f) => f.string(1, 'kubectl').string(2, 'Update').string(3, 'apps/v1').msg(4, timestamp(0)).string(6, 'FieldsV1').msg(7, (r) => r.bytes(1, '{"f:data":{}}')));
      })
      .msg(2, (r) => r.bytes(1, '{"spec":{"x":[1,2]}}'))
      .varint(3, 0),
  );
  assert.deepEqual((cr.metadata as { managedFields: unknown }).managedFields, [
    { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: '1970-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
  ]);
  assert.deepEqual(cr.data, { spec: { x: [1, 2] } });
  assert.equal(cr.revision, 0);

  const pdb = decode('policy/v1', 'PodDisruptionBudget', (m) => m.msg(3, (st) => st.entryMsg(2, 'pod-a', timestamp(86400))));
  assert.deepEqual((pdb.status as Record<string, unknown>).disruptedPods, { 'pod-a': '1970-01-02T00:00:00Z' });
  assert.equal((pdb.status as Record<string, unknown>).currentHealthy, 0);

  const pvc = decode('v1', 'PersistentVolumeClaim', (m) => m.msg(2, (s) => s.string(5, '').string(3, '')));
  assert.deepEqual(pvc.spec, { storageClassName: '' });
});
