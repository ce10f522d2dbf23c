import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaulted, makeCronJob, makeJob, makeObject, makeService, makeWorkload, withEdit } from '../validation/fixtures.js';

describe('workload defaults', () => {
  it('Deployment', () => {
    const d = defaulted(makeWorkload('Deployment'));
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.progressDeadlineSeconds, 600);
    // Templates get pod spec defaults but not the pod-only ones.
    assert.equal(d.spec.template.spec.restartPolicy, 'Always');
    assert.equal(d.spec.template.spec.schedulerName, 'default-scheduler');
    assert.equal(d.spec.template.spec.serviceAccountName, undefined);
    assert.equal(d.spec.template.spec.enableServiceLinks, undefined);
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  it('Recreate deployments get no rollingUpdate', () => {
    const d = defaulted(withEdit(makeWorkload('Deployment'), (o) => (o.spec.strategy = { type: 'Recreate' })));
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
  });

  it('ReplicaSet, StatefulSet, DaemonSet', () => {
    assert.equal(defaulted(makeWorkload('ReplicaSet')).spec.replicas, 1);
    const sts = defaulted(makeWorkload('StatefulSet'));
    assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(sts.spec.revisionHistoryLimit, 10);
    const ds = defaulted(makeWorkload('DaemonSet'));
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(ds.spec.revisionHistoryLimit, 10);
  });

  it('Job', () => {
    const job = defaulted(makeJob());
    assert.equal(job.spec.completions, 1);
    assert.equal(job.spec.parallelism, 1);
    assert.equal(job.spec.backoffLimit, 6);
    assert.equal(job.spec.completionMode, 'NonIndexed');
    assert.equal(job.spec.suspend, false);
    assert.equal(job.spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(job.spec.template.metadata.labels, {
      'job-name': 'pi',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'uid-pi',
      'batch.kubernetes.io/controller-uid': 'uid-pi',
    });
    assert.deepEqual(job.metadata.labels, job.spec.template.metadata.labels);
    const parallel = defaulted(withEdit(makeJob(), (j) => (j.spec.parallelism = 3)));
    assert.equal(parallel.spec.completions, undefined);
  });

  it('CronJob', () => {
    const cj = defaulted(makeCronJob());
    assert.equal(cj.spec.concurrencyPolicy, 'Allow');
    assert.equal(cj.spec.suspend, false);
    assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
    assert.equal(cj.spec.failedJobsHistoryLimit, 1);
    assert.equal(cj.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
    assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
  });
});

describe('core defaults', () => {
  it('Service', () => {
    const svc = defaulted(makeService());
    assert.deepEqual(svc.spec, {
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
    });
    const lb = defaulted(withEdit(makeService(), (s) => Object.assign(s.spec, { type: 'LoadBalancer', sessionAffinity: 'ClientIP', clusterIP: '10.43.0.9' })));
    assert.equal(lb.spec.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    assert.deepEqual(lb.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    assert.deepEqual(lb.spec.clusterIPs, ['10.43.0.9']);
  });

  it('Namespace', () => {
    const ns = defaulted(makeObject('v1', 'Namespace', 'team', undefined));
    assert.deepEqual(ns.metadata.labels, { 'kubernetes.io/metadata.name': 'team' });
    assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
    assert.deepEqual(ns.status, { phase: 'Active' });
  });

  it('Secret stringData becomes data', () => {
    const s = defaulted(makeObject('v1', 'Secret', 's', 'default', { stringData: { user: 'admin' }, data: { pw: 'eA==' } }));
    assert.deepEqual(s.data, { pw: 'eA==', user: Buffer.from('admin').toString('base64') });
    assert.equal(s.stringData, undefined);
    assert.equal(s.type, 'Opaque');
  });

  it('storage', () => {
    const pvc = defaulted(makeObject('v1', 'PersistentVolumeClaim', 'c', 'default', { spec: { resources: { requests: { storage: '1024Mi' } } } }));
    assert.equal(pvc.spec.volumeMode, 'Filesystem');
    assert.equal(pvc.spec.resources.requests.storage, '1Gi');
    assert.deepEqual(pvc.status, { phase: 'Pending' });
    const pv = defaulted(makeObject('v1', 'PersistentVolume', 'v', undefined, { spec: { capacity: { storage: '1Gi' } } }));
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.equal(pv.spec.volumeMode, 'Filesystem');
  });

  it('LimitRange container defaults come from max and min', () => {
    const lr = defaulted(makeObject('v1', 'LimitRange', 'l', 'default', { spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } }));
    const item = lr.spec.limits[0];
    assert.deepEqual(item.default, { cpu: '2' });
    assert.deepEqual(item.defaultRequest, { cpu: '2', memory: '64Mi' });
  });

  it('Node allocatable defaults to capacity', () => {
    const node = defaulted(makeObject('v1', 'Node', 'n', undefined, { status: { capacity: { cpu: '4', memory: '8192Mi' } } }));
    assert.deepEqual(node.status.allocatable, { cpu: '4', memory: '8Gi' });
  });
});

describe('other defaults', () => {
  it('RBAC bindings, PriorityClass, EndpointSlice', () => {
    const rb = defaulted(makeObject('rbac.authorization.k8s.io/v1', 'RoleBinding', 'b', 'default', { roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'Group', name: 'g' }] }));
    assert.equal(rb.roleRef.apiGroup, 'rbac.authorization.k8s.io');
    assert.deepEqual(rb.subjects.map((s: { apiGroup: string }) => s.apiGroup), ['', 'rbac.authorization.k8s.io']);
    assert.equal(defaulted(makeObject('scheduling.k8s.io/v1', 'PriorityClass', 'p', undefined, { value: 1 })).preemptionPolicy, 'PreemptLowerPriority');
    const slice = defaulted(makeObject('discovery.k8s.io/v1', 'EndpointSlice', 's', 'default', { addressType: 'IPv4', ports: [{ port: 80 }] }));
    assert.deepEqual(slice.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  });
});
