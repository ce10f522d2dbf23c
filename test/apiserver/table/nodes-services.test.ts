import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, HOUR, MIN, ago, cells, headers } from './fixtures.js';

describe('node table', () => {
  it('has upstream columns', () => {
    assert.deepEqual(headers('', 'Node'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP*', 'EXTERNAL-IP*', 'OS-IMAGE*', 'KERNEL-VERSION*', 'CONTAINER-RUNTIME*']);
  });

  it('prints a ready control-plane node', () => {
    const node = {
      metadata: {
        name: 'n1',
        creationTimestamp: ago(2 * DAY + 5 * HOUR),
        labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': 'true', 'kubernetes.io/role': 'etcd', 'node-role.kubernetes.io/': 'x' },
      },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '192.168.1.10' },
        ],
        nodeInfo: { kubeletVersion: 'v1.33.0-skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'skiff://0.1.0' },
      },
    };
    assert.deepEqual(cells('', 'Node', node), [
      'n1',
      'Ready',
      'control-plane,etcd,master',
      '2d5h',
      'v1.33.0-skiff',
      '192.168.1.10',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.1.0-18-amd64',
      'skiff://0.1.0',
    ]);
  });

  it('prints NotReady, SchedulingDisabled and unknown system info', () => {
    const node = { metadata: { name: 'n2', creationTimestamp: ago(45 * DAY) }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    assert.deepEqual(cells('', 'Node', node), ['n2', 'NotReady,SchedulingDisabled', '<none>', '45d', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
    assert.equal(cells('', 'Node', { metadata: { name: 'n3' } })[1], 'Unknown');
  });

  it('prints namespaces', () => {
    assert.deepEqual(headers('', 'Namespace'), ['NAME', 'STATUS', 'AGE']);
    assert.deepEqual(cells('', 'Namespace', { metadata: { name: 'kube-system', creationTimestamp: ago(3 * HOUR) }, status: { phase: 'Active' } }), ['kube-system', 'Active', '3h']);
  });
});

describe('service table', () => {
  it('has upstream columns', () => {
    assert.deepEqual(headers('', 'Service'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR*']);
  });

  const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): Record<string, unknown> => ({
    metadata: { name: 's', creationTimestamp: ago(5 * MIN) },
    spec,
    status,
  });

  it('prints ClusterIP, NodePort, LoadBalancer and ExternalName services', () => {
    assert.deepEqual(
      cells('', 'Service', svc({ type: 'ClusterIP', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { 'k8s-app': 'dns' } })),
      ['s', 'ClusterIP', '10.43.0.10', '<none>', '53/UDP,53/TCP', '5m', 'k8s-app=dns'],
    );
    assert.deepEqual(
      cells('', 'Service', svc({ type: 'NodePort', clusterIP: '10.43.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }], externalIPs: ['1.2.3.4'] })),
      ['s', 'NodePort', '10.43.0.11', '1.2.3.4', '80:30080/TCP', '5m', '<none>'],
    );
    assert.equal(cells('', 'Service', svc({ type: 'LoadBalancer', clusterIP: '10.43.0.12', ports: [{ port: 80, nodePort: 31000 }] }))[3], '<pending>');
    assert.equal(
      cells('', 'Service', svc({ type: 'LoadBalancer', clusterIP: '10.43.0.12' }, { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { hostname: 'lb.example.com' }, { ip: '5.6.7.8' }] } }))[3],
      '5.6.7.8,lb.example.com',
    );
    assert.deepEqual(cells('', 'Service', svc({ type: 'ExternalName', externalName: 'db.example.com' })), ['s', 'ExternalName', '<none>', 'db.example.com', '<none>', '5m', '<none>']);
    assert.equal(cells('', 'Service', svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] }))[2], 'None');
  });

  it('prints endpoints with the three-address limit', () => {
    const ep = {
      metadata: { name: 'e', creationTimestamp: ago(MIN) },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::2' }], ports: [{ port: 80 }, { port: 443 }] }],
    };
    assert.deepEqual(headers('', 'Endpoints'), ['NAME', 'ENDPOINTS', 'AGE']);
    assert.deepEqual(cells('', 'Endpoints', ep), ['e', '10.0.0.1:80,[fd00::2]:80,10.0.0.1:443 + 1 more...', '60s']);
    assert.equal(cells('', 'Endpoints', { metadata: { name: 'e' } })[1], '<none>');
    assert.equal(cells('', 'Endpoints', { metadata: { name: 'e' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }] }] })[1], '10.0.0.1');
  });

  it('prints endpoint slices', () => {
    assert.deepEqual(headers('discovery.k8s.io', 'EndpointSlice'), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    const slice = {
      metadata: { name: 's-abc', creationTimestamp: ago(MIN) },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 80 }, { name: 'any' }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }],
    };
    assert.deepEqual(cells('discovery.k8s.io', 'EndpointSlice', slice), ['s-abc', 'IPv4', '80,any', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '60s']);
    assert.deepEqual(cells('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'x' }, addressType: 'IPv6' }).slice(2, 4), ['<unset>', '<unset>']);
  });
});
