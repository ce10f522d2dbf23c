// The perl spawner's own life: killed mid-run (clear error, then a fresh spawner), gone with the
// process that started it, and not holding that process open.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { SpawnError } from '../../../src/runtime/process/backend.js';
import { runProcess, runUntilSyncLine } from '../../../src/runtime/process/run.js';
import { Spawner } from '../../../src/runtime/process/spawner.js';

const runModule = fileURLToPath(new URL('../../../src/runtime/process/run.js', import.meta.url));
const spawnerModule = fileURLToPath(new URL('../../../src/runtime/process/spawner.js', import.meta.url));

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** True while `pid` runs (a zombie does not count: it has exited). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('the perl spawner', () => {
  let tmp: string;
  const leftovers: number[] = [];
  before(async () => {
    tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'skiff-spawner-test-'));
  });
  after(async () => {
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await fsp.rm(tmp, { recursive: true, force: true });
  });

  it('a spawner killed mid-run fails its requests clearly, and the next call starts a new one', async () => {
    const spawner = new Spawner();
    const pidFile = path.join(tmp, 'sleeper');
    const running = runProcess('/bin/sh', ['-c', `echo $$ > ${pidFile}; exec sleep 60`], { backend: spawner });
    const syncing = runUntilSyncLine('sleep', ['60'], { backend: spawner });
    await waitFor('the tool to start', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
    leftovers.push(Number(await fsp.readFile(pidFile, 'utf8')));
    const first = spawner.pid;
    assert.ok(first !== undefined);
    process.kill(first, 'SIGKILL');
    for (const p of [running, syncing]) {
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof SpawnError);
        assert.equal(e.code, 'ESPAWNER');
        assert.match(e.message, new RegExp(`^the process spawner \\(skiff-spawner, pid ${first}\\) exited on SIGKILL while (/bin/sh|sleep) .*(outcome is unknown|whether it ran is unknown)$`));
        const orphan = /\(pid (\d+)\) was running/.exec(e.message);
        if (orphan) leftovers.push(Number(orphan[1]));
        return true;
      });
    }
    const r = await runProcess('echo', ['again'], { backend: spawner });
    assert.deepEqual(r, { code: 0, signal: null, stdout: 'again\n', stderr: '' });
    assert.notEqual(spawner.pid, first);
    spawner.stop();
  });

  it('renames itself and exits with the process that started it, without holding it open', async () => {
    // A process whose only work is one runProcess call: it must end by itself (the idle spawner
    // does not keep it alive) and take the spawner with it (EOF on the spawner's stdin).
    const script = `
      const { runProcess } = await import(${JSON.stringify(runModule)});
      const { defaultSpawner } = await import(${JSON.stringify(spawnerModule)});
      const r = await runProcess('echo', ['hi']);
      console.log(JSON.stringify({ r, spawner: defaultSpawner().pid }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, env: { ...process.env, SKIFF_SPAWNER: '' } });
    const { r, spawner } = JSON.parse(stdout) as { r: { stdout: string }; spawner: number };
    assert.equal(r.stdout, 'hi\n');
    await waitFor('the orphaned spawner to exit', () => !alive(spawner));
  });

  it('shows up as skiff-spawner', async () => {
    const spawner = new Spawner();
    try {
      await runProcess('true', [], { backend: spawner });
      const pid = spawner.pid;
      assert.ok(pid !== undefined);
      assert.equal((await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0], 'skiff-spawner');
    } finally {
      spawner.stop();
    }
  });
});
