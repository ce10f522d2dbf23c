import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, defaulted, makeObject, makeService, update, withEdit, type Obj } from './fixtures.js';

const cases: [string, (s: Obj) => void, string][] = [
  [
    'name is a DNS-1035 label',
    (s) => (s.metadata.name = '1web'),
    "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ],
  ['ports required', (s) => (s.spec.ports = []), 'spec.ports: Required value'],
  ['port range', (s) => (s.spec.ports[0].port = 0), 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
  ['protocol enum', (s) => (s.spec.ports[0].protocol = 'ICMP'), 'spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
  ['targetPort name', (s) => (s.spec.ports[0].targetPort = 'Web'), 'spec.ports[0].targetPort: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
  ['names required for several ports', (s) => s.spec.ports.push({ port: 443, name: 'https' }), 'spec.ports[0].name: Required value'],
  ['duplicate ports', (s) => (s.spec.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 80 }]), 'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'],
  ['type enum', (s) => (s.spec.type = 'Internal'), 'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
  ['nodePort on ClusterIP', (s) => (s.spec.ports[0].nodePort = 30080), "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
  ['session affinity', (s) => (s.spec.sessionAffinity = 'Cookie'), 'spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"'],
  ['selector labels', (s) => (s.spec.selector = { app: 'x'.repeat(64) }), `spec.selector: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`],
  ['clusterIP valid', (s) => (s.spec.clusterIP = '10.0.0.300'), 'spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  ['externalName', (s) => (s.spec = { type: 'ExternalName' }), 'spec.externalName: Required value'],
  ['headless NodePort', (s) => Object.assign(s.spec, { type: 'NodePort', clusterIP: 'None' }), "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
  ['externalTrafficPolicy on ClusterIP', (s) => (s.spec.externalTrafficPolicy = 'Local'), 'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
  ['loopback external IP', (s) => (s.spec.externalIPs = ['127.0.0.1']), 'spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
];

describe('Service validation', () => {
  it('accepts the valid fixture, NodePort, headless and ExternalName services', () => {
    assert.deepEqual(create(makeService()), []);
    assert.deepEqual(create(withEdit(makeService(), (s) => (s.spec.type = 'NodePort'))), []);
    assert.deepEqual(create(withEdit(makeService(), (s) => (s.spec.clusterIP = 'None'))), []);
    assert.deepEqual(create(withEdit(makeService(), (s) => (s.spec = { type: 'ExternalName', externalName: 'db.example.com.' }))), []);
  });

  for (const [name, edit, want] of cases) {
    it(name, () => {
      const errs = create(withEdit(makeService(), edit));
      assert.ok(errs.includes(want), `expected:\n  ${want}\ngot:\n  ${errs.join('\n  ')}`);
    });
  }

  it('keeps the cluster IP once set', () => {
    const stored = withEdit(defaulted(makeService()), (s) => {
      s.spec.clusterIP = '10.43.0.10';
      s.spec.clusterIPs = ['10.43.0.10'];
    });
    assert.deepEqual(update(withEdit(stored, (s) => (s.spec.ports[0].port = 8080)), stored), []);
    assert.deepEqual(
      update(
        withEdit(stored, (s) => {
          s.spec.clusterIP = '10.43.0.11';
          s.spec.clusterIPs = ['10.43.0.11'];
        }),
        stored,
      ),
      ['spec.clusterIPs[0]: Invalid value: []string{"10.43.0.11"}: may not change once set'],
    );
  });
});

describe('Endpoints validation', () => {
  const ep = makeObject('v1', 'Endpoints', 'web', 'default', { subsets: [{ addresses: [{ ip: '10.42.0.5' }], ports: [{ port: 80 }] }] });

  it('accepts valid endpoints and checks addresses and ports', () => {
    assert.deepEqual(create(ep), []);
    assert.deepEqual(create(withEdit(ep, (e) => (e.subsets[0].addresses = []))), ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']);
    assert.deepEqual(create(withEdit(ep, (e) => (e.subsets[0].addresses[0].ip = '169.254.1.1'))), [
      'subsets[0].addresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
    ]);
    assert.deepEqual(create(withEdit(ep, (e) => (e.subsets[0].ports[0].port = 0))), ['subsets[0].ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']);
  });
});
