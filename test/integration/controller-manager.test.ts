// `skiff controller-manager` runs the controllers alone against a server started with
// --disable-controller-manager, and takes the kube-controller-manager Lease.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { skiffMain, startSkiff, type SkiffServer } from '../helpers/skiff.js';

describe('skiff controller-manager', () => {
  let server: SkiffServer;
  let cm: ChildProcess | undefined;
  before(async () => {
    server = await startSkiff({ extraArgs: ['--disable-controller-manager'] });
  });
  after(async () => {
    if (cm && cm.exitCode === null) {
      const exited = new Promise((r) => cm!.once('exit', r));
      cm.kill('SIGTERM');
      await exited;
    }
    await server?.stop();
  });

  it('reconciles from another process once it leads', async () => {
    const ns = 'cm-alone';
    assert.equal((await server.request('POST', '/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }))).status, 201);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await server.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status, 404, 'the server itself runs no controllers');

    cm = spawn(process.execPath, [skiffMain, 'controller-manager', '--controllers', 'serviceaccount'], { env: { ...process.env, KUBECONFIG: server.kubeconfig }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    cm.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 20_000;
    while ((await server.request('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status !== 200) {
      assert.ok(Date.now() < deadline, `no default ServiceAccount from the controller-manager:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const lease = JSON.parse((await server.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager')).body) as { spec: { holderIdentity: string } };
    assert.match(lease.spec.holderIdentity, /_/);
    assert.match(log, /running serviceaccount/);
    assert.equal((await server.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`)).status, 404, 'only the selected controller runs');
  });
});
