// The child_process backend of runProcess: Node forks itself for each tool. Simple and always
// available, but fork() copies the page tables of the whole Node process while the event loop
// waits (~2.5 ms at the runtime's ~100 MB), which is why the perl spawner is the default; this
// one stays as the fallback (SKIFF_SPAWNER=off) and as the reference the spawner is tested
// against. Contract: backend.ts.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable } from 'node:stream';
import { SpawnError, type ProcessBackend, type ProcessHandle, type ProcessOutcome, type ProcessRequest } from './backend.js';

export const directBackend: ProcessBackend = { name: 'child_process', start };

function start(req: ProcessRequest): ProcessHandle {
  let resolve!: (o: ProcessOutcome) => void;
  const done = new Promise<ProcessOutcome>((r) => (resolve = r));
  const stdio: StdioOptions = [req.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
  if (req.fd3 !== 'none') stdio.push('pipe');
  let child: ChildProcess;
  try {
    child = spawn(req.command, req.args, { cwd: req.cwd, env: req.env, stdio, detached: req.newSession });
  } catch (e) {
    resolve({ kind: 'spawn-error', error: spawnError(req.command, e) });
    return { done, kill: () => undefined, release: () => undefined };
  }

  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const fd3: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  if (req.fd3 === 'output') (child.stdio[3] as Readable).on('data', (c: Buffer) => fd3.push(c));
  let settled = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let syncOpen = req.fd3 === 'sync-line';

  const drop = (): void => {
    clearTimeout(graceTimer);
    for (const s of child.stdio) s?.destroy();
    child.unref();
  };
  const finish = (o: ProcessOutcome | undefined): void => {
    if (settled) return;
    settled = true;
    drop();
    if (o !== undefined) resolve(o);
  };
  const finishExit = (code: number | null, signal: NodeJS.Signals | null): void =>
    finish({ kind: 'exit', pid: child.pid ?? 0, code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), fd3: Buffer.concat(fd3) });
  // After the exit (and, with a sync pipe, its EOF) the output gets exitGraceMs to drain.
  const startGrace = (): void => {
    if (exit === undefined || syncOpen || graceTimer !== undefined) return;
    const { code, signal } = exit;
    graceTimer = setTimeout(() => finishExit(code, signal), req.exitGraceMs);
  };

  if (req.fd3 === 'sync-line') {
    const sync = child.stdio[3] as Readable;
    let buf = '';
    sync.setEncoding('utf8');
    sync.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish({ kind: 'line', pid: child.pid ?? 0, line: buf.slice(0, nl) });
    });
    sync.on('error', () => undefined);
    sync.on('close', () => {
      syncOpen = false;
      startGrace();
    });
  }
  child.on('error', (e) => {
    // Only a failed start leaves the child without a pid; later errors (a failed kill) are moot.
    if (child.pid === undefined) finish({ kind: 'spawn-error', error: spawnError(req.command, e) });
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    startGrace();
  });
  child.on('close', (code: number | null, signal: NodeJS.Signals | null) => finishExit(code, signal));
  if (child.stdin) {
    // A tool may exit without reading its input: that EPIPE is not ours to report — its exit is.
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.input);
  }
  return {
    done,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    release: () => finish(undefined),
  };
}

function spawnError(command: string, e: unknown): SpawnError {
  const code = (e as NodeJS.ErrnoException).code;
  return new SpawnError(command, `cannot run ${command}: ${e instanceof Error ? e.message : String(e)}`, code);
}
