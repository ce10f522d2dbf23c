// skiff's CRI runtime driven over its socket by a CRI client, with real runc containers:
// pull through a docker.io mirror to a local registry, a sandbox with two containers sharing
// the network namespace (busybox httpd + a wget client), hostPort from the host, exec-sync,
// logs and reopen, stats, stop with grace, OOM, status and filters, and nothing left behind.

import assert from 'node:assert/strict';
import { readFile, rename, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError, GrpcStatus } from '../../../src/cri/errors.js';
import type { ContainerConfig, Input, PodSandboxConfig } from '../../../src/cri/types.js';
import { mountsUnder } from '../../../src/runtime/mount.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/cri-runtime.js';
import { eventuallyWith } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/registry.js';

const eventually = eventuallyWith({ timeoutMs: 30_000, intervalMs: 100 });

async function rejectsWith(p: Promise<unknown>, code: GrpcStatus, message: RegExp): Promise<void> {
  const err = await p.then(() => assert.fail('expected the call to fail'), (e: unknown) => e);
  assert.ok(err instanceof CriError, `expected a CriError, got ${String(err)}`);
  assert.equal(err.code, code, `${err.codeName}: ${err.message}`);
  assert.match(err.message, message);
}

describe('skiff runtime: pods with real containers', () => {
  let rt: TestRuntime;
  let seq = 0;
  const logDir = (): string => join(rt.dir, 'logs');

  const podConfig = (extra: Input<PodSandboxConfig> = {}): Input<PodSandboxConfig> => {
    seq++;
    return {
      metadata: { name: `pod${seq}`, namespace: 'test', uid: `uid-${rt.tag}-${seq}`, attempt: 0 },
      hostname: `pod${seq}-host`,
      log_directory: join(logDir(), `pod${seq}`),
      labels: { app: 'pods-test', seq: String(seq) },
      // As kubelet sends it for a pod without shareProcessNamespace: namespaces pinned, no infra.
      linux: { cgroup_parent: rt.cgroupParent, security_context: { namespace_options: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
      ...extra,
    };
  };
  const container = (name: string, args: string[], extra: Input<ContainerConfig> = {}): Input<ContainerConfig> => ({
    metadata: { name },
    image: { image: 'busybox' },
    command: args,
    log_path: `${name}.log`,
    labels: { c: name },
    ...extra,
  });
  const run = async (sandbox: string, pod: Input<PodSandboxConfig>, config: Input<ContainerConfig>): Promise<string> => {
    const { container_id } = await rt.client.createContainer({ pod_sandbox_id: sandbox, config, sandbox_config: pod });
    await rt.client.startContainer({ container_id });
    return container_id;
  };
  const status = async (id: string) => (await rt.client.containerStatus({ container_id: id })).status!;
  const exited = (id: string) => eventually(`container ${id} exited`, async () => ((await status(id)).state === 'CONTAINER_EXITED' ? status(id) : undefined));

  before(async () => {
    rt = await startTestRuntime();
  });
  after(async () => {
    await rt?.stop();
  });

  it('reports version and readiness, with the runc handler', async () => {
    const v = await rt.client.version({});
    assert.equal(v.runtime_name, 'skiff');
    assert.equal(v.runtime_api_version, 'v1');
    const s = await rt.client.status({});
    const cond = Object.fromEntries(s.status!.conditions.map((c) => [c.type, c.status]));
    assert.deepEqual(cond, { RuntimeReady: true, NetworkReady: true });
    assert.ok(s.runtime_handlers.some((h) => h.name === 'runc'));
  });

  it('pulls a short name through the docker.io mirror and reports the image', async () => {
    const { image_ref } = await rt.client.pullImage({ image: { image: 'busybox' } });
    assert.equal(image_ref, rt.busybox.configDigest);
    const { images } = await rt.client.listImages({});
    const img = images.find((i) => i.id === image_ref);
    assert.ok(img, 'pulled image listed');
    assert.deepEqual(img.repo_tags, ['docker.io/library/busybox:latest']);
    assert.match(img.repo_digests[0] ?? '', /^docker\.io\/library\/busybox@sha256:/);
    const st = await rt.client.imageStatus({ image: { image: 'docker.io/library/busybox:latest' }, verbose: true });
    assert.equal(st.image?.id, image_ref);
    assert.match(st.info.info ?? '', /"diff_ids"/);
    assert.equal((await rt.client.imageStatus({ image: { image: 'busybox:not-there' } })).image, null);
    const fs = await rt.client.imageFsInfo({});
    assert.ok((fs.image_filesystems[0]?.used_bytes?.value ?? 0) > 500_000, 'image fs usage counts the unpacked busybox');
  });

  it('runs two containers that share the pod network; hostPort reaches the server from the host', async () => {
    const hostPort = await freePort();
    const pod = podConfig({
      port_mappings: [{ protocol: 'TCP', container_port: 8080, host_port: hostPort }],
      dns_config: { servers: ['10.43.0.10'], searches: ['test.svc.cluster.local', 'svc.cluster.local'], options: ['ndots:5'] },
    });
    pod.linux = { ...pod.linux, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80', 'kernel.shm_rmid_forced': '1' } };
    const { pod_sandbox_id: sb } = await rt.client.runPodSandbox({ config: pod });
    // Its own PID namespace (kubelet's default), so /proc/1 below is httpd.
    const server = await run(
      sb,
      pod,
      container('server', ['sh', '-c', 'mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www'], {
        linux: { security_context: { namespace_options: { pid: 'CONTAINER' } } },
      }),
    );
    const client = await run(sb, pod, container('client', ['sh', '-c', 'until wget -q -O /tmp/page http://127.0.0.1:8080/; do sleep 0.2; done; cat /tmp/page; echo to-stderr >&2; exec sleep 3600']));

    const logPath = join(logDir(), `pod${seq}`, 'client.log');
    const log = await eventually('client log has the page', async () => {
      const t = await readFile(logPath, 'utf8').catch(() => '');
      return t.includes('hello-from-httpd') && t.includes('to-stderr') ? t : undefined;
    });
    assert.match(log, /^\S+ stdout F hello-from-httpd$/m, 'CRI log format');
    assert.match(log, /^\S+ stderr F to-stderr$/m);

    const ps = await rt.client.podSandboxStatus({ pod_sandbox_id: sb, verbose: true });
    assert.equal(ps.status?.state, 'SANDBOX_READY');
    const ip = ps.status?.network?.ip ?? '';
    assert.ok(ip.startsWith(rt.podCidr.split('.').slice(0, 3).join('.') + '.'), `pod IP ${ip} in ${rt.podCidr}`);
    // No infra container: the namespaces are bind mounts in the sandbox dir.
    assert.match(ps.info.info ?? '', /"pid":0,/);
    assert.match(ps.info.info ?? '', /"infra":"none: namespaces pinned at [^"]*ns-ipc, [^"]*ns-uts"/);

    const page = await eventually('hostPort answers', async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    });
    assert.equal(page, 'hello-from-httpd\n');

    const ex = await rt.client.execSync({ container_id: client, cmd: ['sh', '-c', 'wget -q -O - http://localhost:8080/; hostname; cat /etc/resolv.conf; echo err >&2; exit 7'], timeout: 10 });
    assert.equal(ex.exit_code, 7);
    const out = ex.stdout.toString();
    assert.match(out, /^hello-from-httpd\npod\d+-host\n/);
    assert.match(out, /search test\.svc\.cluster\.local svc\.cluster\.local\nnameserver 10\.43\.0\.10\noptions ndots:5/);
    assert.equal(ex.stderr.toString(), 'err\n');
    // Both containers are in the pod's pinned network, IPC and UTS namespaces (each has its own
    // PID namespace), with the pod's sysctls set in them.
    const nsOf = async (id: string): Promise<string> =>
      (await rt.client.execSync({ container_id: id, cmd: ['sh', '-c', 'for n in net ipc uts pid; do readlink /proc/self/ns/$n; done'], timeout: 10 })).stdout.toString();
    const [nsServer, nsClient] = [(await nsOf(server)).split('\n'), (await nsOf(client)).split('\n')];
    assert.deepEqual(nsServer.slice(0, 3), nsClient.slice(0, 3), 'net, ipc and uts shared');
    assert.notEqual(nsServer[3], nsClient[3], 'pid namespaces apart');
    const sys = await rt.client.execSync({ container_id: server, cmd: ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start', '/proc/sys/kernel/shm_rmid_forced'], timeout: 10 });
    assert.equal(sys.stdout.toString(), '80\n1\n');

    const st = await status(server);
    assert.equal(st.state, 'CONTAINER_RUNNING');
    assert.equal(st.image?.image, 'busybox');
    assert.equal(st.image_ref.startsWith('docker.io/library/busybox@sha256:'), true);
    assert.ok(st.started_at > 0 && st.created_at > 0 && st.finished_at === 0);

    const byPod = await rt.client.listContainers({ filter: { pod_sandbox_id: sb.slice(0, 12) } });
    assert.deepEqual(new Set(byPod.containers.map((c) => c.id)), new Set([server, client]));
    const byLabel = await rt.client.listContainers({ filter: { label_selector: { c: 'server' }, pod_sandbox_id: sb } });
    assert.deepEqual(byLabel.containers.map((c) => c.id), [server]);
    const running = await rt.client.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' }, pod_sandbox_id: sb } });
    assert.equal(running.containers.length, 2);
    const pods = await rt.client.listPodSandbox({ filter: { label_selector: { seq: String(seq) } } });
    assert.deepEqual(pods.items.map((p) => p.id), [sb]);

    // Stats: two samples give a CPU rate; the pod's network counters saw the HTTP traffic.
    await rt.client.containerStats({ container_id: server });
    const cs = (await rt.client.containerStats({ container_id: server })).stats!;
    assert.ok((cs.memory?.working_set_bytes?.value ?? 0) > 0, 'working set');
    assert.ok((cs.cpu?.usage_core_nano_seconds?.value ?? 0) > 0, 'cpu time');
    assert.ok(cs.cpu?.usage_nano_cores !== null, 'cpu rate from two samples');
    assert.ok((cs.writable_layer?.used_bytes?.value ?? 0) > 0, 'writable layer holds /www');
    const ls = await rt.client.listContainerStats({ filter: { pod_sandbox_id: sb } });
    assert.equal(ls.stats.length, 2);
    const pst = (await rt.client.podSandboxStats({ pod_sandbox_id: sb })).stats!;
    assert.ok((pst.linux?.network?.default_interface?.rx_bytes?.value ?? 0) > 0, 'pod rx bytes');
    assert.equal(pst.linux?.containers.length, 2);
    assert.equal(pst.linux?.process?.process_count?.value, 2, 'httpd and sleep, no infra process');

    // Log rotation as kubelet does it: rename, then ReopenContainerLog.
    const serverLog = join(logDir(), `pod${seq}`, 'server.log');
    await rename(serverLog, `${serverLog}.1`);
    await rt.client.reopenContainerLog({ container_id: server });
    await rt.client.execSync({ container_id: server, cmd: ['sh', '-c', 'echo after-reopen > /proc/1/fd/1'], timeout: 10 });
    await eventually('new log file has the new line', async () => (await readFile(serverLog, 'utf8').catch(() => '')).includes('after-reopen'));

    await rt.client.stopPodSandbox({ pod_sandbox_id: sb });
    assert.equal((await status(server)).state, 'CONTAINER_EXITED');
    assert.equal((await rt.client.podSandboxStatus({ pod_sandbox_id: sb })).status?.state, 'SANDBOX_NOTREADY');
    await rt.client.removePodSandbox({ pod_sandbox_id: sb });
    await rejectsWith(rt.client.containerStatus({ container_id: server }), GrpcStatus.NOT_FOUND, /not found/);
    await rejectsWith(rt.client.podSandboxStatus({ pod_sandbox_id: sb }), GrpcStatus.NOT_FOUND, /not found/);
  });

  it('stops with the grace period, then SIGKILL; reports exit codes and OOM kills', async () => {
    const pod = podConfig();
    const { pod_sandbox_id: sb } = await rt.client.runPodSandbox({ config: pod });
    const polite = await run(sb, pod, container('polite', ['sh', '-c', 'trap "exit 3" TERM; while true; do sleep 0.1; done']));
    const stubborn = await run(sb, pod, container('stubborn', ['sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']));
    const done = await run(sb, pod, container('done', ['sh', '-c', 'exit 0']));
    const hog = await run(sb, pod, container('hog', ['sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'], { linux: { resources: { memory_limit_in_bytes: 16 * 1024 * 1024 } } }));
    await eventually('both running', async () => (await status(polite)).state === 'CONTAINER_RUNNING' && (await status(stubborn)).state === 'CONTAINER_RUNNING');
    await rt.client.stopContainer({ container_id: polite, timeout: 30 });
    const p = await status(polite);
    assert.equal(p.exit_code, 3);
    assert.equal(p.reason, 'Error');
    await rt.client.stopContainer({ container_id: stubborn, timeout: 1 });
    const s = await status(stubborn);
    assert.equal(s.exit_code, 137);
    const d = await exited(done);
    assert.equal(d.exit_code, 0);
    assert.equal(d.reason, 'Completed');
    const h = await exited(hog);
    assert.equal(h.reason, 'OOMKilled');
    assert.equal(h.exit_code, 137);
    // Stopping an exited container is fine (idempotent).
    await rt.client.stopContainer({ container_id: done, timeout: 0 });
    const exitedList = await rt.client.listContainers({ filter: { pod_sandbox_id: sb, state: { state: 'CONTAINER_EXITED' } } });
    assert.equal(exitedList.containers.length, 4);
    await rt.client.removeContainer({ container_id: polite });
    await rt.client.removeContainer({ container_id: polite }); // idempotent
    await rt.client.removePodSandbox({ pod_sandbox_id: sb });
  });

  it('answers bad input with the right code and keeps nothing of it', async () => {
    await rejectsWith(rt.client.podSandboxStatus({ pod_sandbox_id: 'nope' }), GrpcStatus.NOT_FOUND, /sandbox "nope" not found/);
    await rejectsWith(rt.client.startContainer({ container_id: 'nope' }), GrpcStatus.NOT_FOUND, /container "nope" not found/);
    await rejectsWith(rt.client.runPodSandbox({ config: podConfig(), runtime_handler: 'kata' }), GrpcStatus.INVALID_ARGUMENT, /no runtime handler "kata"/);
    await rejectsWith(rt.client.runPodSandbox({ config: { metadata: { name: '' } } }), GrpcStatus.INVALID_ARGUMENT, /metadata with a name/);
    await rejectsWith(rt.client.pullImage({ image: { image: 'Bad//Name' } }), GrpcStatus.INVALID_ARGUMENT, /Bad/);
    await rejectsWith(rt.client.pullImage({ image: { image: 'busybox:missing-tag' } }), GrpcStatus.NOT_FOUND, /missing-tag/);

    const sandboxMounts = async (): Promise<string[]> => (await mountsUnder(join(rt.root, 'sandboxes'))).map((m) => m.mountPoint);
    const before = await readdir(join(rt.state, 'netns')).catch(() => []);
    const mountsBefore = await sandboxMounts();
    const noneLeft = async (): Promise<void> => {
      assert.deepEqual(await readdir(join(rt.state, 'netns')).catch(() => []), before, 'no netns left');
      assert.deepEqual((await rt.client.listPodSandbox({ filter: { label_selector: { seq: String(seq) } } })).items, []);
      assert.deepEqual(await sandboxMounts(), mountsBefore, 'no pinned namespace or shm left');
    };
    const withSysctl = (sysctls: Record<string, string>, pid: 'POD' | 'CONTAINER') =>
      podConfig({ linux: { cgroup_parent: rt.cgroupParent, sysctls, security_context: { namespace_options: { pid } } } });
    // A node-wide sysctl is refused before anything is made.
    await rejectsWith(rt.client.runPodSandbox({ config: withSysctl({ 'kernel.panic': '1' }, 'CONTAINER') }), GrpcStatus.INVALID_ARGUMENT, /"kernel\.panic" is not in a separate kernel namespace/);
    await noneLeft();
    // Pinned namespaces: an unknown sysctl fails in the pinning step; the namespaces are undone.
    await rejectsWith(rt.client.runPodSandbox({ config: withSysctl({ 'net.ipv4.skiff_no_such_sysctl': '1' }, 'CONTAINER') }), GrpcStatus.UNKNOWN, /cannot set net\/ipv4\/skiff_no_such_sysctl/);
    await noneLeft();
    // Infra container: it fails in runc create, after the netns and CNI set-up: all of it is undone.
    const bad = withSysctl({ 'net.ipv4.skiff_no_such_sysctl': '1' }, 'POD');
    await rejectsWith(rt.client.runPodSandbox({ config: bad }), GrpcStatus.UNKNOWN, /skiff_no_such_sysctl/);
    await noneLeft();
    // The name is free again.
    const { pod_sandbox_id: sb } = await rt.client.runPodSandbox({ config: { ...bad, linux: { cgroup_parent: rt.cgroupParent } } });
    await rejectsWith(rt.client.runPodSandbox({ config: { ...bad, linux: { cgroup_parent: rt.cgroupParent } } }), GrpcStatus.ALREADY_EXISTS, /reserved/);

    const pod = podConfig();
    await rejectsWith(rt.client.createContainer({ pod_sandbox_id: sb, config: container('x', ['true'], { image: { image: 'busybox:absent' } }) }), GrpcStatus.NOT_FOUND, /not present/);
    await rejectsWith(
      rt.client.createContainer({ pod_sandbox_id: sb, config: container('x', ['true'], { mounts: [{ container_path: 'rel', host_path: '/tmp' }] }) }),
      GrpcStatus.INVALID_ARGUMENT,
      /absolute/,
    );
    // Fails in runc create (the command does not exist): rootfs, snapshot claim and record undone.
    await rejectsWith(rt.client.createContainer({ pod_sandbox_id: sb, config: container('x', ['/no/such/binary']) }), GrpcStatus.UNKNOWN, /no\/such\/binary/);
    assert.deepEqual((await rt.client.listContainers({ filter: { pod_sandbox_id: sb } })).containers, []);
    assert.deepEqual(await readdir(join(rt.root, 'containers')).catch(() => []), []);
    void pod;
    await rejectsWith(rt.client.checkpointContainer({ container_id: 'x' }), GrpcStatus.UNIMPLEMENTED, /checkpoint/);
    await rt.client.removePodSandbox({ pod_sandbox_id: sb });
  });

  it('shares one PID namespace, held by the catatonit infra container, when the pod asks for it', async () => {
    const shared = { linux: { security_context: { namespace_options: { pid: 'POD' as const } } } };
    const pod = podConfig({ linux: { cgroup_parent: rt.cgroupParent, ...shared.linux } });
    const { pod_sandbox_id: sb } = await rt.client.runPodSandbox({ config: pod });
    const sleeper = await run(sb, pod, container('sleeper', ['sleep', '3601'], shared));
    const looker = await run(sb, pod, container('looker', ['sleep', '3602'], shared));
    const ps = await eventually('both sleeps visible', async () => {
      const out = (await rt.client.execSync({ container_id: looker, cmd: ['ps', '-o', 'pid,args'], timeout: 10 })).stdout.toString();
      return out.includes('sleep 3601') && out.includes('sleep 3602') ? out : undefined;
    });
    assert.match(ps, /^\s*1\s+\/catatonit -P$/m, 'the infra process is PID 1');
    const info = (await rt.client.podSandboxStatus({ pod_sandbox_id: sb, verbose: true })).info.info ?? '';
    assert.match(info, /"pid":[1-9]\d*,/);
    assert.match(info, /"infra":"catatonit -P"/);
    assert.equal((await status(sleeper)).state, 'CONTAINER_RUNNING');
    await rt.client.stopPodSandbox({ pod_sandbox_id: sb });
    assert.equal((await rt.client.podSandboxStatus({ pod_sandbox_id: sb })).status?.state, 'SANDBOX_NOTREADY');
    await rt.client.removePodSandbox({ pod_sandbox_id: sb });
  });

  it('keeps running containers across a SIGKILL of the runtime and reports exits that happened meanwhile', async () => {
    const pod = podConfig();
    const { pod_sandbox_id: sb } = await rt.client.runPodSandbox({ config: pod });
    const long = await run(sb, pod, container('long', ['sleep', '3600']));
    const short = await run(sb, pod, container('short', ['sh', '-c', 'sleep 2; exit 5']));
    const pidBefore = (await rt.client.containerStatus({ container_id: long, verbose: true })).info.info;
    await rt.restart();
    const l = await status(long);
    assert.equal(l.state, 'CONTAINER_RUNNING');
    assert.equal((await rt.client.containerStatus({ container_id: long, verbose: true })).info.info, pidBefore, 'same process');
    const s = await exited(short);
    assert.equal(s.exit_code, 5);
    assert.equal((await rt.client.podSandboxStatus({ pod_sandbox_id: sb })).status?.state, 'SANDBOX_READY');
    const ex = await rt.client.execSync({ container_id: long, cmd: ['echo', 'still-here'], timeout: 10 });
    assert.equal(ex.stdout.toString(), 'still-here\n');
    await rt.client.removePodSandbox({ pod_sandbox_id: sb });
  });

  it('leaves no mounts, netns or containers once every sandbox is removed', async () => {
    assert.deepEqual((await rt.client.listPodSandbox({})).items, []);
    assert.deepEqual((await rt.client.listContainers({})).containers, []);
    assert.deepEqual(await readdir(join(rt.state, 'netns')).catch(() => []), []);
    assert.deepEqual((await mountsUnder(rt.dir)).map((m) => m.mountPoint), []);
    assert.deepEqual(await readdir(join(rt.state, 'runc')).catch(() => []), []);
  });
});
