import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create, createRaw, defaulted, makePod, withEdit, type Obj } from './fixtures.js';

const c0 = (p: Obj) => p.spec.containers[0];

/** [case, edit of a valid pod, one exact expected "field: message" line] */
const cases: [string, (p: Obj) => void, string][] = [
  ['containers required', (p) => (p.spec.containers = []), 'spec.containers: Required value'],
  ['container name required', (p) => (c0(p).name = ''), 'spec.containers[0].name: Required value'],
  ['container name is a DNS label', (p) => (c0(p).name = 'Main'), 'spec.containers[0].name: Invalid value: "Main": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')'],
  ['image required', (p) => (c0(p).image = ''), 'spec.containers[0].image: Required value'],
  ['image whitespace', (p) => (c0(p).image = ' busybox'), 'spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace'],
  ['duplicate container names', (p) => p.spec.containers.push({ name: 'main', image: 'x' }), 'spec.containers[1].name: Duplicate value: "main"'],
  ['init and regular names unique', (p) => (p.spec.initContainers = [{ name: 'main', image: 'x' }]), 'spec.initContainers[0].name: Duplicate value: "main"'],
  ['containerPort range', (p) => (c0(p).ports[0].containerPort = 70000), 'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
  ['containerPort required', (p) => (c0(p).ports[0].containerPort = 0), 'spec.containers[0].ports[0].containerPort: Required value'],
  ['hostPort range', (p) => (c0(p).ports[0].hostPort = 65536), 'spec.containers[0].ports[0].hostPort: Invalid value: 65536: must be between 1 and 65535, inclusive'],
  ['protocol enum', (p) => (c0(p).ports[0].protocol = 'HTTP'), 'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'],
  ['port name format', (p) => (c0(p).ports[0].name = 'HTTP'), 'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
  ['port names unique', (p) => c0(p).ports.push({ containerPort: 81, name: 'http' }), 'spec.containers[0].ports[1].name: Duplicate value: "http"'],
  ['host ports unique', (p) => (c0(p).ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 8080 }]), 'spec.containers[0].ports[1].hostPort: Duplicate value: "TCP//8080"'],
  [
    'env name',
    (p) => (c0(p).env = [{ name: '1X', value: 'v' }]),
    'spec.containers[0].env[0].name: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, \'_\', \'-\', or \'.\', and must not start with a digit (e.g. \'my.env-name\',  or \'MY_ENV.NAME\',  or \'MyEnvName1\', regex used for validation is \'[-._a-zA-Z][-._a-zA-Z0-9]*\')',
  ],
  ['env valueFrom needs a source', (p) => (c0(p).env = [{ name: 'X', valueFrom: {} }]), 'spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
  [
    'env fieldRef path',
    (p) => (c0(p).env = [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }]),
    'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
  ],
  ['secretKeyRef key', (p) => (c0(p).env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: '' } } }]), 'spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value'],
  ['request above limit', (p) => (c0(p).resources.requests.cpu = '2'), 'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
  ['negative quantity', (p) => (c0(p).resources = { requests: { memory: '-1Gi' } }), 'spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0'],
  [
    'bad quantity',
    (p) => (c0(p).resources = { limits: { memory: '1GB' } }),
    'spec.containers[0].resources.limits[memory]: Invalid value: "1GB": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
  ],
  ['resource name', (p) => (c0(p).resources = { limits: { gpu: '1' } }), 'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource type or fully qualified'],
  ['extended resources need limits', (p) => (c0(p).resources = { requests: { 'example.com/gpu': '1' } }), 'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources'],
  ['extended resources are whole', (p) => (c0(p).resources = { limits: { 'example.com/gpu': '500m' } }), 'spec.containers[0].resources.limits[example.com/gpu]: Invalid value: "500m": must be an integer'],
  ['volume names unique', (p) => (p.spec.volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }]), 'spec.volumes[1].name: Duplicate value: "v"'],
  ['one volume source', (p) => (p.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }]), 'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
  ['configMap volume name', (p) => (p.spec.volumes = [{ name: 'v', configMap: {} }]), 'spec.volumes[0].configMap.name: Required value'],
  ['file mode', (p) => (p.spec.volumes = [{ name: 'v', secret: { secretName: 's', defaultMode: 0o1000 } }]), 'spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive'],
  ['mount needs a volume', (p) => (c0(p).volumeMounts = [{ name: 'data', mountPath: '/data' }]), 'spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  ['mount paths unique', (p) => {
    p.spec.volumes = [{ name: 'v', emptyDir: {} }];
    c0(p).volumeMounts = [{ name: 'v', mountPath: '/d' }, { name: 'v', mountPath: '/d' }];
  }, 'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique'],
  ['subPath relative', (p) => {
    p.spec.volumes = [{ name: 'v', emptyDir: {} }];
    c0(p).volumeMounts = [{ name: 'v', mountPath: '/d', subPath: '../x' }];
  }, 'spec.containers[0].volumeMounts.subPath: Invalid value: "../x": must not contain \'..\''],
  ['restartPolicy enum', (p) => (p.spec.restartPolicy = 'Sometimes'), 'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  ['dnsPolicy enum', (p) => (p.spec.dnsPolicy = 'Google'), 'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'],
  ['imagePullPolicy enum', (p) => (c0(p).imagePullPolicy = 'Sometimes'), 'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"'],
  ['activeDeadlineSeconds', (p) => (p.spec.activeDeadlineSeconds = 0), 'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive'],
  ['probe handler', (p) => (c0(p).livenessProbe = { periodSeconds: 5 }), 'spec.containers[0].livenessProbe: Required value: must specify a handler type'],
  ['probe two handlers', (p) => (c0(p).readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } }), 'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
  ['liveness success threshold', (p) => (c0(p).livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 }), 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
  ['probe port name', (p) => (c0(p).readinessProbe = { httpGet: { port: 'Web' } }), 'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "Web": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
  ['init probes', (p) => (p.spec.initContainers = [{ name: 'init', image: 'x', readinessProbe: { exec: { command: ['true'] } } }]), 'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always'],
  ['host network ports', (p) => {
    p.spec.hostNetwork = true;
    c0(p).ports[0].hostPort = 8080;
  }, 'spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true'],
  ['tolerations', (p) => (p.spec.tolerations = [{ operator: 'Equal', value: 'x' }]), 'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'],
  ['nodeSelector labels', (p) => (p.spec.nodeSelector = { 'a/b/c': 'x' }), 'spec.nodeSelector: Invalid value: "a/b/c": a valid label key name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\') with an optional DNS subdomain prefix and \'/\' (e.g. \'example.com/MyName\')'.replace('key name part', 'key')],
  ['dnsConfig for None', (p) => (p.spec.dnsPolicy = 'None'), 'spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None'],
  ['hostname label', (p) => (p.spec.hostname = 'a.b'), 'spec.hostname: Invalid value: "a.b": must not contain dots'],
  ['ephemeral containers on create', (p) => (p.spec.ephemeralContainers = [{ name: 'dbg', image: 'x' }]), 'spec.ephemeralContainers: Forbidden: cannot be set on create'],
  ['runAsUser range', (p) => (c0(p).securityContext = { runAsUser: -1 }), 'spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive'],
];

