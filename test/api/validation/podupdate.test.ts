import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { updatablePodSpecFields } from '../../../src/api/validation/pods.js';
import { defaulted, makePod, statusUpdate, update, withEdit, type Obj } from './fixtures.js';

// Updates start from the stored (defaulted) pod, as PUT and PATCH bodies do.
const stored = defaulted(makePod());
const edited = (edit: (p: Obj) => void) => update(withEdit(stored, edit), stored);

const forbiddenPrefix =
  'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n';

describe('Pod update', () => {
  it('allows image changes and nothing-changed updates', () => {
    assert.deepEqual(edited(() => undefined), []);
    assert.deepEqual(
      edited((p) => (p.spec.containers[0].image = 'busybox:1.37')),
      [],
    );
    assert.deepEqual(
      edited((p) => (p.metadata.labels.extra = 'yes')),
      [],
    );
  });

  it('forbids other spec changes with upstream wording and a diff', () => {
    const errs = edited((p) => (p.spec.containers[0].ports[0].containerPort = 81));
    assert.equal(errs.length, 1);
    assert.ok(errs[0]!.startsWith(forbiddenPrefix), errs[0]);
    assert.match(errs[0]!, /containers\[0\]\.ports\[0\]\.containerPort: 80\n\+ \tcontainers\[0\]\.ports\[0\]\.containerPort: 81/);
    assert.equal(updatablePodSpecFields.length, 5);
  });

  it('forbids adding containers', () => {
    assert.deepEqual(
      edited((p) => p.spec.containers.push({ name: 'two', image: 'x' })),
      ['spec.containers: Forbidden: pod updates may not add or remove containers'],
    );
  });

  it('checks activeDeadlineSeconds only decreases', () => {
    const withDeadline = withEdit(stored, (p) => (p.spec.activeDeadlineSeconds = 100));
    assert.deepEqual(update(withEdit(withDeadline, (p) => (p.spec.activeDeadlineSeconds = 50)), withDeadline), []);
    assert.deepEqual(update(withEdit(withDeadline, (p) => (p.spec.activeDeadlineSeconds = 200)), withDeadline), [
      'spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value',
    ]);
    assert.deepEqual(update(withEdit(withDeadline, (p) => delete p.spec.activeDeadlineSeconds), withDeadline), [
      'spec.activeDeadlineSeconds: Invalid value: null: must not update from a positive integer to nil value',
    ]);
  });

  it('allows only additions to tolerations', () => {
    const tolerated = withEdit(stored, (p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }]));
    assert.deepEqual(
      update(
        withEdit(tolerated, (p) => {
          p.spec.tolerations[0].tolerationSeconds = 5;
          p.spec.tolerations.push({ key: 'other', operator: 'Exists' });
        }),
        tolerated,
      ),
      [],
    );
    const errs = update(withEdit(tolerated, (p) => (p.spec.tolerations = [])), tolerated);
    assert.ok(errs.includes('spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds'), errs.join('\n'));
  });

  it('allows removing scheduling gates but not adding them', () => {
    const gated = withEdit(stored, (p) => (p.spec.schedulingGates = [{ name: 'example.com/wait' }]));
    assert.deepEqual(update(withEdit(gated, (p) => delete p.spec.schedulingGates), gated), []);
    assert.deepEqual(update(withEdit(gated, (p) => p.spec.schedulingGates.push({ name: 'example.com/more' })), gated), [
      "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/more'",
    ]);
  });

  it('keeps metadata identity immutable', () => {
    assert.deepEqual(edited((p) => (p.metadata.namespace = 'other')), ['metadata.namespace: Invalid value: "other": field is immutable']);
  });
});

describe('Pod status update', () => {
  it('accepts status changes', () => {
    const next = withEdit(stored, (p) => (p.status = { phase: 'Running', podIP: '10.42.0.5', podIPs: [{ ip: '10.42.0.5' }] }));
    assert.deepEqual(statusUpdate(next, stored), []);
  });

  it('forbids moving the pod to another node through status', () => {
    const bound = withEdit(stored, (p) => (p.spec.nodeName = 'node-a'));
    assert.deepEqual(statusUpdate(withEdit(bound, (p) => (p.spec.nodeName = 'node-b')), bound), ['status.nodeName: Forbidden: may not be changed directly']);
  });

  it('validates pod IPs and keeps the QoS class', () => {
    const running = withEdit(stored, (p) => (p.status = { qosClass: 'Burstable' }));
    const errs = statusUpdate(withEdit(running, (p) => (p.status = { qosClass: 'BestEffort', podIPs: [{ ip: 'nope' }] })), running);
    assert.deepEqual(errs, [
      'status.qosClass: Invalid value: "BestEffort": field is immutable',
      'status.podIPs[0]: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });
});
