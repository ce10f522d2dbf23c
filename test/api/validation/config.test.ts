import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { base64Check } from '../../../src/api/validation/config.js';
import { create, defaulted, makeObject, statusUpdate, update, withEdit } from './fixtures.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('ConfigMap', () => {
  const cm = makeObject('v1', 'ConfigMap', 'cfg', 'default', { data: { 'app.conf': 'x=1' } });

  it('accepts valid keys', () => assert.deepEqual(create(cm), []));

  it('checks keys, duplicates and total size', () => {
    assert.deepEqual(create(withEdit(cm, (c) => (c.data = { 'a/b': 'x' }))), [
      "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    assert.deepEqual(create(withEdit(cm, (c) => (c.data = { '..x': 'v' }))), ["data[..x]: Invalid value: \"..x\": must not start with '..'"]);
    assert.deepEqual(create(withEdit(cm, (c) => (c.binaryData = { 'app.conf': b64('x') }))), ['data[app.conf]: Invalid value: "app.conf": duplicate of key present in binaryData']);
    assert.deepEqual(create(withEdit(cm, (c) => (c.data = { big: 'x'.repeat(1024 * 1024 + 1) }))), [': Too long: may not be more than 1048576 bytes']);
  });

  it('keeps immutable configmaps unchanged', () => {
    const stored = withEdit(cm, (c) => (c.immutable = true));
    assert.deepEqual(update(withEdit(stored, (c) => (c.data['app.conf'] = 'x=2')), stored), ['data: Forbidden: field is immutable when `immutable` is set']);
  });
});

describe('Secret', () => {
  const secret = makeObject('v1', 'Secret', 'creds', 'default', { data: { password: b64('hunter2') } });

  it('accepts a secret and defaults its type', () => {
    assert.deepEqual(create(secret), []);
    assert.equal(defaulted(secret).type, 'Opaque');
  });

  it('requires base64 data, as decoding does', () => {
    assert.deepEqual(create(withEdit(secret, (s) => (s.data.password = 'not base64!'))), ['data[password]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3']);
    assert.deepEqual(base64Check('YWJj'), { length: 3 });
    assert.deepEqual(base64Check('YWI='), { length: 2 });
    assert.deepEqual(base64Check('YWJ'), { errorAt: 0 });
  });

  it('checks typed secrets', () => {
    assert.deepEqual(create(withEdit(secret, (s) => (s.type = 'kubernetes.io/tls'))), ['data[tls.crt]: Required value', 'data[tls.key]: Required value']);
    assert.deepEqual(create(withEdit(secret, (s) => (s.type = 'kubernetes.io/service-account-token'))), ['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
  });

  it('keeps the type immutable', () => {
    const stored = defaulted(secret);
    assert.deepEqual(update(withEdit(stored, (s) => (s.type = 'kubernetes.io/basic-auth')), stored), ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
  });
});

describe('Namespace, Node, ServiceAccount, Event', () => {
  it('namespace names are DNS labels', () => {
    assert.deepEqual(create(makeObject('v1', 'Namespace', 'team-a', undefined)), []);
    assert.deepEqual(create(makeObject('v1', 'Namespace', 'team.a', undefined)), ['metadata.name: Invalid value: "team.a": must not contain dots']);
  });

  it('namespace status phase follows deletion', () => {
    const ns = defaulted(makeObject('v1', 'Namespace', 'team', undefined));
    assert.deepEqual(statusUpdate(withEdit(ns, (n) => (n.status.phase = 'Terminating')), ns), [
      'status.Phase: Invalid value: "Terminating": may only be \'Active\' if `deletionTimestamp` is empty',
    ]);
  });

  it('nodes check taints and capacity', () => {
    const node = makeObject('v1', 'Node', 'node-a', undefined, { spec: { taints: [{ key: 'k', effect: 'Sometimes' }] }, status: { capacity: { cpu: '-1' } } });
    assert.deepEqual(create(node), [
      'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
      // allocatable defaults to capacity
      'status.allocatable.cpu: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });

  it('node podCIDRs are immutable once set', () => {
    const node = makeObject('v1', 'Node', 'node-a', undefined, { spec: { podCIDRs: ['10.42.0.0/24'] } });
    assert.deepEqual(update(withEdit(node, (n) => (n.spec.podCIDRs = ['10.42.1.0/24'])), node), [
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
  });

  it('service accounts are namespaced subdomains', () => {
    assert.deepEqual(create(makeObject('v1', 'ServiceAccount', 'builder', 'default')), []);
    assert.deepEqual(create(makeObject('v1', 'ServiceAccount', 'builder', undefined)), ['metadata.namespace: Required value']);
  });

  it('core events need a matching involved object namespace', () => {
    const ev = makeObject('v1', 'Event', 'web.1', 'default', { involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started' });
    assert.deepEqual(create(ev), []);
    assert.deepEqual(create(withEdit(ev, (e) => (e.involvedObject.namespace = 'other'))), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  });

  it('events.k8s.io events need the reporting fields', () => {
    const ev = makeObject('events.k8s.io/v1', 'Event', 'web.1', 'default', { regarding: { kind: 'Pod', name: 'web', namespace: 'default' }, eventTime: '2024-01-01T00:00:00.000000Z', type: 'Normal' });
    // Upstream reports an empty controller both as required and as an invalid qualified name.
    const errs = create(ev);
    assert.deepEqual(
      errs.filter((e) => !e.startsWith('reportingController: Invalid value')),
      ['reportingController: Required value', 'reportingInstance: Required value', 'action: Required value', 'reason: Required value'],
    );
    assert.ok(errs.includes('reportingController: Invalid value: "": name part must be non-empty'));
    assert.deepEqual(create(withEdit(ev, (e) => Object.assign(e, { reportingController: 'skiff.dev/kubelet', reportingInstance: 'node-a', action: 'Pull', reason: 'Pulled' }))), []);
  });
});
