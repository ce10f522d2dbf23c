// The real `skiff crictl` CLI (compiled) against two real CRI runtimes: skiff's own
// (`skiff runtime`) and Debian's containerd 1.6 as a pod-capable peer (catatonit pause image and
// busybox from a local docker-registry through a docker.io mirror, a CNI bridge). On each, one
// pod with one container goes through its whole life: pull, images, runp, create, start, ps,
// exec, logs, inspect*, stats, stop, rm, stopp, rmp, rmi.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBusyboxImage } from '../../scripts/build-test-image.js';
import { eventuallyWith } from '../helpers/eventually.js';
import { startRegistry, type LocalRegistry } from '../helpers/registry.js';
import { runSkiff, type CliResult } from '../helpers/run-skiff.js';
import { startContainerdPeer } from './containerd-peer.js';
import { startTestRuntime } from '../helpers/cri-runtime.js';

const eventually = eventuallyWith({ timeoutMs: 60_000, intervalMs: 250 });
const HEX64 = /^[0-9a-f]{64}$/;

interface Target {
  socket: string;
  subnet: string;
  stop(): Promise<void>;
}

const targets: Record<string, (registry: LocalRegistry) => Promise<Target>> = {
  skiff: async (registry) => {
    const rt = await startTestRuntime({ registry });
    return { socket: rt.socket, subnet: rt.podCidr, stop: () => rt.stop() };
  },
  containerd: async (registry) => {
    const peer = await startContainerdPeer({ registry });
    return { socket: peer.socket, subnet: peer.pods?.subnet ?? '?', stop: () => peer.stop() };
  },
};

