import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortName } from '../../../src/api/validation/names.js';
import { labelSelectorMatches } from '../../../src/api/validation/meta.js';
import { create, makeObject, makePod, update, withEdit, type Obj } from './fixtures.js';

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('name formats', () => {
  it('uses upstream wording for DNS names', () => {
    assert.deepEqual(isDNS1123Subdomain('Bad_Name'), [subdomainMsg]);
    assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
    assert.deepEqual(isDNS1123Label('-x'), [labelMsg]);
    assert.deepEqual(isDNS1035Label('1abc'), [
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  });

  it('checks qualified names with an optional prefix', () => {
    assert.deepEqual(isQualifiedName('example.com/app'), []);
    assert.deepEqual(isQualifiedName('/app'), ['prefix part must be non-empty']);
    assert.deepEqual(isQualifiedName('a/b/c').length, 1);
    assert.match(isQualifiedName('app-')[0]!, /^name part must consist of alphanumeric characters/);
  });

  it('checks IANA service names for ports', () => {
    assert.deepEqual(isValidPortName('http'), []);
    assert.deepEqual(isValidPortName('80'), ['must contain at least one letter (a-z)']);
    assert.deepEqual(isValidPortName('a--b'), ['must not contain consecutive hyphens']);
  });
});

describe('ObjectMeta on create', () => {
  const cm = (edit: (o: Obj) => void) => create(withEdit(makeObject('v1', 'ConfigMap', 'cfg', 'default'), edit));

  const cases: [string, (o: Obj) => void, string][] = [
    ['name required', (o) => delete o.metadata.name, 'metadata.name: Required value: name or generateName is required'],
    ['name format', (o) => (o.metadata.name = 'Bad_Name'), `metadata.name: Invalid value: "Bad_Name": ${subdomainMsg}`],
    ['namespace required', (o) => delete o.metadata.namespace, 'metadata.namespace: Required value'],
    [
      'label key',
      (o) => (o.metadata.labels = { 'bad key': 'v' }),
      `metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ],
    ['label value length', (o) => (o.metadata.labels = { a: 'x'.repeat(64) }), `metadata.labels: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`],
    ['annotation size', (o) => (o.metadata.annotations = { a: 'x'.repeat(256 * 1024) }), 'metadata.annotations: Too long: may not be more than 262144 bytes'],
    ['finalizer standard', (o) => (o.metadata.finalizers = ['custom']), 'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'],
    ['owner uid', (o) => (o.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }]), 'metadata.ownerReferences.uid: Invalid value: "": must not be empty'],
    ['owner version', (o) => (o.metadata.ownerReferences = [{ apiVersion: '', kind: 'Pod', name: 'p', uid: 'u' }]), 'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty'],
    ['generation', (o) => (o.metadata.generation = -1), 'metadata.generation: Invalid value: -1: must be greater than or equal to 0'],
  ];
  for (const [name, edit, want] of cases) {
    it(name, () => assert.ok(cm(edit).includes(want), `${want}\n  not in\n${cm(edit).join('\n')}`));
  }

  it('accepts a valid object and a generateName without name', () => {
    assert.deepEqual(cm(() => undefined), []);
    assert.deepEqual(
      cm((o) => {
        delete o.metadata.name;
        o.metadata.generateName = 'cfg-';
      }),
      [],
    );
  });

  it('forbids a namespace on cluster-scoped kinds', () => {
    assert.deepEqual(create(makeObject('v1', 'Namespace', 'team', 'default')), ['metadata.namespace: Forbidden: not allowed on this type']);
  });

  it('rejects two controller owners', () => {
    const refs = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '2', controller: true },
    ];
    const errs = cm((o) => (o.metadata.ownerReferences = refs));
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /Only one reference can have Controller set to true. Found "true" in references for ReplicaSet\/a and ReplicaSet\/b$/);
  });
});

describe('ObjectMeta on update', () => {
  const old = makePod();
  it('keeps identity fields immutable', () => {
    const errs = update(
      withEdit(old, (p) => {
        p.metadata.uid = 'other';
        p.metadata.creationTimestamp = '2025-01-01T00:00:00Z';
      }),
      old,
    );
    assert.deepEqual(errs, [
      'metadata.uid: Invalid value: "other": field is immutable',
      'metadata.creationTimestamp: Invalid value: 2025-01-01 00:00:00 +0000 UTC: field is immutable',
    ]);
  });

  it('forbids new finalizers once deletion started', () => {
    const deleting = withEdit(old, (p) => (p.metadata.deletionTimestamp = '2024-05-01T00:00:00Z'));
    const errs = update(withEdit(deleting, (p) => (p.metadata.finalizers = ['example.com/x'])), deleting);
    assert.deepEqual(errs, ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/x"}']);
  });
});

describe('labelSelectorMatches', () => {
  it('follows metav1.LabelSelectorAsSelector semantics', () => {
    const labels = { app: 'web', tier: 'front' };
    assert.equal(labelSelectorMatches(undefined, labels), false);
    assert.equal(labelSelectorMatches({}, labels), true);
    assert.equal(labelSelectorMatches({ matchLabels: { app: 'web' } }, labels), true);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] }, labels), true);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels), false);
    assert.equal(labelSelectorMatches({ matchExpressions: [{ key: 'env', operator: 'In', values: [] }] }, labels), undefined);
  });
});
