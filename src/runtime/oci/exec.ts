// ExecSync: run a command in a running container and collect its output, through
// `conmon --exec` as CRI-O does. conmon runs `<runtime> exec --detach`, becomes the command's
// subreaper, copies its stdout/stderr into a CRI-format log, and reports the exit code on the
// sync pipe once the command exits — without waiting for background children that still hold
// the output open (a plain foreground `runc exec` would hang on them). With a timeout conmon
// kills the command's process group. The command inherits the container process's settings
// (user, env, cwd, capabilities, seccomp, AppArmor) from the bundle's config.json.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CriError, GrpcStatus } from '../../cri/errors.js';
import { runProcess, type RunResult } from '../process/run.js';
import { parseSyncMessage } from './conmon.js';
import { parseCriLog } from './log.js';
import type { OciProcess, OciSpec } from './oci-types.js';
import { runtimeMessage, type RuncCli } from './runc.js';

export interface ExecSyncOptions {
  /** Whole seconds are used (conmon's granularity, rounded up); 0 or unset: no timeout. */
  timeoutMs?: number;
  /** Output beyond this many bytes per stream is dropped (CRI-O and containerd cap at 16 MiB). */
  maxOutputBytes?: number;
  /** Extra KEY=value entries appended to the container's environment. */
  env?: string[];
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  /** The command's exit code; 128+n when killed by signal n; -1 when it timed out. */
  exitCode: number;
  /** The command ran past the timeout and was killed (containerd answers DeadlineExceeded, CRI-O exit code -1). */
  timedOut: boolean;
}

const DEFAULT_MAX_OUTPUT = 16 << 20;
const TIMED_OUT_MESSAGE = 'command timed out';

export interface ExecSyncTarget {
  conmonPath: string;
  cli: RuncCli;
  id: string;
  bundle: string;
}

/** Rebuilds each stream's bytes from CRI log entries ("F" entries end a line, "P" ones do not). */
function splitStreams(logText: string, max: number): { stdout: Buffer; stderr: Buffer } {
  const parts: Record<'stdout' | 'stderr', string[]> = { stdout: [], stderr: [] };
  for (const e of parseCriLog(logText)) parts[e.stream].push(e.partial ? e.content : `${e.content}\n`);
  const cap = (s: string[]): Buffer => {
    const b = Buffer.from(s.join(''), 'utf8');
    return b.length > max ? b.subarray(0, max) : b;
  };
  return { stdout: cap(parts.stdout), stderr: cap(parts.stderr) };
}

/**
 * The process of an exec in the container: its own process settings (user, cwd, capabilities,
 * seccomp, AppArmor) from the bundle's config.json, with `cmd`, the extra `env`, and for a
 * terminal TERM=xterm unless the image sets TERM (as containerd does).
 */
export async function execProcess(t: { id: string; bundle: string }, cmd: readonly string[], opts: { tty: boolean; env?: readonly string[] }): Promise<OciProcess> {
  let spec: OciSpec;
  try {
    spec = JSON.parse(await readFile(path.join(t.bundle, 'config.json'), 'utf8')) as OciSpec;
  } catch (err) {
    throw CriError.notFound(`container ${t.id}: cannot read its spec: ${(err as Error).message}`);
  }
  const env = [...spec.process.env, ...(opts.env ?? [])];
  if (opts.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  return { ...spec.process, args: [...cmd], terminal: opts.tty, env };
}

export async function execSync(t: ExecSyncTarget, cmd: readonly string[], opts: ExecSyncOptions = {}): Promise<ExecSyncResult> {
  if (cmd.length === 0) throw CriError.invalidArgument('exec command is empty');
  const proc = await execProcess(t, cmd, { tty: false, env: opts.env });
  const tag = randomBytes(6).toString('hex');
  const dir = path.join(t.bundle, `exec-${tag}`);
  await mkdir(dir, { mode: 0o700 });
  try {
    const procFile = path.join(dir, 'process.json');
    const logFile = path.join(dir, 'log');
    await writeFile(procFile, JSON.stringify(proc), { mode: 0o600 });
    const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const timeoutSec = opts.timeoutMs && opts.timeoutMs > 0 ? Math.ceil(opts.timeoutMs / 1000) : 0;
    const args = [
      '--api-version', '1', '--sync', '--exec',
      '--cid', t.id, '--cuuid', `exec-${tag}`, '--name', t.id,
      '--runtime', t.cli.binary,
      '--container-pidfile', path.join(dir, 'pid'),
      '--exec-process-spec', procFile,
      '--log-path', logFile, '--log-global-size-max', String(2 * max),
      // conmon names the exit file after the container id: keep it out of the runtime's exit dir.
      '--exit-dir', dir,
      '--socket-dir-path', dir,
      '--log-level', 'error',
    ];
    if (timeoutSec > 0) args.push('--timeout', String(timeoutSec));
    for (const a of t.cli.baseArgs) args.push('--runtime-arg', a);

    // The sync pipe (fd 3) carries the pid, then the exit code. The limit is a safety net only:
    // conmon enforces the timeout itself.
    let r: RunResult;
    try {
      r = await runProcess(t.conmonPath, args, {
        env: { ...process.env, _OCI_SYNCPIPE: '3' },
        fd3Output: true,
        ...(timeoutSec > 0 ? { timeoutMs: (timeoutSec + 30) * 1000 } : {}),
      });
    } catch (e) {
      throw new CriError(GrpcStatus.INTERNAL, e instanceof Error ? e.message : String(e));
    }
    const messages = r.fd3 || r.stderr;

    const lines = messages.split('\n').filter((l) => l.trim() !== '').map(parseSyncMessage);
    const [started, finished] = lines;
    if (!started || started.pid <= 0) {
      const why = runtimeMessage(started?.message ?? messages) || 'conmon reported nothing';
      throw new CriError(GrpcStatus.UNKNOWN, `exec in container ${t.id} failed: ${why}`);
    }
    if (!finished) throw new CriError(GrpcStatus.UNKNOWN, `exec in container ${t.id}: conmon exited without reporting the exit code`);
    const timedOut = finished.message === TIMED_OUT_MESSAGE;
    const logText = await readFile(logFile, 'utf8').catch(() => '');
    return { ...splitStreams(logText, max), exitCode: timedOut ? -1 : finished.pid, timedOut };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
