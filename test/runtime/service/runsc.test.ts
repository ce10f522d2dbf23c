// The gVisor handler: the same two-container pod as with runc, selected by runtime_handler
// "runsc" — the containers run under gVisor's kernel (its dmesg says so), share the pod
// network (each container is its own gVisor sandbox on the pod's network namespace, see
// defaultHandlers), exec works, and removal leaves nothing.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mountsUnder } from '../../../src/runtime/mount.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/cri-runtime.js';
import { eventuallyWith } from '../../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 60_000, intervalMs: 200 });

describe('skiff runtime: runsc (gVisor) handler', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startTestRuntime();
    await rt.client.pullImage({ image: { image: 'busybox' } });
  });
  after(async () => {
    await rt?.stop();
  });

  it('lists runsc among the handlers', async () => {
    const s = await rt.client.status({});
    assert.deepEqual(s.runtime_handlers.map((h) => h.name), ['runc', 'runsc']);
  });

  it('runs a two-container pod under gVisor', async () => {
    const config = {
      metadata: { name: 'gvisor', namespace: 'test', uid: `g-${rt.tag}`, attempt: 0 },
      hostname: 'gvisor-pod',
      // kubelet's default: no shared PID namespace, so the pod's namespaces are pinned (no infra).
      linux: { cgroup_parent: rt.cgroupParent, security_context: { namespace_options: { pid: 'CONTAINER' as const } } },
    };
    const { pod_sandbox_id: sb } = await rt.client.runPodSandbox({ config, runtime_handler: 'runsc' });
    const status = await rt.client.podSandboxStatus({ pod_sandbox_id: sb });
    assert.equal(status.status?.runtime_handler, 'runsc');
    assert.equal(status.status?.state, 'SANDBOX_READY');
    const start = async (name: string, command: string[]): Promise<string> => {
      const { container_id } = await rt.client.createContainer({ pod_sandbox_id: sb, config: { metadata: { name }, image: { image: 'busybox' }, command }, sandbox_config: config });
      await rt.client.startContainer({ container_id });
      return container_id;
    };
    await start('server', ['sh', '-c', 'mkdir -p /www && echo hello-gvisor > /www/index.html && exec httpd -f -p 8080 -h /www']);
    const client = await start('client', ['sleep', '3600']);
    const page = await eventually('the client reaches the server over the pod network', async () => {
      // nc rather than wget: busybox wget's read gets EAGAIN from gVisor's host-network sockets.
      const r = await rt.client.execSync({ container_id: client, cmd: ['sh', '-c', 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc 127.0.0.1 8080'], timeout: 10 });
      return r.exit_code === 0 && r.stdout.toString().includes('hello-gvisor') ? r.stdout.toString() : undefined;
    });
    assert.match(page, /hello-gvisor/);
    const dmesg = await rt.client.execSync({ container_id: client, cmd: ['busybox', 'dmesg'], timeout: 10 });
    assert.match(dmesg.stdout.toString(), /gVisor/i, 'the kernel the container sees is gVisor');
    const host = await rt.client.execSync({ container_id: client, cmd: ['hostname'], timeout: 10 });
    assert.equal(host.stdout.toString(), 'gvisor-pod\n');
    await rt.client.removePodSandbox({ pod_sandbox_id: sb });
    assert.deepEqual((await rt.client.listContainers({})).containers, []);
    assert.deepEqual((await mountsUnder(rt.dir)).map((m) => m.mountPoint), []);
    assert.deepEqual(await readdir(join(rt.state, 'runsc')).catch(() => []), []);
  });
});
