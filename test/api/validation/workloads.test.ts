import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, defaulted, makeWorkload, statusUpdate, update, withEdit, type Obj } from './fixtures.js';

const kinds = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'] as const;

describe('workloads: rules shared by the four kinds', () => {
  for (const kind of kinds) {
    const base = makeWorkload(kind);
    const check = (edit: (o: Obj) => void) => create(withEdit(base, edit));

    it(`${kind}: valid fixture`, () => assert.deepEqual(create(base), []));

    it(`${kind}: selector required`, () => {
      assert.ok(check((o) => delete o.spec.selector).includes('spec.selector: Required value'));
    });

    it(`${kind}: selector must match template labels`, () => {
      const errs = check((o) => (o.spec.template.metadata.labels = { app: 'other', tier: 'x' }));
      assert.ok(errs.includes('spec.template.metadata.labels: Invalid value: map[string]string{"app":"other", "tier":"x"}: `selector` does not match template `labels`'), errs.join('\n'));
    });

    it(`${kind}: template restartPolicy must be Always`, () => {
      assert.ok(check((o) => (o.spec.template.spec.restartPolicy = 'Never')).includes('spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'));
    });

    it(`${kind}: selector immutable on update`, () => {
      const stored = defaulted(base);
      const next = withEdit(stored, (o) => {
        o.spec.selector.matchLabels.app = 'web2';
        o.spec.template.metadata.labels.app = 'web2';
      });
      const errs = update(next, stored);
      const want =
        kind === 'StatefulSet'
          ? "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
          : 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable';
      assert.deepEqual(errs, [want]);
    });
  }

  it('replicas must not be negative', () => {
    assert.ok(create(withEdit(makeWorkload('Deployment'), (o) => (o.spec.replicas = -1))).includes('spec.replicas: Invalid value: -1: must be greater than or equal to 0'));
  });

  it('an empty selector is invalid', () => {
    assert.ok(
      create(withEdit(makeWorkload('ReplicaSet'), (o) => (o.spec.selector = {}))).includes(
        'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
      ),
    );
  });

  it('validates the pod template of Deployments', () => {
    assert.ok(create(withEdit(makeWorkload('Deployment'), (o) => (o.spec.template.spec.containers[0].image = ''))).includes('spec.template.spec.containers[0].image: Required value'));
  });

  it('leaves the pod spec of StatefulSet templates to pod creation, as upstream does', () => {
    assert.deepEqual(create(withEdit(makeWorkload('StatefulSet'), (o) => (o.spec.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/d' }]))), []);
  });
});

describe('Deployment strategy', () => {
  const d = makeWorkload('Deployment');
  it('rejects maxSurge and maxUnavailable both zero', () => {
    const errs = create(withEdit(d, (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })));
    assert.deepEqual(errs, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']);
  });

  it('checks percentages', () => {
    const errs = create(withEdit(d, (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25', maxUnavailable: '120%' } })));
    assert.deepEqual(errs, [
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"25"}: a valid percent string must be a numeric string followed by an ending \'%\' (e.g. \'1%\',  or \'93%\', regex used for validation is \'[0-9]+%\')',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%',
    ]);
  });

  it('forbids rollingUpdate with Recreate and needs progressDeadlineSeconds > minReadySeconds', () => {
    const errs = create(
      withEdit(d, (o) => {
        o.spec.strategy = { type: 'Recreate', rollingUpdate: {} };
        o.spec.minReadySeconds = 700;
      }),
    );
    assert.deepEqual(errs, [
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
      'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
    ]);
  });
});

describe('StatefulSet and DaemonSet specifics', () => {
  it('checks podManagementPolicy and claim templates', () => {
    const errs = create(
      withEdit(makeWorkload('StatefulSet'), (o) => {
        o.spec.podManagementPolicy = 'Random';
        o.spec.volumeClaimTemplates = [{ metadata: { name: 'data' }, spec: { resources: { requests: { storage: '1Gi' } } } }];
      }),
    );
    assert.deepEqual(errs, [
      'spec.podManagementPolicy: Invalid value: "Random": must be \'OrderedReady\' or \'Parallel\'',
      'spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required',
    ]);
  });

  it('DaemonSet rolling update needs exactly one of maxSurge and maxUnavailable', () => {
    const both = create(withEdit(makeWorkload('DaemonSet'), (o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } })));
    assert.deepEqual(both, ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero']);
    const none = create(withEdit(makeWorkload('DaemonSet'), (o) => (o.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })));
    assert.deepEqual(none, ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
  });

  it('status counters are checked on status updates', () => {
    const stored = defaulted(makeWorkload('Deployment'));
    assert.deepEqual(statusUpdate(withEdit(stored, (o) => (o.status = { replicas: 1, readyReplicas: 2 })), stored), [
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
    ]);
  });
});
