// `skiff reset` after a crash: the runtime is SIGKILLed with pods running; reset (the real CLI)
// removes their processes, mounts, netns, CNI attachments, cgroups and the bridge, and a
// second reset finds nothing to do.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { mountsUnder } from '../../../src/runtime/mount.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/cri-runtime.js';
import { skiffMain } from '../../helpers/skiff.js';

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('skiff reset', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startTestRuntime();
  });
  after(async () => {
    await rt?.stop();
  });

  it('removes what a crashed runtime left running, and is idempotent', async () => {
    await rt.client.pullImage({ image: { image: 'busybox' } });
    const pids: number[] = [];
    for (let i = 0; i < 2; i++) {
      // One pod with an infra container (a shared PID namespace), one with pinned namespaces.
      const config = {
        metadata: { name: `reset${i}`, namespace: 'test', uid: `u-${rt.tag}-${i}`, attempt: 0 },
        linux: { cgroup_parent: rt.cgroupParent, security_context: { namespace_options: { pid: i === 0 ? ('POD' as const) : ('CONTAINER' as const) } } },
        port_mappings: [{ protocol: 'TCP' as const, container_port: 80, host_port: 0 }],
      };
      const { pod_sandbox_id } = await rt.client.runPodSandbox({ config });
      const { container_id } = await rt.client.createContainer({ pod_sandbox_id, config: { metadata: { name: 'sleeper' }, image: { image: 'busybox' }, command: ['sleep', '3600'] }, sandbox_config: config });
      await rt.client.startContainer({ container_id });
      const info = JSON.parse((await rt.client.containerStatus({ container_id, verbose: true })).info.info ?? '{}') as { pid: number };
      pids.push(info.pid);
    }
    assert.ok(pids.every(alive), 'containers run');
    assert.equal((await readdir(join(rt.state, 'netns'))).length, 2);
    await rt.crash();
    assert.ok(pids.every(alive), 'containers outlive the runtime');

    const args = [skiffMain, 'reset', '--socket', rt.socket, '--root', rt.root, '--state', rt.state, '--bridge', `skt${rt.tag}`];
    const first = await run(process.execPath, args);
    assert.match(first.stdout, /removed sandboxes: 2/);
    assert.match(first.stdout, new RegExp(`removed bridge skt${rt.tag}`));
    for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} is gone`);
    assert.deepEqual((await mountsUnder(rt.dir)).map((m) => m.mountPoint), []);
    await assert.rejects(stat(join(rt.state, 'netns')), 'netns dir removed with the state');
    await assert.rejects(stat(`/sys/fs/cgroup/memory${rt.cgroupParent}`), 'pod cgroup parent removed');
    const routes = await readFile('/proc/net/dev', 'utf8');
    assert.ok(!routes.includes(`skt${rt.tag}`), 'bridge deleted');
    // Images are kept.
    assert.ok((await readdir(join(rt.root, 'content', 'blobs', 'sha256'))).length > 0);

    const second = await run(process.execPath, args);
    assert.match(second.stdout, /nothing to reset/);
  });

  it('refuses while a runtime serves the socket', async () => {
    const other = await startTestRuntime({ registry: rt.registry, busybox: rt.busybox });
    try {
      const err = await run(process.execPath, [skiffMain, 'reset', '--socket', other.socket, '--root', other.root, '--state', other.state]).then(
        () => assert.fail('reset should refuse'),
        (e: { stderr: string; code: number }) => e,
      );
      assert.equal(err.code, 1);
      assert.match(err.stderr, /a runtime is serving .*stop it/);
    } finally {
      await other.stop();
    }
  });
});
