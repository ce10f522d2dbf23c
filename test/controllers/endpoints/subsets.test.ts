// Endpoints subsets: ready / not-ready addresses, repacking by port set, truncation.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSubset, Pod, Service } from 'kubernetes-types/core/v1.js';
import { buildSubsets, repackSubsets, truncateSubsets } from '../../../src/controllers/endpoints/subsets.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns' }, spec: { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } };

function pod(name: string, ip: string, ready: boolean, port = 8080, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `u-${name}`, ...extra },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

const addr = (name: string, ip: string) => ({ ip, nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name, uid: `u-${name}` } });

describe('endpoints subsets', () => {
  it('puts ready pods in addresses and others in notReadyAddresses, grouped by port', () => {
    const subsets = buildSubsets(svc, [pod('b', '10.42.0.2', false), pod('a', '10.42.0.1', true), pod('c', '10.42.0.3', true, 9090)]);
    assert.deepEqual(subsets, [
      { addresses: [addr('a', '10.42.0.1')], notReadyAddresses: [addr('b', '10.42.0.2')], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      { addresses: [addr('c', '10.42.0.3')], ports: [{ name: 'http', port: 9090, protocol: 'TCP' }] },
    ]);
  });

  it('publishes not-ready (and terminating) pods as ready with publishNotReadyAddresses; drops terminating pods otherwise', () => {
    const terminating = pod('t', '10.42.0.4', true, 8080, { deletionTimestamp: '2024-01-01T00:00:00Z' });
    assert.deepEqual(buildSubsets(svc, [terminating]), []);
    const publish = { ...svc, spec: { ...svc.spec, publishNotReadyAddresses: true } };
    assert.deepEqual(buildSubsets(publish, [terminating, pod('b', '10.42.0.2', false)])[0]?.addresses?.map((a) => a.ip), ['10.42.0.2', '10.42.0.4']);
  });

  it('repacks addresses offering the same ports into one subset; ready wins', () => {
    const p80 = { name: 'a', port: 80, protocol: 'TCP' };
    const p81 = { name: 'b', port: 81, protocol: 'TCP' };
    const x = { ip: '10.0.0.1' };
    const y = { ip: '10.0.0.2' };
    const out = repackSubsets([
      { addresses: [x], ports: [p80] },
      { addresses: [x], ports: [p81] },
      { notReadyAddresses: [x], ports: [p80] },
      { addresses: [y], ports: [p80] },
    ]);
    assert.deepEqual(out, [
      { addresses: [x, y], ports: [p80] },
      { addresses: [x], ports: [p81] },
    ]);
  });

  it('truncates to the capacity, ready addresses first, each subset keeping its share', () => {
    const many = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.${base}.${Math.floor(i / 250)}.${i % 250}` }));
    const subsets: EndpointSubset[] = [
      { addresses: many(600, 1), notReadyAddresses: many(100, 2), ports: [{ port: 1 }] },
      { addresses: many(200, 3), notReadyAddresses: many(300, 4), ports: [{ port: 2 }] },
    ];
    assert.equal(truncateSubsets(subsets, 1000), true);
    const count = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
    assert.equal(count, 1000);
    assert.equal(subsets[0]!.addresses!.length + subsets[1]!.addresses!.length, 800);
    assert.equal(subsets[0]!.notReadyAddresses!.length, 50);
    assert.equal(subsets[1]!.notReadyAddresses!.length, 150);
    assert.equal(truncateSubsets([{ addresses: many(10, 5) }], 1000), false);
  });
});
