// The proof: real kubectl 1.33 and 1.32 send protobuf bodies to a fake API server, which decodes
// them with decodeK8sProtobuf; each decoded object must equal what the same kubectl command prints
// with `--dry-run=client -o json` (the JSON form of the very object it would send).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isK8sProtobuf } from '../../../src/api/protobuf/index.js';
import { startFakeApiserver, type FakeApiserver } from './fake-apiserver.js';

let api: FakeApiserver;
let files: string;

before(async () => {
  api = await startFakeApiserver();
  files = mkdtempSync(join(tmpdir(), 'skiff-proto-files-'));
  writeFileSync(join(files, 'bin.dat'), Buffer.from([0, 1, 0xfe, 0xff, 0x62]));
});

after(async () => {
  await api.close();
  rmSync(files, { recursive: true, force: true });
});

interface Case {
  args: string[];
  /** Whether this kubectl version sends the body as protobuf (kubectl run still sends JSON). */
  protobuf: boolean;
}

const cases = (): Case[] => [
  { args: ['create', 'configmap', 'x', '--from-literal=a=b'], protobuf: true },
  { args: ['create', 'configmap', 'bin', `--from-file=b=${join(files, 'bin.dat')}`, '--from-literal=x=y'], protobuf: true },
  { args: ['create', 'namespace', 'team-a'], protobuf: true },
  { args: ['create', 'deployment', 'web', '--image=busybox', '--replicas=2', '--port=80'], protobuf: true },
  { args: ['create', 'deployment', 'idle', '--image=nginx', '--image=redis', '--replicas=0'], protobuf: true },
  { args: ['create', 'secret', 'generic', 's', '--from-literal=k=v'], protobuf: true },
  { args: ['create', 'secret', 'docker-registry', 'reg', '--docker-username=u', '--docker-password=p', '--docker-server=r.example'], protobuf: true },
  { args: ['run', 'p', '--image=busybox', '--restart=Never', '--labels=a=b', '--env=X=1'], protobuf: false },
  { args: ['create', 'service', 'clusterip', 's', '--tcp=80:8080'], protobuf: true },
  { args: ['create', 'service', 'nodeport', 'np', '--tcp=80:http', '--node-port=30080'], protobuf: true },
  { args: ['create', 'service', 'externalname', 'en', '--external-name=example.com'], protobuf: true },
  { args: ['create', 'job', 'j', '--image=busybox'], protobuf: true },
  { args: ['create', 'cronjob', 'c', '--image=busybox', '--schedule=*/1 * * * *'], protobuf: true },
  { args: ['create', 'priorityclass', 'pc', '--value=10'], protobuf: true },
  { args: ['create', 'priorityclass', 'pc0', '--value=0', '--global-default=true', '--preemption-policy=Never', '--description=d'], protobuf: true },
  { args: ['create', 'role', 'r', '--verb=get', '--resource=pods'], protobuf: true },
  { args: ['create', 'rolebinding', 'rb', '--role=r', '--user=u1', '--serviceaccount=default:sa', '--group=g'], protobuf: true },
  { args: ['create', 'clusterrole', 'cr', '--verb=get,list', '--resource=pods,deployments.apps', '--resource-name=a'], protobuf: true },
  { args: ['create', 'clusterrole', 'agg', '--aggregation-rule=x=y'], protobuf: true },
  { args: ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--user=u'], protobuf: true },
  { args: ['create', 'serviceaccount', 'sa'], protobuf: true },
  { args: ['create', 'poddisruptionbudget', 'pdb', '--selector=app=x', '--min-available=50%'], protobuf: true },
  { args: ['create', 'quota', 'q', '--hard=cpu=1,memory=1Gi,pods=2', '--scopes=BestEffort'], protobuf: true },
];

for (const version of ['1.33', '1.32']) {
  const installed = existsSync(`/usr/lib/google-cloud-sdk/bin/kubectl.${version}`);
  describe(`kubectl ${version}`, { skip: installed ? false : `kubectl ${version} is not installed` }, () => {
    test('each create sends a body that decodes to exactly its --dry-run=client -o json object', async () => {
      for (const c of cases()) {
        const label = `kubectl ${c.args.join(' ')}`;
        const before = api.writes.length;
        const real = await api.kubectl(version, [...c.args, '-o', 'json']);
        assert.equal(real.code, 0, `${label}: ${real.stderr}`);
        const sent = api.writes.slice(before);
        assert.equal(sent.length, 1, `${label}: expected exactly one write`);
        assert.equal(isK8sProtobuf(sent[0]!.contentType), c.protobuf, `${label}: sent ${sent[0]!.contentType}`);
        const dry = await api.kubectl(version, [...c.args, '--dry-run=client', '-o', 'json']);
        assert.equal(dry.code, 0, `${label} --dry-run: ${dry.stderr}`);
        const expected = JSON.parse(dry.stdout) as unknown;
        assert.deepEqual(sent[0]!.object, expected, `${label}: decoded body differs from kubectl's JSON`);
        assert.deepEqual(JSON.parse(real.stdout), expected, `${label}: kubectl printed something else than it sent`);
      }
    });

    test('create token sends a TokenRequest whose unset status prints as Go prints it', async () => {
      const before = api.writes.length;
      const r = await api.kubectl(version, ['create', 'token', 'sa', '--duration=10m', '--audience=a1', '--bound-object-kind=Pod', '--bound-object-name=p', '--bound-object-uid=u1']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'fake-token');
      const [sent] = api.writes.slice(before);
      assert.ok(sent && isK8sProtobuf(sent.contentType), 'the TokenRequest is sent as protobuf');
      assert.equal(sent.path, '/api/v1/namespaces/default/serviceaccounts/sa/token');
      assert.deepEqual(sent.object, {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: { audiences: ['a1'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u1' } },
        status: { token: '', expirationTimestamp: null },
      });
    });

    test('drain evicts through policy/v1 Eviction with deleteOptions', async () => {
      const before = api.writes.length;
      const r = await api.kubectl(version, ['drain', 'n1', '--grace-period=5', '--timeout=30s']);
      assert.equal(r.code, 0, r.stderr);
      const eviction = api.writes.slice(before).find((w) => w.path.endsWith('/eviction'));
      assert.ok(eviction, `no eviction was posted: ${JSON.stringify(api.writes.slice(before).map((w) => w.path))}`);
      assert.deepEqual(eviction.object, {
        kind: 'Eviction',
        apiVersion: 'policy/v1',
        metadata: { name: 'p1', namespace: 'default', creationTimestamp: null },
        deleteOptions: { gracePeriodSeconds: 5 },
      });
    });
  });
}