describe('Pod validation on create', () => {
  it('accepts the valid fixture', () => {
    assert.deepEqual(create(makePod()), []);
  });

  for (const [name, edit, want] of cases) {
    it(name, () => {
      const errs = create(withEdit(makePod(), edit));
      assert.ok(errs.includes(want), `expected:\n  ${want}\ngot:\n  ${errs.join('\n  ')}`);
    });
  }

  it('requires the fields defaulting fills', () => {
    const pod = withEdit(defaulted(makePod()), (p) => {
      delete p.spec.terminationGracePeriodSeconds;
      delete p.spec.restartPolicy;
      delete p.spec.containers[0].terminationMessagePolicy;
    });
    assert.deepEqual(createRaw(pod), [
      'spec.terminationGracePeriodSeconds: Required value',
      'spec.containers[0].terminationMessagePolicy: Required value',
      'spec.restartPolicy: Required value',
    ]);
  });

  it('accepts a pod with every common volume source', () => {
    const pod = withEdit(makePod(), (p) => {
      p.spec.volumes = [
        { name: 'a', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'b', configMap: { name: 'cfg', items: [{ key: 'k', path: 'p' }] } },
        { name: 'c', secret: { secretName: 's' } },
        { name: 'd', persistentVolumeClaim: { claimName: 'pvc' } },
        { name: 'e', hostPath: { path: '/var/log', type: 'Directory' } },
        { name: 'f', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        { name: 'g', projected: { sources: [{ configMap: { name: 'cfg' } }, { secret: { name: 's' } }] } },
        { name: 'h' },
      ];
      c0(p).volumeMounts = p.spec.volumes.map((v: Obj) => ({ name: v.name, mountPath: `/mnt/${v.name}` }));
    });
    assert.deepEqual(create(pod), []);
  });

  it('never throws on malformed input', () => {
    const weird = withEdit(makePod(), (p) => {
      p.spec.containers = 'x';
      p.spec.volumes = [null, 3, { name: 7 }];
      p.metadata.labels = 'x';
    });
    assert.ok(create(weird).includes('spec.containers: Required value'));
  });
});
