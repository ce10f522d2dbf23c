// The one way the runtime runs an OS tool to completion (mount, unshare, CNI plugins, runc) and
// starts conmon: runProcess and runUntilSyncLine. Callers keep their own error mapping; this
// module only reports what happened.
//
// Contract:
// - runProcess resolves for every exit, zero or not, with the status, the signal that killed the
//   child, and its whole stdout/stderr (UTF-8). It rejects only with a SpawnError: the tool could
//   not be started (missing binary, bad cwd, a NUL in an argument) or the spawner died under it.
// - timeoutMs / signal: the child gets `killSignal` (SIGKILL) and the result says why (`killed`);
//   the call still waits for the exit. An already aborted signal starts nothing.
// - After the exit, output held open by a descendant gets `exitGraceMs` (250 ms) to drain.
// - env is the child's whole environment (default: this process's); stdin is /dev/null unless
//   `input` is given.
// - fd3Output gives the child a pipe as fd 3 whose bytes come back as `fd3`, drained like stdout
//   (conmon --exec --sync reports there).
//
// Which backend starts the process: the perl spawner (spawner.ts) unless SKIFF_SPAWNER=off, in
// which case child_process (direct.ts). Both honour backend.ts's contract.

import { SpawnError, type ProcessBackend, type ProcessHandle, type ProcessRequest } from './backend.js';
import { directBackend } from './direct.js';
import { defaultSpawner } from './spawner.js';

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  /** The child's whole environment; default: this process's. Undefined values are left out. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What timeoutMs and signal send; default SIGKILL. */
  killSignal?: NodeJS.Signals;
  /** How long output may stay open after the exit; default 250 ms. */
  exitGraceMs?: number;
  /** Start the child in its own session (setsid). */
  newSession?: boolean;
  /** runProcess: give the child a pipe as fd 3 and return what it writes there as `fd3`. */
  fd3Output?: boolean;
  /** Who starts the process; default processBackend(). */
  backend?: ProcessBackend;
}

export interface RunResult {
  /** Exit status; null when killed by a signal or never started (aborted before). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** What the child wrote to fd 3, with fd3Output. */
  fd3?: string;
  /** Set when runProcess itself ended the child: timeoutMs passed, or the signal aborted. */
  killed?: 'timeout' | 'abort';
}

export const DEFAULT_EXIT_GRACE_MS = 250;

let chosen: ProcessBackend | undefined;

/** The backend runProcess uses by default: chosen once, from SKIFF_SPAWNER ("off": child_process). */
export function processBackend(): ProcessBackend {
  chosen ??= process.env.SKIFF_SPAWNER === 'off' ? directBackend : defaultSpawner();
  return chosen;
}

/** Runs `command` to completion; see the contract above. */
export async function runProcess(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  if (opts.signal?.aborted) return { code: null, signal: null, stdout: '', stderr: '', killed: 'abort' };
  const handle = (opts.backend ?? processBackend()).start(request(command, args, opts, opts.fd3Output ? 'output' : 'none'));
  const stop = watchLimits(handle, opts, () => undefined);
  try {
    const o = await handle.done;
    if (o.kind === 'spawn-error') throw o.error;
    if (o.kind === 'line') throw new Error('runProcess: a sync-pipe outcome without a sync pipe'); // cannot happen
    const r: RunResult = { code: o.code, signal: o.signal, stdout: o.stdout.toString(), stderr: o.stderr.toString() };
    if (opts.fd3Output) r.fd3 = o.fd3.toString();
    if (stop.killed !== undefined) r.killed = stop.killed;
    return r;
  } finally {
    stop.clear();
  }
}

export type SyncLineResult =
  | { kind: 'line'; pid: number; line: string }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  | { kind: 'killed'; reason: 'timeout' | 'abort' };

/**
 * Starts `command` with a pipe as fd 3 and waits for the first line written there (conmon's sync
 * pipe), without waiting for the exit: the child (a daemon) keeps running. EOF on fd 3 without a
 * line gives the exit and what the child printed. On timeout or abort the child is killed and
 * forgotten at once ({kind: 'killed'}); descendants it made are the caller's to clean up.
 * Rejects only with a SpawnError.
 */
export async function runUntilSyncLine(command: string, args: readonly string[], opts: RunOptions = {}): Promise<SyncLineResult> {
  if (opts.signal?.aborted) return { kind: 'killed', reason: 'abort' };
  const handle = (opts.backend ?? processBackend()).start(request(command, args, opts, 'sync-line'));
  let gaveUp!: (r: { kind: 'killed'; reason: 'timeout' | 'abort' }) => void;
  const killed = new Promise<{ kind: 'killed'; reason: 'timeout' | 'abort' }>((r) => (gaveUp = r));
  const stop = watchLimits(handle, opts, (reason) => {
    handle.release();
    gaveUp({ kind: 'killed', reason });
  });
  try {
    const o = await Promise.race([handle.done, killed]);
    if (o.kind === 'spawn-error') throw o.error;
    if (o.kind === 'exit') return { kind: 'exit', code: o.code, signal: o.signal, stdout: o.stdout.toString(), stderr: o.stderr.toString() };
    if (o.kind === 'line') return { kind: 'line', pid: o.pid, line: o.line };
    return o;
  } finally {
    stop.clear();
  }
}

function request(command: string, args: readonly string[], opts: RunOptions, fd3: ProcessRequest['fd3']): ProcessRequest {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env ?? process.env)) if (v !== undefined) env[k] = v;
  const bad = (what: string): never => {
    throw new SpawnError(command, `cannot run ${command}: ${what}`, 'EINVAL');
  };
  if (command === '' || command.includes('\0')) bad('the command name is empty or contains a NUL byte');
  for (const [i, a] of args.entries()) if (a.includes('\0')) bad(`argument ${i + 1} contains a NUL byte`);
  for (const [k, v] of Object.entries(env)) if (k === '' || /[=\0]/.test(k) || v.includes('\0')) bad(`environment variable ${JSON.stringify(k)} has an invalid name or a NUL byte`);
  if (opts.cwd?.includes('\0')) bad('the working directory contains a NUL byte');
  return {
    command,
    args,
    env,
    cwd: opts.cwd,
    input: opts.input === undefined ? undefined : Buffer.from(opts.input),
    fd3,
    newSession: opts.newSession ?? false,
    exitGraceMs: opts.exitGraceMs ?? DEFAULT_EXIT_GRACE_MS,
  };
}

/** Arms timeoutMs and the abort signal: each kills the child once and calls `onKill`. */
function watchLimits(handle: ProcessHandle, opts: RunOptions, onKill: (reason: 'timeout' | 'abort') => void): { killed?: 'timeout' | 'abort'; clear(): void } {
  const state: { killed?: 'timeout' | 'abort'; clear(): void } = { clear };
  const kill = (reason: 'timeout' | 'abort'): void => {
    if (state.killed !== undefined) return;
    state.killed = reason;
    handle.kill(opts.killSignal ?? 'SIGKILL');
    onKill(reason);
  };
  const timer = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? setTimeout(() => kill('timeout'), opts.timeoutMs) : undefined;
  const onAbort = (): void => kill('abort');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  function clear(): void {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return state;
}
