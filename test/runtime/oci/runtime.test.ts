// Real containers: conmon + runc on this machine (needs root). Every container, cgroup and
// directory the suite makes is removed in after(), and the suite checks nothing is left.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { GrpcStatus, isCriError } from '../../../src/cri/errors.js';
import type { ContainerConfig } from '../../../src/runtime/oci/cri-types.js';
import { detectHostFeatures, type HostFeatures } from '../../../src/runtime/oci/host.js';
import { criLogLines, parseCriLog } from '../../../src/runtime/oci/log.js';
import { OciRuntime, type ContainerHandle, type OciRuntimeOptions } from '../../../src/runtime/oci/runtime.js';
import { buildSpec } from '../../../src/runtime/oci/spec.js';
import { loadUserDb, type UserDb } from '../../../src/runtime/oci/user.js';
import { makeBusyboxRootfs } from './fixtures/rootfs.js';

const run = promisify(execFile);
const CGROUP_ROOT = '/sys/fs/cgroup';

const tag = randomBytes(4).toString('hex');
const cgroupParent = `/skiff-ocitest-${tag}`;
let base = '';
let rootfs = '';
let host: HostFeatures;
let userDb: UserDb;
let options: OciRuntimeOptions;
let runtime: OciRuntime;
const handles: ContainerHandle[] = [];
let seq = 0;

/** Creates (not starts) a container running `config`; recorded for cleanup first. */
async function create(config: Partial<ContainerConfig>, opts: { logPath?: boolean } = {}): Promise<ContainerHandle> {
  const id = `skiff-${tag}-${++seq}`;
  const { spec } = buildSpec({
    id,
    container: { metadata: { name: `c${seq}` }, ...config },
    sandbox: { hostname: `host-${seq}` },
    rootfs,
    userDb,
    namespaces: { network: 'new', ipc: 'new', uts: 'new', pid: 'new' },
    cgroupParent,
    host,
  });
  const bundle = path.join(base, 'c', id);
  const handle: ContainerHandle = { id, bundle, persistDir: bundle };
  if (opts.logPath !== false) handle.logPath = path.join(base, 'logs', `${id}.log`);
  handles.push(handle);
  return runtime.create({ id, bundle, spec, logPath: handle.logPath });
}

async function runToExit(config: Partial<ContainerConfig>): Promise<ContainerHandle> {
  const h = await create(config);
  await runtime.start(h);
  assert.ok(await runtime.waitExit(h, 60_000), `container ${h.id} did not exit`);
  return h;
}

