// runProcess / runUntilSyncLine semantics, as a contract both backends must meet: the perl
// spawner (the default) and child_process. Real processes (sh, cat, sleep, head) on this machine.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SpawnError, type ProcessBackend } from '../../../src/runtime/process/backend.js';
import { directBackend } from '../../../src/runtime/process/direct.js';
import { processBackend, runProcess, runUntilSyncLine } from '../../../src/runtime/process/run.js';
import { Spawner } from '../../../src/runtime/process/spawner.js';

const spawner = new Spawner();
const backends: ProcessBackend[] = [spawner, directBackend];

/** Kills `pid` if it still runs (cleanup of daemons a test left on purpose). */
function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

it('the spawner is the default backend', () => {
  assert.equal(processBackend().name, process.env.SKIFF_SPAWNER === 'off' ? 'child_process' : 'perl spawner');
});

for (const backend of backends) {
  describe(`runProcess through ${backend.name}`, () => {
    let tmp: string;
    const daemons: number[] = [];
    before(async () => {
      tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-process-test-'));
    });
    after(async () => {
      daemons.forEach(killQuietly);
      await fsp.rm(tmp, { recursive: true, force: true });
    });

    it('feeds stdin, sets the whole environment and the working directory', async () => {
      const r = await runProcess('/bin/sh', ['-c', 'cat; printf "|%s|%s|" "$FOO" "${HOME-unset}"; pwd'], {
        backend, input: 'from stdin', env: { FOO: 'b a\nr', PATH: process.env.PATH }, cwd: tmp,
      });
      assert.deepEqual(r, { code: 0, signal: null, stdout: `from stdin|b a\nr|unset|${tmp}\n`, stderr: '' });
    });

    it('inherits this process environment by default and gives /dev/null as stdin', async () => {
      const r = await runProcess('/bin/sh', ['-c', 'printf %s "$PATH"; cat'], { backend });
      assert.equal(r.stdout, process.env.PATH);
    });

    it('reports exit codes and stderr without rejecting', async () => {
      const r = await runProcess('/bin/sh', ['-c', 'echo oops >&2; exit 7'], { backend });
      assert.deepEqual(r, { code: 7, signal: null, stdout: '', stderr: 'oops\n' });
    });

    it('reports the signal that killed the child', async () => {
      const r = await runProcess('/bin/sh', ['-c', 'echo before; kill -TERM $$'], { backend });
      assert.deepEqual(r, { code: null, signal: 'SIGTERM', stdout: 'before\n', stderr: '' });
    });

    it('kills the child at the timeout and says so', async () => {
      const r = await runProcess('sleep', ['60'], { backend, timeoutMs: 200 });
      assert.deepEqual(r, { code: null, signal: 'SIGKILL', stdout: '', stderr: '', killed: 'timeout' });
    });

    it('kills the child on abort with the chosen signal; an aborted signal starts nothing', async () => {
      const ac = new AbortController();
      const marker = path.join(tmp, 'started');
      const run = runProcess('/bin/sh', ['-c', `touch ${marker}; exec sleep 60`], { backend, signal: ac.signal, killSignal: 'SIGTERM' });
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
      ac.abort();
      assert.deepEqual(await run, { code: null, signal: 'SIGTERM', stdout: '', stderr: '', killed: 'abort' });
      const never = path.join(tmp, 'never');
      const r = await runProcess('touch', [never], { backend, signal: ac.signal });
      assert.deepEqual(r, { code: null, signal: null, stdout: '', stderr: '', killed: 'abort' });
      assert.equal(existsSync(never), false);
    });

    it('carries outputs and input of several MB', async () => {
      const r = await runProcess('/bin/sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a; head -c 1500000 /dev/zero | tr "\\0" b >&2'], { backend });
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'a'.repeat(3_000_000));
      assert.equal(r.stderr, 'b'.repeat(1_500_000));
      const input = Buffer.alloc(2_500_000);
      for (let i = 0; i < input.length; i++) input[i] = i % 251;
      const echo = await runProcess('od', ['-An', '-v', '-tu1', '-w16'], { backend, input });
      const bytes = echo.stdout.split(/\s+/).filter((x) => x !== '').map(Number);
      assert.equal(bytes.length, input.length);
      assert.ok(bytes.every((b, i) => b === input[i]));
    });

    it('runs many children at once, each with its own output', async () => {
      const results = await Promise.all(Array.from({ length: 120 }, (_, i) => runProcess('/bin/sh', ['-c', 'cat; echo " $0"; exit $(($0 % 5))', String(i)], { backend, input: `in${i}` })));
      results.forEach((r, i) => assert.deepEqual(r, { code: i % 5, signal: null, stdout: `in${i} ${i}\n`, stderr: '' }));
    });

    it('passes arguments byte for byte and refuses NUL bytes', async () => {
      const args = ['', 'two words', 'new\nline', "quo'te\"s", 'ünïcødé ✓', 'a=b', '-', '\t', '$HOME', '\\'];
      const r = await runProcess('/bin/sh', ['-c', 'printf "%s\\0" "$@"', 'sh', ...args], { backend });
      assert.deepEqual(r.stdout.split('\0').slice(0, -1), args);
      await assert.rejects(runProcess('echo', ['a\0b'], { backend }), (e: unknown) => e instanceof SpawnError && /argument 1 contains a NUL byte/.test(e.message));
      await assert.rejects(runProcess('echo', [], { backend, env: { 'A=B': 'x' } }), SpawnError);
    });

    it('rejects with a SpawnError when the tool cannot start', async () => {
      await assert.rejects(runProcess(path.join(tmp, 'no-such-tool'), [], { backend }), (e: unknown) => {
        assert.ok(e instanceof SpawnError);
        assert.equal(e.code, 'ENOENT');
        assert.match(e.message, /^cannot run .*no-such-tool: .*ENOENT/);
        return true;
      });
      await assert.rejects(runProcess('true', [], { backend, cwd: path.join(tmp, 'no-such-dir') }), (e: unknown) => e instanceof SpawnError && e.code === 'ENOENT');
    });

    it('returns after the exit although a descendant keeps the output open', async () => {
      const pidFile = path.join(tmp, 'descendant');
      const r = await runProcess('/bin/sh', ['-c', `sleep 60 & echo $! > ${pidFile}; echo done`], { backend, exitGraceMs: 100 });
      daemons.push(Number(await fsp.readFile(pidFile, 'utf8')));
      assert.deepEqual(r, { code: 0, signal: null, stdout: 'done\n', stderr: '' });
    });

    it('starts the child in a new session when asked', async () => {
      const script = 'echo $$; cut -d" " -f6 /proc/$$/stat';
      const own = (await runProcess('/bin/sh', ['-c', script], { backend, newSession: true })).stdout.split('\n');
      assert.equal(own[0], own[1]);
      const shared = (await runProcess('/bin/sh', ['-c', script], { backend })).stdout.split('\n');
      assert.notEqual(shared[0], shared[1]);
    });

    it('fd3Output: returns what the child wrote to fd 3 apart from stdout, after the exit', async () => {
      const r = await runProcess('/bin/sh', ['-c', 'echo one >&3; echo out; sleep 0.1; echo two >&3; exit 3'], { backend, fd3Output: true });
      assert.deepEqual(r, { code: 3, signal: null, stdout: 'out\n', stderr: '', fd3: 'one\ntwo\n' });
    });

    it('runUntilSyncLine: settles on the first fd-3 line without waiting for the exit', async () => {
      const r = await runUntilSyncLine('/bin/sh', ['-c', 'printf "ready {\\"pid\\": 1}\\nmore\\n" >&3; exec sleep 60'], { backend, timeoutMs: 60_000 });
      assert.equal(r.kind, 'line');
      if (r.kind !== 'line') return;
      daemons.push(r.pid);
      assert.equal(r.line, 'ready {"pid": 1}');
      assert.ok(r.pid > 0);
    });

    it('runUntilSyncLine: EOF on fd 3 gives the exit and the output, even after the first process left', async () => {
      const r = await runUntilSyncLine('/bin/sh', ['-c', '(sleep 0.2; echo "no good" >&2; exit 1) & exit 0'], { backend });
      assert.deepEqual(r, { kind: 'exit', code: 0, signal: null, stdout: '', stderr: 'no good\n' });
    });

    it('runUntilSyncLine: a child that never writes is killed at the timeout and forgotten', async () => {
      const pidFile = path.join(tmp, 'holder');
      const r = await runUntilSyncLine('/bin/sh', ['-c', `sleep 60 & echo $! > ${pidFile}; wait`], { backend, timeoutMs: 300 });
      daemons.push(Number(await fsp.readFile(pidFile, 'utf8')));
      assert.deepEqual(r, { kind: 'killed', reason: 'timeout' });
      const ac = new AbortController();
      const aborted = runUntilSyncLine('sleep', ['60'], { backend, signal: ac.signal });
      ac.abort();
      assert.deepEqual(await aborted, { kind: 'killed', reason: 'abort' });
    });
  });
}
