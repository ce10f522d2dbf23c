import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinResources } from '../../../src/api/resources.js';
import { printerFor, toTable } from '../../../src/apiserver/table/index.js';
import { DAY, HOUR, MIN, NOW, ago, cells, headers } from './fixtures.js';

describe('config tables', () => {
  it('prints configmaps, secrets and service accounts', () => {
    assert.deepEqual(headers('', 'ConfigMap'), ['NAME', 'DATA', 'AGE']);
    assert.deepEqual(cells('', 'ConfigMap', { metadata: { name: 'c', creationTimestamp: ago(MIN) }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['c', 3, '60s']);
    assert.deepEqual(headers('', 'Secret'), ['NAME', 'TYPE', 'DATA', 'AGE']);
    assert.deepEqual(cells('', 'Secret', { metadata: { name: 's', creationTimestamp: ago(MIN) }, type: 'Opaque', data: { a: 'MQ==' }, stringData: { a: 'x', b: 'y' } }), ['s', 'Opaque', 2, '60s']);
    assert.deepEqual(headers('', 'ServiceAccount'), ['NAME', 'SECRETS', 'AGE']);
    assert.deepEqual(cells('', 'ServiceAccount', { metadata: { name: 'default', creationTimestamp: ago(DAY) } }), ['default', 0, '24h']);
  });
});

describe('storage tables', () => {
  it('prints persistent volumes', () => {
    assert.deepEqual(headers('', 'PersistentVolume'), [
      'NAME',
      'CAPACITY',
      'ACCESS MODES',
      'RECLAIM POLICY',
      'STATUS',
      'CLAIM',
      'STORAGECLASS',
      'VOLUMEATTRIBUTESCLASS',
      'REASON',
      'AGE',
      'VOLUMEMODE*',
    ]);
    const pv = {
      metadata: { name: 'pv1', creationTimestamp: ago(HOUR) },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        claimRef: { namespace: 'default', name: 'data' },
        storageClassName: 'local-path',
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound' },
    };
    assert.deepEqual(cells('', 'PersistentVolume', pv), ['pv1', '10Gi', 'RWO,RWX', 'Retain', 'Bound', 'default/data', 'local-path', '<unset>', '', '60m', 'Filesystem']);
    const deleting = { metadata: { name: 'pv2', deletionTimestamp: ago(MIN), annotations: { 'volume.beta.kubernetes.io/storage-class': 'old' } }, spec: { storageClassName: 'new' }, status: { phase: 'Released' } };
    assert.deepEqual(cells('', 'PersistentVolume', deleting).slice(1, 7), ['0', '', '', 'Terminating', '', 'old']);
    // Quantities print in canonical form, as resource.Quantity.String() does.
    assert.equal(cells('', 'PersistentVolume', { metadata: { name: 'pv3' }, spec: { capacity: { storage: '1.5Gi' } } })[1], '1536Mi');
  });

  it('prints persistent volume claims', () => {
    assert.deepEqual(headers('', 'PersistentVolumeClaim'), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE', 'VOLUMEMODE*']);
    const bound = {
      metadata: { name: 'data', creationTimestamp: ago(MIN) },
      spec: { volumeName: 'pv1', storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
      status: { phase: 'Bound', capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'] },
    };
    assert.deepEqual(cells('', 'PersistentVolumeClaim', bound), ['data', 'Bound', 'pv1', '10Gi', 'RWO', 'local-path', '<unset>', '60s', 'Filesystem']);
    const pending = { metadata: { name: 'p' }, spec: { resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Pending' } };
    assert.deepEqual(cells('', 'PersistentVolumeClaim', pending), ['p', 'Pending', '', '', '', '', '<unset>', '<unknown>', '<unset>']);
  });
});

describe('policy tables', () => {
  it('prints pod disruption budgets', () => {
    assert.deepEqual(headers('policy', 'PodDisruptionBudget'), ['NAME', 'MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    assert.deepEqual(cells('policy', 'PodDisruptionBudget', { metadata: { name: 'pdb', creationTimestamp: ago(MIN) }, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }), [
      'pdb',
      '50%',
      'N/A',
      1,
      '60s',
    ]);
    assert.deepEqual(cells('policy', 'PodDisruptionBudget', { metadata: { name: 'pdb' }, spec: { maxUnavailable: 2 } }).slice(1, 4), ['N/A', '2', 0]);
  });

  it('prints priority classes with the always-shown PREEMPTIONPOLICY', () => {
    assert.deepEqual(headers('scheduling.k8s.io', 'PriorityClass'), ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    assert.deepEqual(cells('scheduling.k8s.io', 'PriorityClass', { metadata: { name: 'system-node-critical', creationTimestamp: ago(DAY) }, value: 2000001000, preemptionPolicy: 'PreemptLowerPriority' }), [
      'system-node-critical',
      2000001000,
      false,
      '24h',
      'PreemptLowerPriority',
    ]);
  });

  it('prints runtime classes, leases and resource quotas', () => {
    assert.deepEqual(headers('node.k8s.io', 'RuntimeClass'), ['NAME', 'HANDLER', 'AGE']);
    assert.deepEqual(cells('node.k8s.io', 'RuntimeClass', { metadata: { name: 'gvisor', creationTimestamp: ago(MIN) }, handler: 'runsc' }), ['gvisor', 'runsc', '60s']);
    assert.deepEqual(headers('coordination.k8s.io', 'Lease'), ['NAME', 'HOLDER', 'AGE']);
    assert.deepEqual(cells('coordination.k8s.io', 'Lease', { metadata: { name: 'n1', creationTimestamp: ago(MIN) }, spec: { holderIdentity: 'n1' } }), ['n1', 'n1', '60s']);
    assert.deepEqual(headers('', 'ResourceQuota'), ['NAME', 'REQUEST', 'LIMIT', 'AGE']);
    const rq = {
      metadata: { name: 'q', creationTimestamp: ago(MIN) },
      status: { hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '4Gi', cpu: '1' }, used: { pods: '3', 'requests.cpu': '500m' } },
    };
    assert.deepEqual(cells('', 'ResourceQuota', rq), ['q', 'cpu: 0/1, pods: 3/10, requests.cpu: 500m/2', 'limits.memory: 0/4Gi', '60s']);
  });
});

describe('rbac tables', () => {
  it('prints role bindings with subjects', () => {
    assert.deepEqual(headers('rbac.authorization.k8s.io', 'RoleBinding'), ['NAME', 'ROLE', 'AGE', 'USERS*', 'GROUPS*', 'SERVICEACCOUNTS*']);
    const rb = {
      metadata: { name: 'rb', creationTimestamp: ago(MIN) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'User', name: 'bob' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' },
      ],
    };
    assert.deepEqual(cells('rbac.authorization.k8s.io', 'RoleBinding', rb), ['rb', 'ClusterRole/view', '60s', 'alice, bob', 'devs', 'tools/ci']);
    assert.deepEqual(headers('rbac.authorization.k8s.io', 'ClusterRoleBinding'), ['NAME', 'ROLE', 'AGE', 'USERS*', 'GROUPS*', 'SERVICEACCOUNTS*']);
    assert.deepEqual(cells('rbac.authorization.k8s.io', 'ClusterRoleBinding', { metadata: { name: 'crb' }, roleRef: { kind: 'ClusterRole', name: 'admin' } }).slice(1), [
      'ClusterRole/admin',
      '<unknown>',
      '',
      '',
      '',
    ]);
  });
});

describe('default table', () => {
  it('prints NAME and CREATED AT for kinds without a printer', () => {
    for (const [group, kind] of [
      ['rbac.authorization.k8s.io', 'Role'],
      ['rbac.authorization.k8s.io', 'ClusterRole'],
      ['', 'LimitRange'],
      ['example.com', 'Widget'],
    ] as const) {
      assert.deepEqual(headers(group, kind), ['NAME', 'CREATED AT'], kind);
    }
    const t = toTable({ group: 'rbac.authorization.k8s.io', kind: 'Role' }, [{ metadata: { name: 'r', creationTimestamp: '2024-05-01T10:00:00Z' } }], { includeObject: 'None', now: NOW });
    assert.equal(t.columnDefinitions[1]?.type, 'date');
    assert.deepEqual(t.rows[0]?.cells, ['r', '2024-05-01T10:00:00Z']);
    assert.deepEqual(cells('', 'LimitRange', { metadata: { name: 'l' } }), ['l', '0001-01-01T00:00:00Z']);
  });

  it('covers every built-in resource with a printer or the default', () => {
    for (const r of builtinResources) {
      const p = printerFor(r);
      assert.ok(p.columns.length >= 2, r.kind);
      assert.equal(p.columns.filter((c) => c.format === 'name').length, 1, `${r.kind} has one name column`);
    }
  });
});

describe('toTable', () => {
  const objs = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'ns', resourceVersion: '7', creationTimestamp: ago(MIN) }, data: { k: 'v' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'ns', resourceVersion: '8', creationTimestamp: ago(2 * MIN) } },
  ];

  it('returns a meta.k8s.io/v1 Table with full column definitions', () => {
    const t = toTable({ group: '', kind: 'ConfigMap' }, objs, { includeObject: 'None', now: NOW });
    assert.equal(t.kind, 'Table');
    assert.equal(t.apiVersion, 'meta.k8s.io/v1');
    assert.deepEqual(t.metadata, {});
    assert.deepEqual(t.columnDefinitions[0], {
      name: 'Name',
      type: 'string',
      format: 'name',
      description:
        'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
      priority: 0,
    });
    assert.deepEqual(
      t.rows.map((r) => r.cells),
      [
        ['a', 1, '60s'],
        ['b', 0, '2m'],
      ],
    );
    assert.ok(t.rows.every((r) => !('object' in r)));
  });

  it('attaches PartialObjectMetadata or the whole object', () => {
    const meta = toTable({ group: '', kind: 'ConfigMap' }, objs, { includeObject: 'Metadata', now: NOW });
    assert.deepEqual(meta.rows[0]?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: objs[0]?.metadata });
    const full = toTable({ group: '', kind: 'ConfigMap' }, objs, { includeObject: 'Object', now: NOW });
    assert.equal(full.rows[1]?.object, objs[1]);
  });

  it('drops column definitions for noHeaders and handles no objects', () => {
    assert.deepEqual(toTable({ group: '', kind: 'ConfigMap' }, objs, { includeObject: 'None', now: NOW, noHeaders: true }).columnDefinitions, []);
    assert.deepEqual(toTable({ group: '', kind: 'Pod' }, [], { includeObject: 'Object' }).rows, []);
  });

  it('does not let callers mutate the shared column definitions', () => {
    const t = toTable({ group: '', kind: 'ConfigMap' }, [], { includeObject: 'None' });
    (t.columnDefinitions[0] as { name: string }).name = 'changed';
    assert.equal(headers('', 'ConfigMap')[0], 'NAME');
  });
});