async function logLines(h: ContainerHandle): Promise<{ stream: string; line: string }[]> {
  return criLogLines(parseCriLog(await readFile(h.logPath ?? '', 'utf8')));
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function cleanupCgroups(): Promise<void> {
  for (const hier of await readdir(CGROUP_ROOT)) {
    const dir = path.join(CGROUP_ROOT, hier, cgroupParent);
    const removeTree = async (d: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) if (e.isDirectory()) await removeTree(path.join(d, e.name));
      await rmdir(d).catch(() => undefined);
    };
    await removeTree(dir);
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

describe('OciRuntime with conmon and runc', { concurrency: false }, () => {
  before(async () => {
    base = await mkdtemp('/tmp/skiff-oci-');
    rootfs = await makeBusyboxRootfs(path.join(base, 'rootfs'));
    host = await detectHostFeatures();
    userDb = await loadUserDb(rootfs);
    options = {
      handler: 'runc',
      runtimePath: '/usr/sbin/runc',
      runtimeRoot: path.join(base, 'runc'),
      exitDir: path.join(base, 'exits'),
      socketDir: path.join(base, 's'),
    };
    runtime = new OciRuntime(options);
  });

  after(async () => {
    const conmonPids: number[] = [];
    for (const h of handles) {
      const pid = Number(await readFile(path.join(h.persistDir, 'conmon.pid'), 'utf8').catch(() => '0'));
      if (pid > 0) conmonPids.push(pid);
      await runtime.delete(h, { force: true }).catch(() => undefined);
    }
    const leftover = await runtime.list().catch(() => []);
    await cleanupCgroups();
    const cgroupsLeft = [];
    for (const hier of await readdir(CGROUP_ROOT)) if (await exists(path.join(CGROUP_ROOT, hier, cgroupParent))) cgroupsLeft.push(hier);
    // A zombie conmon has exited and waits only for init to reap it: not a leak.
    const alive = conmonPids.filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat[stat.lastIndexOf(')') + 2] === 'Z') return false;
        process.kill(pid, 'SIGKILL');
        return true;
      } catch {
        return false;
      }
    });
    await rm(base, { recursive: true, force: true });
    assert.deepEqual(leftover.map((c) => c.id), [], 'runc state left behind');
    assert.deepEqual(cgroupsLeft, [], 'cgroups left behind');
    assert.deepEqual(alive, [], 'conmon processes left behind');
  });

  it('runs echo hello: exit 0 and a CRI-format stdout line in the log', async () => {
    const h = await runToExit({ command: ['/bin/sh', '-c', 'echo hello; echo oops >&2'] });
    const st = await runtime.status(h);
    assert.equal(st.state, 'exited');
    assert.equal(st.exitCode, 0);
    assert.equal(st.reason, 'Completed');
    assert.equal(st.oomKilled, false);
    assert.ok(st.finishedAt instanceof Date && st.createdAt instanceof Date);
    const text = await readFile(h.logPath ?? '', 'utf8');
    assert.match(text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}[+-]\d{2}:\d{2} stdout F hello$/m);
    assert.deepEqual(await logLines(h), [{ stream: 'stdout', line: 'hello' }, { stream: 'stderr', line: 'oops' }]);
  });

  it('reports exit code 3', async () => {
    const h = await runToExit({ command: ['/bin/sh', '-c', 'exit 3'] });
    const st = await runtime.status(h);
    assert.deepEqual([st.state, st.exitCode, st.reason], ['exited', 3, 'Error']);
  });

  it('resolves a user name from the image /etc/passwd and its groups from /etc/group', async () => {
    const h = await runToExit({ command: ['/bin/sh', '-c', 'id -u; id -g; id -G'], linux: { security_context: { run_as_username: 'app' } } });
    assert.deepEqual((await logLines(h)).map((l) => l.line), ['1000', '1000', '1000 2000']);
  });

  it('applies default capabilities and the RuntimeDefault seccomp profile', async () => {
    const h = await runToExit({
      command: ['/bin/sh', '-c', 'grep -E "^(CapBnd|Seccomp):" /proc/self/status; hostname; cat /proc/kcore >/dev/null 2>&1 && echo kcore-readable || echo kcore-masked'],
      linux: { security_context: { seccomp: { profile_type: 'RuntimeDefault' } } },
    });
    const lines = (await logLines(h)).map((l) => l.line.replace(/\s+/g, ' '));
    assert.deepEqual(lines, ['CapBnd: 00000000a80425fb', 'Seccomp: 2', `host-${seq}`, 'kcore-masked']);
  });

  it('clamps oom_score_adj to the host floor instead of failing the container', async () => {
    const want = Math.max(-998, host.oomScoreAdjMin);
    const h = await runToExit({ command: ['/bin/cat', '/proc/self/oom_score_adj'], linux: { resources: { oom_score_adj: -998 } } });
    assert.equal((await runtime.status(h)).exitCode, 0);
    assert.deepEqual((await logLines(h)).map((l) => l.line), [String(want)]);
  });

  it('stops a container that ignores SIGTERM with SIGKILL after the timeout', async () => {
    const h = await create({ command: ['/bin/sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done'] });
    await runtime.start(h);
    await waitFor('ready', async () => (await readFile(h.logPath ?? '', 'utf8').catch(() => '')).includes('ready'));
    assert.equal((await runtime.status(h)).state, 'running');
    await runtime.stop(h, 1, { started: true });
    const st = await runtime.status(h);
    assert.deepEqual([st.state, st.exitCode], ['exited', 137]);
    // Stopping again is a no-op.
    await runtime.stop(h, 1, { started: true });
    assert.equal((await runtime.status(h)).exitCode, 137);
  });

  it('reports OOMKilled when the memory limit is exceeded', async () => {
    const h = await create({
      command: ['/bin/sh', '-c', 'x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done'],
      linux: { resources: { memory_limit_in_bytes: 20 << 20 } },
    });
    await runtime.start(h);
    assert.ok(await runtime.waitExit(h, 60_000));
    const st = await runtime.status(h);
    assert.deepEqual([st.state, st.exitCode, st.oomKilled, st.reason], ['exited', 137, true, 'OOMKilled']);
  });

  it('execSync captures output and exit code, and kills the command on timeout', async () => {
    const h = await create({ command: ['/bin/sleep', '1000'] });
    await runtime.start(h);
    const r = await runtime.execSync(h, ['/bin/sh', '-c', 'echo out; echo err >&2; id -u; printf no-newline; exit 4']);
    assert.deepEqual([r.stdout.toString(), r.stderr.toString(), r.exitCode, r.timedOut], ['out\n0\nno-newline', 'err\n', 4, false]);
    const bg = await runtime.execSync(h, ['/bin/sh', '-c', 'sleep 1000 & echo started']);
    assert.deepEqual([bg.stdout.toString(), bg.exitCode], ['started\n', 0], 'a background child holding stdout does not block');
    const slow = await runtime.execSync(h, ['/bin/sleep', '1000'], { timeoutMs: 300 });
    assert.equal(slow.timedOut, true);
    const ps = await runtime.cli.run(['ps', '--format', 'json', h.id]);
    assert.equal((JSON.parse(ps.stdout) as number[]).length, 2, 'the timed-out exec process is gone (init and the background sleep remain)');
    await assert.rejects(runtime.execSync(h, ['/no/such/binary']), (e: unknown) => isCriError(e) && /no such file|not found/i.test((e as Error).message));
    await runtime.stop(h, 0);
    await assert.rejects(runtime.execSync(h, ['true']), (e: unknown) => isCriError(e, GrpcStatus.FAILED_PRECONDITION));
  });

  it('reopens the log file after rotation', async () => {
    const h = await create({ command: ['/bin/sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done'] });
    await runtime.start(h);
    const log = h.logPath ?? '';
    await waitFor('first lines', async () => (await readFile(log, 'utf8').catch(() => '')).includes('line3'));
    await rename(log, `${log}.1`);
    await runtime.reopenLog(h);
    await waitFor('lines in the new file', async () => (await logLines(h)).length >= 3);
    const rotated = (criLogLines(parseCriLog(await readFile(`${log}.1`, 'utf8')))).map((l) => Number(l.line.slice(4)));
    const fresh = (await logLines(h)).map((l) => Number(l.line.slice(4)));
    assert.ok((fresh[0] ?? 0) > (rotated.at(-1) ?? Infinity), 'new lines continue after the rotated ones');
    await runtime.stop(h, 0);
    await assert.rejects(runtime.reopenLog(h), (e: unknown) => isCriError(e, GrpcStatus.FAILED_PRECONDITION));
  });

  it('keeps the container running after the process that started it exits', async () => {
    const id = `skiff-${tag}-${++seq}`;
    const { spec } = buildSpec({ id, container: { command: ['/bin/sleep', '1000'] }, sandbox: {}, rootfs, userDb, namespaces: { network: 'new', ipc: 'new', uts: 'new', pid: 'new' }, cgroupParent, host });
    const bundle = path.join(base, 'c', id);
    const h: ContainerHandle = { id, bundle, persistDir: bundle, logPath: path.join(base, 'logs', `${id}.log`) };
    handles.push(h);
    const helper = fileURLToPath(new URL('./fixtures/start-detached.js', import.meta.url));
    const out = await run(process.execPath, [helper, JSON.stringify({ options, create: { id, bundle, spec, logPath: h.logPath } })], { timeout: 120_000 });
    assert.equal((JSON.parse(out.stdout) as ContainerHandle).id, id);
    const st = await runtime.status(h);
    assert.equal(st.state, 'running');
    assert.equal((await runtime.cli.state(id))?.status, 'running');
    await runtime.stop(h, 0);
    assert.equal((await runtime.status(h)).exitCode, 137);
  });

  it('fails creation with the runtime error and leaves nothing behind', async () => {
    await assert.rejects(create({ command: ['/no/such/binary'] }), (e: unknown) => isCriError(e) && /no\/such\/binary/.test((e as Error).message));
    const last = handles.at(-1) as ContainerHandle;
    assert.equal(await runtime.cli.state(last.id), undefined);
  });

  it('kills a created, never started container on stop', async () => {
    const h = await create({ command: ['/bin/sleep', '1000'] });
    assert.equal((await runtime.status(h)).state, 'created');
    await runtime.stop(h, 10);
    const st = await runtime.status(h);
    assert.deepEqual([st.state, st.exitCode], ['exited', 137]);
  });

  it('updates the resources of a running container and refuses to delete it unforced', async () => {
    const h = await create({ command: ['/bin/sleep', '1000'], linux: { resources: { memory_limit_in_bytes: 64 << 20 } } });
    await runtime.start(h);
    const limitFile = path.join(CGROUP_ROOT, 'memory', cgroupParent, h.id, 'memory.limit_in_bytes');
    assert.equal((await readFile(limitFile, 'utf8')).trim(), String(64 << 20));
    await runtime.updateResources(h, { memory: { limit: 32 << 20, swap: 32 << 20 } });
    assert.equal((await readFile(limitFile, 'utf8')).trim(), String(32 << 20));
    await assert.rejects(runtime.delete(h), (e: unknown) => isCriError(e, GrpcStatus.FAILED_PRECONDITION));
    await runtime.delete(h, { force: true });
    assert.equal(await runtime.cli.state(h.id), undefined);
    assert.equal((await runtime.status(h)).exitCode, 137);
  });

  it('deletes containers and their runtime state', async () => {
    const h = await runToExit({ command: ['/bin/true'] });
    await assert.rejects(runtime.start(h), (e: unknown) => isCriError(e, GrpcStatus.FAILED_PRECONDITION));
    await runtime.delete(h);
    assert.equal(await runtime.cli.state(h.id), undefined);
    assert.equal(await exists(path.join(options.exitDir, h.id)), false);
    assert.equal((await runtime.status(h)).state, 'exited', 'the persisted exit file still answers');
  });
});