for (const [runtime, start] of Object.entries(targets)) describe(`skiff crictl against ${runtime}`, () => {
  let work: string;
  let registry: LocalRegistry | undefined;
  let peer: Target | undefined;
  let podId = '';
  let ctrId = '';
  let imageId = '';
  const logDir = (): string => join(work, 'logs');

  const crictl = async (args: string[], expectCode = 0): Promise<CliResult> => {
    const r = await runSkiff(['crictl', '--runtime-endpoint', `unix://${peer?.socket}`, ...args]);
    assert.equal(r.code, expectCode, `skiff crictl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-crictl-'));
    registry = await startRegistry();
    const busybox = await buildBusyboxImage(join(work, 'busybox'));
    await registry.push(busybox.dir, 'library/busybox:latest');
    peer = await start(registry);
    await writeFile(
      join(work, 'pod.json'),
      JSON.stringify({ metadata: { name: 'crictl-test', namespace: 'skiff-test', uid: 'crictl-test-uid', attempt: 1 }, log_directory: logDir(), labels: { app: 'crictl' } }),
    );
    await writeFile(
      join(work, 'container.yaml'),
      [
        'metadata:',
        '  name: app',
        'image:',
        '  image: busybox',
        // The pause keeps the two lines' order in the log: containerd's shim copies stdout and
        // stderr concurrently, so lines written at once may land in either order (--tail 1 below).
        'command: ["sh", "-c", "echo hello from app; sleep 0.2; echo oops >&2; while true; do sleep 1; done"]',
        'labels:',
        '  io.kubernetes.pod.name: crictl-test',
        '  io.kubernetes.pod.namespace: skiff-test',
        'log_path: app/0.log',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await peer?.stop();
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('version and info', async () => {
    const v = await crictl(['version']);
    assert.match(v.stdout, new RegExp(`^Version:  0\\.1\\.0\\nRuntimeName:  ${runtime}\\nRuntimeVersion:  \\S+\\nRuntimeApiVersion:  v1\\n$`));
    const info = JSON.parse((await crictl(['info'])).stdout) as { status: { conditions: { type: string; status: boolean }[] }; config?: unknown };
    assert.deepEqual(info.status.conditions.map((c) => [c.type, c.status]), [['RuntimeReady', true], ['NetworkReady', true]]);
    assert.equal(typeof info.config, 'object');
  });

  it('pull through the docker.io mirror, then images and inspecti', async () => {
    const pull = await crictl(['pull', 'busybox']);
    const m = /^Image is up to date for (sha256:[0-9a-f]{64})\n$/.exec(pull.stdout);
    assert.ok(m, pull.stdout);
    imageId = m[1] as string;
    const table = (await crictl(['images'])).stdout.split('\n');
    assert.match(table[0] as string, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    assert.ok(table.some((l) => new RegExp(`^docker\\.io/library/busybox\\s+latest\\s+${imageId.slice(7, 20)}\\s+[0-9.]+[kM]B$`).test(l)), table.join('\n'));
    assert.match((await crictl(['images', '--digests'])).stdout, /^IMAGE\s+TAG\s+DIGEST\s+IMAGE ID\s+SIZE\n/);
    assert.ok((await crictl(['images', '-q'])).stdout.split('\n').includes(imageId));
    const json = JSON.parse((await crictl(['images', '-o', 'json'])).stdout) as { images: { id: string; size: string; repoTags: string[] }[] };
    assert.equal(typeof json.images.find((i) => i.id === imageId)?.size, 'string');
    const inspecti = JSON.parse((await crictl(['inspecti', imageId.slice(7, 19)])).stdout) as { status: { id: string; repoTags: string[] } };
    assert.deepEqual([inspecti.status.id, inspecti.status.repoTags], [imageId, ['docker.io/library/busybox:latest']]);
  });

  it('runp, pods, inspectp', async () => {
    podId = (await crictl(['runp', join(work, 'pod.json')])).stdout.trim();
    assert.match(podId, HEX64);
    const table = (await crictl(['pods'])).stdout.split('\n');
    assert.match(table[0] as string, /^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT\s+RUNTIME$/);
    assert.match(table[1] as string, new RegExp(`^${podId.slice(0, 13)}\\s+.+ ago\\s+Ready\\s+crictl-test\\s+skiff-test\\s+1\\s+\\(default\\)$`));
    assert.equal((await crictl(['pods', '-q', '--label', 'app=crictl'])).stdout, `${podId}\n`);
    assert.equal((await crictl(['pods', '-q', '--name', '^nomatch$'])).stdout, '');
    const st = JSON.parse((await crictl(['inspectp', podId.slice(0, 8)])).stdout) as { status: { id: string; state: string; network: { ip: string }; createdAt: string } };
    assert.equal(st.status.id, podId);
    assert.equal(st.status.state, 'SANDBOX_READY');
    assert.ok(st.status.network.ip.startsWith(peer?.subnet.split('.').slice(0, 3).join('.') ?? '?'), st.status.network.ip);
    assert.match(st.status.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  });

  it('create, start, ps', async () => {
    ctrId = (await crictl(['create', podId.slice(0, 10), join(work, 'container.yaml'), join(work, 'pod.json')])).stdout.trim();
    assert.match(ctrId, HEX64);
    assert.equal((await crictl(['start', ctrId.slice(0, 6)])).stdout, `${ctrId.slice(0, 6)}\n`);
    const ps = (await crictl(['ps'])).stdout.split('\n');
    assert.match(ps[0] as string, /^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD\s+NAMESPACE$/);
    assert.match(ps[1] as string, new RegExp(`^${ctrId.slice(0, 13)}\\s+\\S+\\s+.+ ago\\s+Running\\s+app\\s+0\\s+${podId.slice(0, 13)}\\s+crictl-test\\s+skiff-test$`));
    assert.equal((await crictl(['ps', '-q', '--pod', podId.slice(0, 5)])).stdout, `${ctrId}\n`);
    const json = JSON.parse((await crictl(['ps', '-a', '-o', 'json'])).stdout) as { containers: { id: string; podSandboxId: string; state: string }[] };
    assert.deepEqual(json.containers.map((c) => [c.id, c.podSandboxId, c.state]), [[ctrId, podId, 'CONTAINER_RUNNING']]);
  });

  it('exec: output streams apart, exit code passed on; filters select the container', async () => {
    const r = await crictl(['exec', ctrId.slice(0, 8), 'sh', '-c', 'echo out; echo err >&2; exit 3'], 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal((await crictl(['exec', '-s', ctrId, 'cat', '/var/www/index.html'])).stdout, 'hello from skiff busybox\n');
    const byName = await crictl(['exec', '--name', '^app$', '-q', 'echo', 'via filter']);
    assert.equal(byName.stdout, 'via filter\n');
  });

  it('logs: both streams, --tail, --timestamps', async () => {
    const logs = await eventually('the container to have logged', async () => {
      const r = await crictl(['logs', ctrId.slice(0, 7)]);
      return r.stdout.includes('hello from app') && r.stderr.includes('oops') ? r : undefined;
    });
    assert.equal(logs.stdout, 'hello from app\n');
    assert.equal(logs.stderr, 'oops\n');
    const tail = await crictl(['logs', '--tail', '1', '-t', ctrId]);
    assert.equal(tail.stdout, '');
    assert.match(tail.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z oops\n$/);
    assert.equal((await crictl(['logs', '--stream', 'stdout', ctrId])).stderr, '');
  });

  it('inspect: JSON status with readable times, table form', async () => {
    const st = JSON.parse((await crictl(['inspect', ctrId.slice(0, 9)])).stdout) as { status: { id: string; state: string; logPath: string; startedAt: string; finishedAt: string }; info?: unknown };
    assert.equal(st.status.id, ctrId);
    assert.equal(st.status.state, 'CONTAINER_RUNNING');
    assert.equal(st.status.logPath, join(logDir(), 'app', '0.log'));
    assert.notEqual(st.status.startedAt, '0001-01-01T00:00:00Z');
    assert.equal(st.status.finishedAt, '0001-01-01T00:00:00Z');
    assert.equal(typeof st.info, 'object');
    const table = (await crictl(['inspect', '-o', 'table', '-q', ctrId])).stdout;
    assert.match(table, new RegExp(`^ID: ${ctrId}\\nName: app\\nState: CONTAINER_RUNNING\\nCreated: .+ ago\\nStarted: .+ ago\\nLabels:\\n`));
  });

  it('stats: the running container with its name', async () => {
    const out = (await crictl(['stats', '-s', '1'])).stdout.split('\n');
    assert.match(out[0] as string, /^CONTAINER\s+NAME\s+CPU %\s+MEM\s+DISK\s+INODES\s+SWAP$/);
    assert.match(out[1] as string, new RegExp(`^${ctrId.slice(0, 13)}\\s+app\\s+\\d+\\.\\d\\d\\s+\\S+B\\s+\\S+B\\s+\\d+\\s+\\S+B$`));
    const json = JSON.parse((await crictl(['stats', '-o', 'json', ctrId.slice(0, 5)])).stdout) as { stats: { attributes: { id: string } }[] };
    assert.deepEqual(json.stats.map((s) => s.attributes.id), [ctrId]);
  });

  it('errors: an unknown container is NotFound; a running pod is not removed without -f', async () => {
    const r = await crictl(['inspect', 'f'.repeat(64)], 1);
    assert.match(r.stderr, /NotFound/);
    if (runtime === 'containerd') {
      // containerd refuses; skiff follows the CRI spec (running ones are removed forcibly).
      assert.match((await crictl(['rmp', podId], 1)).stderr, /pod sandbox ".+" is running, please stop it first/);
      assert.match((await crictl(['rm', ctrId], 1)).stderr, /is running, please stop it first/);
    }
  });

  it('stop, rm (with its log), stopp, rmp, rmi', async () => {
    assert.equal((await crictl(['stop', '--timeout', '1', ctrId.slice(0, 10)])).stdout, `${ctrId.slice(0, 10)}\n`);
    const st = JSON.parse((await crictl(['inspect', ctrId])).stdout) as { status: { state: string; finishedAt: string } };
    assert.equal(st.status.state, 'CONTAINER_EXITED');
    assert.notEqual(st.status.finishedAt, '0001-01-01T00:00:00Z');
    assert.match((await crictl(['ps', '-a'])).stdout, /Exited\s+app/);
    const logPath = join(logDir(), 'app', '0.log');
    assert.ok(existsSync(logPath));
    assert.equal((await crictl(['rm', ctrId])).stdout, `${ctrId}\n`);
    assert.ok(!existsSync(logPath), 'rm removes the container log');
    assert.equal((await crictl(['ps', '-a', '-q'])).stdout, '');
    assert.equal((await crictl(['stopp', podId.slice(0, 12)])).stdout, `Stopped sandbox ${podId.slice(0, 12)}\n`);
    assert.match((await crictl(['pods'])).stdout, /NotReady\s+crictl-test/);
    assert.equal((await crictl(['rmp', podId])).stdout, `Removed sandbox ${podId}\n`);
    assert.equal((await crictl(['pods', '-q'])).stdout, '');
    assert.equal((await crictl(['rmi', 'busybox'])).stdout, 'Deleted: docker.io/library/busybox:latest\n');
    assert.ok(!(await crictl(['images', '-q'])).stdout.includes(imageId));
  });
});
