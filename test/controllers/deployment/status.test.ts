// Template hash, revision annotations and Deployment conditions.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { equalIgnoreHash, findNewReplicaSet, setNewReplicaSetAnnotations } from '../../../src/controllers/deployment/annotations.js';
import { podTemplateHash } from '../../../src/controllers/hash.js';
import { calculateStatus, rolloutStatus } from '../../../src/controllers/deployment/status.js';
import type { DeploymentObj, ReplicaSetObj } from '../../../src/controllers/deployment/util.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } };

function deploy(replicas = 3, extra: Partial<DeploymentObj['spec']> = {}, status?: DeploymentObj['status'], annotations?: Record<string, string>): DeploymentObj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'u', generation: 2, ...(annotations ? { annotations } : {}) },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }, progressDeadlineSeconds: 600, ...extra },
    ...(status ? { status } : {}),
  };
}

function rs(name: string, replicas: number, available: number, tpl: unknown = template): ReplicaSetObj {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, uid: name, creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: { replicas, selector: {}, template: tpl as ReplicaSetObj['spec']['template'] },
    status: { replicas, readyReplicas: available, availableReplicas: available },
  };
}

describe('pod-template-hash', () => {
  it('is stable across key order, short, in the safe alphabet, and changes with the template and collisionCount', () => {
    const reordered = { spec: { containers: [{ ports: [{ containerPort: 80 }], image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } };
    const h = podTemplateHash(template);
    assert.equal(podTemplateHash(reordered), h);
    assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.notEqual(podTemplateHash({ ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }), h);
    assert.notEqual(podTemplateHash(template, 1), h);
    assert.equal(podTemplateHash(template, 1), podTemplateHash(template, 1));
    // Unset and empty mean the same.
    assert.equal(podTemplateHash({ ...template, metadata: { labels: { app: 'web' }, annotations: {} } }), h);
  });

  it('finds the new ReplicaSet ignoring the pod-template-hash label', () => {
    const hashed = { ...template, metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } } };
    assert.ok(equalIgnoreHash(hashed, template));
    const d = deploy();
    assert.equal(findNewReplicaSet(d, [rs('other', 1, 1, { ...template, spec: { containers: [{ name: 'c', image: 'x' }] } }), rs('mine', 1, 1, hashed)])?.metadata.name, 'mine');
  });
});

describe('ReplicaSet annotations', () => {
  it('copies the change-cause, sets revision and replica annotations, and records a rollback in revision-history', () => {
    const d = deploy(3, {}, undefined, { 'kubernetes.io/change-cause': 'v2', 'deployment.kubernetes.io/revision': '9', 'kubectl.kubernetes.io/last-applied-configuration': '{}' });
    const fresh: Record<string, string> = {};
    assert.equal(setNewReplicaSetAnnotations(d, fresh, 1, false), true);
    assert.deepEqual({ ...fresh }, {
      'kubernetes.io/change-cause': 'v2',
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    assert.equal(setNewReplicaSetAnnotations(d, fresh, 1, true), false, 'nothing left to change');
    setNewReplicaSetAnnotations(d, fresh, 3, true);
    assert.equal(fresh['deployment.kubernetes.io/revision'], '3');
    assert.equal(fresh['deployment.kubernetes.io/revision-history'], '1');
    setNewReplicaSetAnnotations(d, fresh, 5, true);
    assert.equal(fresh['deployment.kubernetes.io/revision-history'], '1,3');
  });
});

describe('deployment status and conditions', () => {
  const now = Date.parse('2025-01-01T00:10:00Z');

  it('counts replicas from the ReplicaSets and sets Available by maxUnavailable', () => {
    const s = calculateStatus([rs('old', 1, 1), rs('new', 3, 1)], rs('new', 3, 1), deploy(3), now);
    assert.deepEqual(
      { r: s.replicas, u: s.updatedReplicas, a: s.availableReplicas, un: s.unavailableReplicas, g: s.observedGeneration },
      { r: 4, u: 3, a: 2, un: 2, g: 2 },
    );
    assert.equal(s.conditions?.find((c) => c.type === 'Available')?.reason, 'MinimumReplicasAvailable');
    const low = calculateStatus([rs('new', 3, 1)], rs('new', 3, 1), deploy(3), now);
    assert.deepEqual(
      low.conditions?.find((c) => c.type === 'Available'),
      { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.', lastUpdateTime: '2025-01-01T00:10:00Z', lastTransitionTime: '2025-01-01T00:10:00Z' },
    );
  });

  it('moves Progressing through ReplicaSetUpdated, NewReplicaSetAvailable and ProgressDeadlineExceeded', () => {
    const created = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: 'Created new replica set "web-1"', lastUpdateTime: '2025-01-01T00:00:00Z', lastTransitionTime: '2025-01-01T00:00:00Z' };
    const d = deploy(3, {}, { replicas: 3, updatedReplicas: 1, availableReplicas: 2, observedGeneration: 2, conditions: [created] });
    const moving = rolloutStatus([rs('old', 1, 1), rs('web-1', 2, 2)], rs('web-1', 2, 2), d, now).status.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(moving?.reason, 'ReplicaSetUpdated');
    assert.equal(moving?.message, 'ReplicaSet "web-1" is progressing.');
    assert.equal(moving?.lastTransitionTime, '2025-01-01T00:00:00Z', 'still True: the transition time stays');
    assert.equal(moving?.lastUpdateTime, '2025-01-01T00:10:00Z');

    const done = rolloutStatus([rs('web-1', 3, 3)], rs('web-1', 3, 3), d, now).status.conditions?.find((c) => c.type === 'Progressing');
    assert.equal(done?.reason, 'NewReplicaSetAvailable');
    assert.equal(done?.message, 'ReplicaSet "web-1" has successfully progressed.');

    const stuck = deploy(3, { progressDeadlineSeconds: 60 }, { replicas: 2, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2, conditions: [created] });
    const late = rolloutStatus([rs('old', 1, 1), rs('web-1', 1, 0)], rs('web-1', 1, 0), stuck, now).status.conditions?.find((c) => c.type === 'Progressing');
    assert.deepEqual([late?.status, late?.reason, late?.message], ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-1" has timed out progressing.']);

    const early = rolloutStatus([rs('old', 1, 1), rs('web-1', 1, 0)], rs('web-1', 1, 0), stuck, Date.parse('2025-01-01T00:00:30Z'));
    assert.equal(early.status.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetCreated');
  });

  it('copies a ReplicaSet failure and drops Progressing without a deadline', () => {
    const failing = rs('web-1', 3, 0);
    failing.status = { ...failing.status!, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: '2025-01-01T00:01:00Z' }] };
    const d = deploy(3, { progressDeadlineSeconds: undefined });
    const s = rolloutStatus([failing], failing, d, now).status;
    assert.deepEqual(s.conditions?.find((c) => c.type === 'ReplicaFailure'), { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastUpdateTime: '2025-01-01T00:01:00Z', lastTransitionTime: '2025-01-01T00:01:00Z' });
    assert.equal(s.conditions?.find((c) => c.type === 'Progressing'), undefined);
  });
});
