// A thin wrapper over an OCI runtime's command line (runc, or runsc which takes the same
// commands): every call is `<binary> --root <root> [global args] <command> ...` with explicit
// arguments, and a failure carries the runtime's own stderr.

import { CriError, GrpcStatus } from '../../cri/errors.js';
import { runProcess, type RunResult } from '../process/run.js';

export type { RunResult };

/** `runc state` output. */
export interface RuncState {
  ociVersion: string;
  id: string;
  /** Host pid of the container's init; 0 once stopped. */
  pid: number;
  status: 'creating' | 'created' | 'running' | 'pausing' | 'paused' | 'stopped';
  bundle: string;
  rootfs: string;
  /** RFC 3339 creation time (runc; runsc leaves it out). */
  created?: string;
  annotations?: Record<string, string>;
}

/** Signal names and numbers `kill` accepts: "TERM", "SIGTERM", "15". */
export function normalizeSignal(signal: string | number): string {
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw CriError.invalidArgument(`invalid signal number ${signal}`);
    return String(n);
  }
  const name = signal.toUpperCase().replace(/^SIG/, '');
  if (!/^(RTMIN|RTMAX)([+-]\d+)?$|^[A-Z0-9]+$/.test(name) || name === '') throw CriError.invalidArgument(`invalid signal "${signal}"`);
  return `SIG${name}`;
}

/** True when a runtime's error text says the container does not exist. */
export function isNotExist(stderr: string): boolean {
  return /does not exist|not found|no such container/i.test(stderr);
}

/** The message part of runc's logrus lines (`time=... level=error msg="..."`), else the text trimmed. */
export function runtimeMessage(stderr: string): string {
  const msgs = [...stderr.matchAll(/msg="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]?.replace(/\\"/g, '"') ?? '');
  return (msgs.length > 0 ? msgs.join('; ') : stderr).trim();
}

export class RuncCli {
  constructor(
    /** Absolute path of the runtime binary, e.g. /usr/sbin/runc. */
    readonly binary: string,
    /** State directory (`--root`) this runtime instance owns. */
    readonly root: string,
    /** Further global flags, placed before the command. */
    readonly globalArgs: readonly string[] = [],
  ) {}

  /** The full global argument list: --root first. */
  get baseArgs(): string[] {
    return [`--root=${this.root}`, ...this.globalArgs];
  }

  /**
   * Runs one command and collects its output; never throws for a non-zero exit. The output gets
   * runProcess's short grace after the exit: runsc leaves a gofer per container holding our pipes.
   */
  async run(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    try {
      return await runProcess(this.binary, [...this.baseArgs, ...args], opts);
    } catch (e) {
      throw new CriError(GrpcStatus.INTERNAL, e instanceof Error ? e.message : String(e));
    }
  }

  /** Runs a command that must succeed; a failure throws with the runtime's message. */
  async mustRun(args: readonly string[], what: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code === 0) return r.stdout;
    const why = runtimeMessage(r.stderr) || (r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`);
    const code = isNotExist(r.stderr) ? GrpcStatus.NOT_FOUND : GrpcStatus.UNKNOWN;
    throw new CriError(code, `${what}: ${why}`);
  }

  /** The container's runtime state, or undefined when the runtime does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    const r = await this.run(['state', id], { timeoutMs: 30_000 });
    if (r.code === 0) return JSON.parse(r.stdout) as RuncState;
    if (isNotExist(r.stderr)) return undefined;
    throw new CriError(GrpcStatus.UNKNOWN, `${this.binary} state ${id}: ${runtimeMessage(r.stderr) || `exit status ${r.code}`}`);
  }

  /** Every container under this root. */
  async list(): Promise<RuncState[]> {
    const out = await this.mustRun(['list', '--format', 'json'], `${this.binary} list`, { timeoutMs: 30_000 });
    const parsed = JSON.parse(out.trim() || 'null') as RuncState[] | null;
    return parsed ?? [];
  }

  /** Starts a created container (runs the user process). */
  async start(id: string): Promise<void> {
    await this.mustRun(['start', id], `start container ${id}`, { timeoutMs: 60_000 });
  }

  /** Sends a signal to the init process, or with `all` to every process of the container. */
  async kill(id: string, signal: string | number, all = false): Promise<void> {
    await this.mustRun(['kill', ...(all ? ['--all'] : []), id, normalizeSignal(signal)], `signal container ${id}`, { timeoutMs: 30_000 });
  }

  /** Deletes the container's runtime state (and cgroups); `force` kills it first if running. Absent is fine. */
  async delete(id: string, force = false): Promise<void> {
    const r = await this.run(['delete', ...(force ? ['--force'] : []), id], { timeoutMs: 60_000 });
    if (r.code === 0 || isNotExist(r.stderr)) return;
    throw new CriError(GrpcStatus.UNKNOWN, `delete container ${id}: ${runtimeMessage(r.stderr) || `exit status ${r.code}`}`);
  }

  /** Applies new cgroup limits (linux.resources JSON) to a running container. */
  async update(id: string, resources: object): Promise<void> {
    await this.mustRun(['update', '--resources', '-', id], `update container ${id}`, { input: JSON.stringify(resources), timeoutMs: 30_000 });
  }
}
