// Creating a container under conmon, the way CRI-O does: conmon double-forks into its own
// session, runs `<runtime> create`, reports the container pid (or the runtime's error) on a
// sync pipe, then stays as the container's parent: it copies stdout/stderr into the CRI log
// file, notices OOM kills, and writes the exit code when the container ends. So the container
// and its logs survive the runtime process that started it. `<runtime> start` is the caller's
// next step.
//
// Files conmon leaves (contract relied upon by runtime.ts):
//   <bundle>/pidfile          container init pid          <persist>/conmon.pid   conmon's pid
//   <bundle>/ctl              control fifo ("2 0 0\n" reopens the log; "1 h w\n" resizes a tty)
//   <persist>/exit, <exitDir>/<id>   exit code (decimal; 128+n when killed by signal n); mtime = exit time
//   <persist>/oom             exists after an OOM kill in the container's memory cgroup
//   <socketDir>/<cuuid>       symlink to the bundle, holding the `attach` socket (conmon 2.1.6
//                             does not always remove it; OciRuntime.delete does)
//
// Logs (verified with conmon 2.1.6 here): `--log-path <file>` writes the CRI format
// `<RFC3339Nano> stdout|stderr F|P <text>`; "none:" discards output. Rotation works as kubelet
// expects: rename the file, then write "2 0 0\n" to <bundle>/ctl and conmon creates a fresh file
// at the path (OciRuntime.reopenLog). SIGUSR1 is NOT a reopen signal (conmon uses it internally
// for child reaping). `--log-size-max` only truncates the file in place when it would exceed the
// size (older lines are lost, no rotated copy), so skiff leaves rotation to kubelet.

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CriError, GrpcStatus } from '../../cri/errors.js';
import { runUntilSyncLine, type SyncLineResult } from '../process/run.js';
import { runtimeMessage } from './runc.js';

export interface ConmonCreateOptions {
  conmonPath: string;
  /** The OCI runtime binary conmon runs (runc or runsc). */
  runtimePath: string;
  /** Global runtime arguments, e.g. `--root=/run/skiff/runc`. */
  runtimeArgs: readonly string[];
  id: string;
  /** Names the attach symlink in socketDir; defaults to the id. */
  cuuid?: string;
  /** Container name for conmon's own log lines. */
  name?: string;
  bundle: string;
  persistDir: string;
  exitDir: string;
  socketDir: string;
  /** CRI log file; undefined discards output (conmon's "none" driver). */
  logPath?: string;
  /** conmon truncates the log file when it would grow past this many bytes. */
  logSizeMax?: number;
  logLevel?: 'error' | 'warning' | 'info' | 'debug';
  /** Keep a stdin pipe open for attach. */
  stdin?: boolean;
  /** Keep stdin open after the first attach client disconnects (CRI stdin_once = false). */
  leaveStdinOpen?: boolean;
  /** Allocate a pty (CRI tty). */
  terminal?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ConmonCreated {
  /** The container's init pid, as the runtime reported it. */
  pid: number;
  /** conmon's own pid (the daemonized monitor). */
  conmonPid: number;
}

const MAX_CAPTURE = 64 * 1024;

/** The conmon argv for `opts` (exported for tests and diagnostics). */
export function conmonArgs(opts: ConmonCreateOptions): string[] {
  const args = [
    '--bundle', opts.bundle,
    '--cid', opts.id,
    '--cuuid', opts.cuuid ?? opts.id,
    '--name', opts.name ?? opts.id,
    '--runtime', opts.runtimePath,
    '--container-pidfile', path.join(opts.bundle, 'pidfile'),
    '--conmon-pidfile', path.join(opts.persistDir, 'conmon.pid'),
    '--log-path', opts.logPath ?? 'none:',
    '--exit-dir', opts.exitDir,
    '--persist-dir', opts.persistDir,
    '--socket-dir-path', opts.socketDir,
    '--log-level', opts.logLevel ?? 'error',
  ];
  for (const a of opts.runtimeArgs) args.push('--runtime-arg', a);
  if (opts.terminal) args.push('--terminal');
  else if (opts.stdin) args.push('--stdin');
  if (opts.stdin && opts.leaveStdinOpen) args.push('--leave-stdin-open');
  if (opts.logSizeMax !== undefined && opts.logSizeMax > 0) args.push('--log-size-max', String(opts.logSizeMax));
  return args;
}

/** The first `{"pid"|"data": n, "message": "..."}` line conmon writes on the sync pipe. */
export function parseSyncMessage(line: string): { pid: number; message?: string } | undefined {
  try {
    const obj = JSON.parse(line) as Record<string, unknown>;
    const n = obj.pid ?? obj.data;
    if (typeof n !== 'number') return undefined;
    return typeof obj.message === 'string' ? { pid: n, message: obj.message } : { pid: n };
  } catch {
    return undefined;
  }
}

/**
 * Spawns conmon and waits until the container is created (runtime `create` done, init waiting
 * for `start`). Throws CriError with the runtime's error text when creation fails. On timeout or
 * abort conmon is killed; the caller still runs `delete --force` to drop a half-made container.
 */
export async function conmonCreate(opts: ConmonCreateOptions): Promise<ConmonCreated> {
  await Promise.all([opts.exitDir, opts.socketDir, opts.persistDir].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
  if (opts.logPath) await mkdir(path.dirname(opts.logPath), { recursive: true });

  // fd 3 is the sync pipe; conmon's daemon keeps it open for its whole life, so only the first
  // line matters and our end is closed right after it (conmon's exit is not awaited).
  const timeoutMs = opts.timeoutMs ?? 120_000;
  let r: SyncLineResult;
  try {
    r = await runUntilSyncLine(opts.conmonPath, conmonArgs(opts), {
      // conmon drops files such as `oom` into its working directory too: keep them in the persist dir.
      cwd: opts.persistDir,
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      newSession: true,
      timeoutMs,
      signal: opts.signal,
    });
  } catch (e) {
    throw new CriError(GrpcStatus.INTERNAL, e instanceof Error ? e.message : String(e));
  }
  let outcome: { pid: number; message?: string } | Error;
  if (r.kind === 'killed') {
    outcome = r.reason === 'timeout'
      ? new CriError(GrpcStatus.DEADLINE_EXCEEDED, `container ${opts.id} was not created within ${timeoutMs} ms`)
      : new CriError(GrpcStatus.CANCELLED, `creation of container ${opts.id} was cancelled`);
  } else if (r.kind === 'exit') {
    const why = r.stderr.slice(0, MAX_CAPTURE).trim() || r.stdout.slice(0, MAX_CAPTURE).trim() || 'no error output';
    outcome = new CriError(GrpcStatus.UNKNOWN, `conmon exited before the container ${opts.id} was created: ${why}`);
  } else {
    outcome = parseSyncMessage(r.line) ?? new CriError(GrpcStatus.INTERNAL, `conmon sent an unreadable sync message: ${r.line}`);
  }

  const conmonPid = await readPid(path.join(opts.persistDir, 'conmon.pid'));
  if (outcome instanceof Error) {
    if (conmonPid !== undefined) killQuietly(conmonPid);
    throw outcome;
  }
  if (outcome.pid <= 0) {
    const why = runtimeMessage(outcome.message ?? '') || 'no error output';
    throw new CriError(GrpcStatus.UNKNOWN, `create container ${opts.id}: ${why}`);
  }
  if (conmonPid === undefined) throw new CriError(GrpcStatus.INTERNAL, `conmon did not write its pid file for container ${opts.id}`);
  return { pid: outcome.pid, conmonPid };
}

/** Reads a pid file; undefined when missing or not a pid. */
export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
