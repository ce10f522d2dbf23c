// Endpoint conditions, inclusion, ports, hostname and the trigger-time tracker.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { endpointPorts, findPort, podToEndpoint, rfc3339Nano, serviceAddressTypes, shouldPodBeInEndpoints } from '../../../src/controllers/endpointslice/endpoint.js';
import { TriggerTimeTracker } from '../../../src/controllers/endpointslice/trigger-time.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns', uid: 's' }, spec: { clusterIP: '10.43.0.5', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } };

function pod(opts: { ready?: boolean; ip?: string; deleting?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'pu', ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', hostname: 'h', subdomain: 'web', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
    status: { phase: opts.phase ?? 'Running', ...(opts.ip ? { podIP: opts.ip, podIPs: [{ ip: opts.ip }] } : {}), conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }] },
  };
}

describe('endpoint conditions', () => {
  const cases: [string, Pod, Service, { ready: boolean; serving: boolean; terminating: boolean }][] = [
    ['ready pod', pod({ ready: true, ip: '10.42.0.1' }), svc, { ready: true, serving: true, terminating: false }],
    ['not ready pod', pod({ ready: false, ip: '10.42.0.1' }), svc, { ready: false, serving: false, terminating: false }],
    ['terminating ready pod', pod({ ready: true, ip: '10.42.0.1', deleting: true }), svc, { ready: false, serving: true, terminating: true }],
    ['publishNotReadyAddresses', pod({ ready: false, ip: '10.42.0.1', deleting: true }), { ...svc, spec: { ...svc.spec, publishNotReadyAddresses: true } }, { ready: true, serving: false, terminating: true }],
  ];
  for (const [name, p, s, want] of cases) {
    it(name, () => assert.deepEqual(podToEndpoint(p, undefined, s, 'IPv4').conditions, want));
  }

  it('carries address, node, zone, hostname and targetRef', () => {
    const node = { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } };
    assert.deepEqual(podToEndpoint(pod({ ready: true, ip: '10.42.0.1' }), node, svc, 'IPv4'), {
      addresses: ['10.42.0.1'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'ns', name: 'p', uid: 'pu' },
      hostname: 'h',
      nodeName: 'n1',
      zone: 'z1',
    });
    assert.deepEqual(podToEndpoint(pod({ ip: '10.42.0.1' }), undefined, svc, 'IPv6').addresses, []);
  });

  it('includes pods with an IP that are not terminal', () => {
    assert.equal(shouldPodBeInEndpoints(pod({ ip: '10.42.0.1' }), true), true);
    assert.equal(shouldPodBeInEndpoints(pod({}), true), false);
    assert.equal(shouldPodBeInEndpoints(pod({ ip: '10.42.0.1', phase: 'Succeeded' }), true), false);
    assert.equal(shouldPodBeInEndpoints(pod({ ip: '10.42.0.1', deleting: true }), false), false);
  });
});

describe('ports', () => {
  it('resolves numbers and named container ports of the same protocol', () => {
    const p = pod();
    assert.equal(findPort(p, { port: 80, targetPort: 'http', protocol: 'TCP' }), 8080);
    assert.equal(findPort(p, { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined);
    assert.equal(findPort(p, { port: 80, targetPort: 9090 }), 9090);
    assert.equal(findPort(p, { port: 80 }), 80);
    const two: Service = { ...svc, spec: { ...svc.spec, ports: [...(svc.spec?.ports ?? []), { name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' }] } };
    assert.deepEqual(endpointPorts(two, p), [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  });

  it('chooses address types from ipFamilies or the cluster IP', () => {
    assert.deepEqual(serviceAddressTypes(svc), ['IPv4']);
    assert.deepEqual(serviceAddressTypes({ spec: { ipFamilies: ['IPv6'] } }), ['IPv6']);
    assert.deepEqual(serviceAddressTypes({ spec: { clusterIP: 'None' } }), ['IPv4', 'IPv6']);
  });
});

describe('trigger time', () => {
  it('reports service creation first, then the earliest newly changed pod', () => {
    const t = new TriggerTimeTracker();
    const s: Service = { ...svc, metadata: { ...svc.metadata, creationTimestamp: '2024-01-01T00:00:00Z' } };
    const withReady = (name: string, at: string): Pod => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }] } });
    assert.equal(t.compute('ns/web', s, []), Date.parse('2024-01-01T00:00:00Z'));
    assert.equal(t.compute('ns/web', s, []), undefined);
    const a = withReady('a', '2024-01-01T00:01:00Z');
    const b = withReady('b', '2024-01-01T00:02:00Z');
    assert.equal(t.compute('ns/web', s, [a, b]), Date.parse('2024-01-01T00:01:00Z'));
    assert.equal(t.compute('ns/web', s, [a, withReady('b', '2024-01-01T00:03:00Z')]), Date.parse('2024-01-01T00:03:00Z'));
    assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:03:00.120Z')), '2024-01-01T00:03:00.12Z');
    assert.equal(rfc3339Nano(Date.parse('2024-01-01T00:03:00Z')), '2024-01-01T00:03:00Z');
  });
});
