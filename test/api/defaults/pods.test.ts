import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageTag } from '../../../src/api/defaults/index.js';
import { defaulted, makePod, withEdit } from '../validation/fixtures.js';

describe('Pod defaults', () => {
  it('fills the pod spec as upstream does', () => {
    const pod = defaulted({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    assert.deepEqual(pod.spec, {
      containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      enableServiceLinks: true,
    });
  });

  it('picks imagePullPolicy from the tag', () => {
    const policy = (image: string) => defaulted(withEdit(makePod(), (p) => (p.spec.containers[0].image = image))).spec.containers[0].imagePullPolicy;
    assert.equal(policy('nginx'), 'Always');
    assert.equal(policy('nginx:latest'), 'Always');
    assert.equal(policy('nginx:1.25'), 'IfNotPresent');
    assert.equal(policy('localhost:5000/team/app'), 'Always');
    assert.equal(policy('registry.local/app@sha256:' + 'a'.repeat(64)), 'IfNotPresent');
    assert.equal(policy('Invalid/Name'), 'IfNotPresent');
    assert.equal(imageTag('docker.io/library/busybox:1.36'), '1.36');
  });

  it('keeps explicit values', () => {
    const pod = defaulted(
      withEdit(makePod(), (p) => {
        p.spec.restartPolicy = 'Never';
        p.spec.terminationGracePeriodSeconds = 0;
        p.spec.containers[0].imagePullPolicy = 'Never';
        p.spec.serviceAccountName = 'builder';
      }),
    );
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 0);
    assert.equal(pod.spec.containers[0].imagePullPolicy, 'Never');
    assert.equal(pod.spec.serviceAccount, 'builder');
  });

  it('defaults ports, probes and requests from limits', () => {
    const pod = defaulted(
      withEdit(makePod(), (p) => {
        p.spec.containers[0].resources = { limits: { cpu: '0.5', memory: '1024Mi' } };
        p.spec.containers[0].livenessProbe = { httpGet: { port: 80 } };
        p.spec.containers[0].readinessProbe = { grpc: { port: 9000 }, periodSeconds: 3 };
      }),
    );
    const c = pod.spec.containers[0];
    assert.deepEqual(c.ports, [{ containerPort: 80, name: 'http', protocol: 'TCP' }]);
    assert.deepEqual(c.resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
    assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(c.readinessProbe, { grpc: { port: 9000, service: '' }, periodSeconds: 3, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  });

  it('rounds resource quantities up to milli units', () => {
    const pod = defaulted(withEdit(makePod(), (p) => (p.spec.containers[0].resources = { requests: { cpu: '100n', memory: 1e3 } })));
    assert.deepEqual(pod.spec.containers[0].resources.requests, { cpu: '1m', memory: '1k' });
  });

  it('defaults volumes', () => {
    const pod = defaulted(
      withEdit(makePod(), (p) => {
        p.spec.volumes = [
          { name: 'scratch' },
          { name: 'cfg', configMap: { name: 'c' } },
          { name: 'sec', secret: { secretName: 's' } },
          { name: 'host', hostPath: { path: '/x' } },
          { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 't' } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
        ];
      }),
    );
    assert.deepEqual(pod.spec.volumes, [
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 420 } },
      { name: 'host', hostPath: { path: '/x', type: '' } },
      {
        name: 'proj',
        projected: {
          defaultMode: 420,
          sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 3600 } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } }] } }],
        },
      },
    ]);
  });

  it('uses container ports as host ports on the host network', () => {
    const pod = defaulted(withEdit(makePod(), (p) => (p.spec.hostNetwork = true)));
    assert.equal(pod.spec.containers[0].ports[0].hostPort, 80);
  });

  it('is idempotent', () => {
    const once = defaulted(makePod());
    assert.deepEqual(defaulted(once), once);
  });
});
