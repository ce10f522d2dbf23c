import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, defaulted, makeObject, update, withEdit } from './fixtures.js';

describe('storage', () => {
  const pvc = makeObject('v1', 'PersistentVolumeClaim', 'data', 'default', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  const pv = makeObject('v1', 'PersistentVolume', 'pv1', undefined, { spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' }, hostPath: { path: '/srv/pv1' } } });

  it('accepts valid claims and volumes', () => {
    assert.deepEqual(create(pvc), []);
    assert.deepEqual(create(pv), []);
  });

  it('claims need access modes and a storage request', () => {
    assert.deepEqual(create(withEdit(pvc, (c) => (c.spec = {}))), ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']);
    assert.deepEqual(create(withEdit(pvc, (c) => (c.spec.accessModes = ['ReadWriteOncePod', 'ReadOnlyMany']))), ['spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes']);
    assert.deepEqual(create(withEdit(pvc, (c) => (c.spec.resources.requests.storage = '0'))), ['spec.resources[storage]: Invalid value: "0": must be greater than zero']);
  });

  it('bound claims may only grow', () => {
    const bound = withEdit(defaulted(pvc), (c) => {
      c.spec.volumeName = 'pv1';
      c.status.phase = 'Bound';
    });
    assert.deepEqual(update(withEdit(bound, (c) => (c.spec.resources.requests.storage = '2Gi')), bound), []);
    assert.deepEqual(update(withEdit(bound, (c) => (c.spec.resources.requests.storage = '512Mi')), bound), [
      'spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    ]);
    const errs = update(withEdit(bound, (c) => (c.spec.accessModes = ['ReadWriteMany'])), bound);
    assert.equal(errs.length, 1);
    assert.ok(errs[0]!.startsWith('spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n'));
  });

  it('volumes need capacity and exactly one source', () => {
    assert.deepEqual(create(withEdit(pv, (v) => delete v.spec.hostPath)), ['spec: Required value: must specify a volume type']);
    assert.deepEqual(create(withEdit(pv, (v) => (v.spec.nfs = { server: 'nas', path: '/x' }))), ['spec.nfs: Forbidden: may not specify more than 1 volume type']);
    assert.deepEqual(create(withEdit(pv, (v) => (v.spec.persistentVolumeReclaimPolicy = 'Keep'))), [
      'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
    ]);
  });
});

describe('quota and limits', () => {
  it('checks limit range relations', () => {
    const lr = makeObject('v1', 'LimitRange', 'limits', 'default', { spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { cpu: '2' } }] } });
    const errs = create(lr);
    assert.ok(errs.includes('spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1'), errs.join('\n'));
  });

  it('checks quota resource names and scopes', () => {
    const rq = makeObject('v1', 'ResourceQuota', 'q', 'default', { spec: { hard: { pods: '10', cpus: '4' }, scopes: ['BestEffort', 'NotBestEffort'] } });
    const errs = create(rq);
    assert.ok(errs.includes('spec.hard[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified'), errs.join('\n'));
    assert.ok(errs.some((e) => e.startsWith('spec.scopes: Invalid value: ') && e.endsWith(': conflicting scopes')), errs.join('\n'));
    assert.deepEqual(create(withEdit(rq, (q) => (q.spec = { hard: { pods: '1.5' } }))), ['spec.hard[pods]: Invalid value: "1500m": must be an integer']);
  });
});

describe('cluster-level kinds', () => {
  it('PriorityClass values and immutability', () => {
    const pc = makeObject('scheduling.k8s.io/v1', 'PriorityClass', 'high', undefined, { value: 1000 });
    assert.deepEqual(create(pc), []);
    assert.deepEqual(create(withEdit(pc, (p) => (p.value = 2000000000))), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
    assert.deepEqual(create(withEdit(pc, (p) => (p.metadata.name = 'system-mine'))), [
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
    ]);
    assert.deepEqual(update(withEdit(pc, (p) => (p.value = 5)), pc), ['value: Forbidden: may not be changed in an update.']);
  });

  it('RuntimeClass handler is an immutable DNS label', () => {
    const rc = makeObject('node.k8s.io/v1', 'RuntimeClass', 'gvisor', undefined, { handler: 'runsc' });
    assert.deepEqual(create(rc), []);
    assert.deepEqual(create(withEdit(rc, (r) => (r.handler = 'run.sc'))), ['handler: Invalid value: "run.sc": must not contain dots']);
    assert.deepEqual(update(withEdit(rc, (r) => (r.handler = 'runc')), rc), ['handler: Invalid value: "runc": field is immutable']);
  });

  it('Lease durations', () => {
    const lease = makeObject('coordination.k8s.io/v1', 'Lease', 'node-a', 'kube-node-lease', { spec: { leaseDurationSeconds: 0 } });
    assert.deepEqual(create(lease), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
  });

  it('EndpointSlice addresses and ports', () => {
    const slice = makeObject('discovery.k8s.io/v1', 'EndpointSlice', 'web-abc', 'default', {
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.42.0.5'] }],
      ports: [{ name: 'http', port: 80 }],
    });
    assert.deepEqual(create(slice), []);
    assert.deepEqual(create(withEdit(slice, (s) => (s.endpoints[0].addresses = ['fe80::1']))), ['endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address']);
    assert.deepEqual(create(withEdit(slice, (s) => (s.addressType = 'IPX'))), ['addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"']);
  });

  it('PodDisruptionBudget min and max', () => {
    const pdb = makeObject('policy/v1', 'PodDisruptionBudget', 'web', 'default', { spec: { minAvailable: '150%', selector: { matchLabels: { app: 'web' } } } });
    assert.deepEqual(create(pdb), ['spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%']);
  });
});

describe('RBAC', () => {
  const role = makeObject('rbac.authorization.k8s.io/v1', 'Role', 'reader', 'default', { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
  const binding = makeObject('rbac.authorization.k8s.io/v1', 'RoleBinding', 'read', 'default', {
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'User', name: 'alice' }],
  });

  it('accepts valid roles and bindings (apiGroups defaulted)', () => {
    assert.deepEqual(create(role), []);
    assert.deepEqual(create(binding), []);
  });

  it('rules need verbs', () => {
    assert.deepEqual(create(withEdit(role, (r) => (r.rules[0].verbs = []))), ['rules[0].verbs: Required value: verbs must contain at least one value']);
  });

  it('binding roleRef cannot change', () => {
    const stored = defaulted(binding);
    assert.deepEqual(update(withEdit(stored, (b) => (b.roleRef.name = 'writer')), stored), [
      'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"writer"}: cannot change roleRef',
    ]);
  });

  it('role names are path segments', () => {
    assert.deepEqual(create(withEdit(role, (r) => (r.metadata.name = 'a/b'))), ["metadata.name: Invalid value: \"a/b\": may not contain '/'"]);
  });
});
