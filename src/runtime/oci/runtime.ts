// OciRuntime: one RuntimeClass handler (runc, runsc) driven through conmon, as CRI-O does it.
// The container's lifetime is held by conmon, not by this process: every answer here is
// derived from files conmon writes (see conmon.ts) and from `<runtime> state`, so a restarted
// skiff sees the same truth. Callers persist the ContainerHandle returned by create.

import { constants as fsc, readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CriError, GrpcStatus } from '../../cri/errors.js';
import { conmonCreate, readPid } from './conmon.js';
import { REOPEN_LOG_LINE, writeControl } from './conmon-control.js';
import { execSync, type ExecSyncOptions, type ExecSyncResult } from './exec.js';
import type { OciResources, OciSpec } from './oci-types.js';
import { RuncCli, type RuncState } from './runc.js';

export interface OciRuntimeOptions {
  /** RuntimeClass handler name ("runc", "runsc"). */
  handler: string;
  /** The runtime binary: /usr/sbin/runc, /usr/bin/runsc. */
  runtimePath: string;
  /** The runtime's state directory (`--root`), owned by this handler. */
  runtimeRoot: string;
  /** Extra global runtime flags (after --root). */
  runtimeArgs?: string[];
  conmonPath?: string;
  /** Directory where conmon writes `<id>` exit files. */
  exitDir: string;
  /** Directory of attach-socket symlinks; keep it short (unix socket paths are limited to 108 bytes). */
  socketDir: string;
  conmonLogLevel?: 'error' | 'warning' | 'info' | 'debug';
  /** Cgroup v1 mount root, for OOM counters. */
  cgroupRoot?: string;
  /** The runtime runs a guest kernel (gVisor): host namespaces of other kinds than the network's are not joined by path. */
  guestKernel?: boolean;
}

/** What a caller keeps to address a container later (persist it; it is all plain strings). */
export interface ContainerHandle {
  id: string;
  /** Directory with config.json, the pid file and conmon's control fifos. */
  bundle: string;
  /** Directory where conmon writes `exit` and `oom`; the bundle unless given. */
  persistDir: string;
  logPath?: string;
  /** The spec's linux.cgroupsPath, kept so stats and OOM checks need not re-read config.json. */
  cgroupsPath?: string;
}

export interface CreateOptions {
  id: string;
  bundle: string;
  spec: OciSpec;
  persistDir?: string;
  /** CRI log path (sandbox log_directory + container log_path); unset discards output. */
  logPath?: string;
  name?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  logSizeMax?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'exited' | 'unknown';

export interface ContainerRuntimeStatus {
  id: string;
  state: ContainerState;
  /** Init pid while created/running; 0 otherwise. */
  pid: number;
  createdAt?: Date;
  exitCode?: number;
  finishedAt?: Date;
  oomKilled: boolean;
  /** CRI reason for an exited container: OOMKilled, Completed or Error. */
  reason?: 'OOMKilled' | 'Completed' | 'Error';
}

/** What conmon recorded when the container exited. */
export interface ExitInfo {
  exitCode: number;
  finishedAt: Date;
}

/** Exit code reported when the runtime says stopped but conmon died without writing one (CRI-O uses 255 too). */
export const UNKNOWN_EXIT_CODE = 255;

/**
 * True while `pid` runs. A zombie counts as gone: it has exited and only waits for its parent to
 * collect it — for conmon that parent is init, which may reap late (seconds on some VMs), and
 * waiting for that made every container removal wait too.
 */
function pidAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}

export class OciRuntime {
  readonly cli: RuncCli;
  readonly conmonPath: string;

  constructor(readonly options: OciRuntimeOptions) {
    this.cli = new RuncCli(options.runtimePath, options.runtimeRoot, options.runtimeArgs ?? []);
    this.conmonPath = options.conmonPath ?? '/usr/bin/conmon';
  }

  get handler(): string {
    return this.options.handler;
  }

  /**
   * Writes config.json into the bundle and creates the container under conmon. On failure
   * nothing is left in the runtime (a half-created container is force-deleted).
   */
  async create(opts: CreateOptions): Promise<ContainerHandle & { pid: number; conmonPid: number }> {
    const persistDir = opts.persistDir ?? opts.bundle;
    await mkdir(opts.bundle, { recursive: true, mode: 0o700 });
    await writeFile(path.join(opts.bundle, 'config.json'), JSON.stringify(opts.spec, null, 2), { mode: 0o600 });
    await mkdir(this.options.runtimeRoot, { recursive: true, mode: 0o700 });
    const handle: ContainerHandle = { id: opts.id, bundle: opts.bundle, persistDir };
    if (opts.spec.linux?.cgroupsPath) handle.cgroupsPath = opts.spec.linux.cgroupsPath;
    if (opts.logPath) handle.logPath = opts.logPath;
    try {
      const created = await conmonCreate({
        conmonPath: this.conmonPath,
        runtimePath: this.options.runtimePath,
        runtimeArgs: this.cli.baseArgs,
        id: opts.id,
        name: opts.name ?? opts.id,
        bundle: opts.bundle,
        persistDir,
        exitDir: this.options.exitDir,
        socketDir: this.options.socketDir,
        logPath: opts.logPath,
        logSizeMax: opts.logSizeMax,
        logLevel: this.options.conmonLogLevel,
        stdin: opts.stdin,
        leaveStdinOpen: opts.stdin === true && opts.stdinOnce !== true,
        terminal: opts.spec.process.terminal === true,
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
      });
      return { ...handle, ...created };
    } catch (err) {
      await this.delete(handle, { force: true }).catch(() => undefined);
      throw err;
    }
  }

  /** Starts the created container; returns the start time. */
  async start(h: ContainerHandle): Promise<Date> {
    try {
      await this.cli.start(h.id);
    } catch (err) {
      // Why it failed is asked only after a failure: a `state` call first would cost every
      // start one more runtime process (~6 ms here).
      const st = await this.cli.state(h.id).catch(() => undefined);
      if (!st) throw CriError.notFound(`container ${h.id} does not exist in the ${this.handler} runtime`);
      if (st.status !== 'created') throw CriError.failedPrecondition(`container ${h.id} is ${st.status}, not created: it can only be started once`);
      throw err;
    }
    return new Date();
  }

  /** The exit code and time conmon recorded, if the container has exited. */
  async exitInfo(h: ContainerHandle): Promise<ExitInfo | undefined> {
    for (const file of [path.join(h.persistDir, 'exit'), path.join(this.options.exitDir, h.id)]) {
      try {
        const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
        const code = Number(text.trim());
        if (text.trim() !== '' && Number.isInteger(code)) return { exitCode: code, finishedAt: st.mtime };
      } catch {
        // not written (yet), try the next
      }
    }
    return undefined;
  }

  /** True when the container's memory cgroup saw an OOM kill (conmon's oom file, or the v1 oom_kill counter). */
  async oomKilled(h: ContainerHandle): Promise<boolean> {
    try {
      await stat(path.join(h.persistDir, 'oom'));
      return true;
    } catch {
      // no oom file: ask the cgroup while it still exists
    }
    const cg = await this.cgroupsPath(h);
    if (!cg) return false;
    try {
      const text = await readFile(path.join(this.options.cgroupRoot ?? '/sys/fs/cgroup', 'memory', cg, 'memory.oom_control'), 'utf8');
      const m = /^oom_kill (\d+)$/m.exec(text);
      return m !== null && Number(m[1]) > 0;
    } catch {
      return false;
    }
  }

  /** The container's cgroup path (relative to each controller's mount). */
  async cgroupsPath(h: ContainerHandle): Promise<string | undefined> {
    if (h.cgroupsPath !== undefined) return h.cgroupsPath;
    try {
      const spec = JSON.parse(await readFile(path.join(h.bundle, 'config.json'), 'utf8')) as OciSpec;
      return spec.linux?.cgroupsPath;
    } catch {
      return undefined;
    }
  }

  /** Creation time: the runtime's, else (runsc reports none; an exited container's is not asked) when the runtime wrote the init pid file. */
  private async createdAt(h: ContainerHandle, st: RuncState | undefined): Promise<Date | undefined> {
    const fromRuntime = st?.created ? new Date(st.created) : undefined;
    if (fromRuntime && !Number.isNaN(fromRuntime.getTime())) return fromRuntime;
    return stat(path.join(h.bundle, 'pidfile')).then((s) => s.mtime, () => undefined);
  }

  /** The container's state from conmon's files and, unless conmon recorded the exit, the runtime. */
  async status(h: ContainerHandle): Promise<ContainerRuntimeStatus> {
    let exit = await this.exitInfo(h);
    const st = exit ? undefined : await this.cli.state(h.id);
    const createdAt = await this.createdAt(h, st);
    if (!exit && st && st.status === 'stopped') {
      // The process is gone; conmon writes the exit file once it has drained the output.
      const conmon = await readPid(path.join(h.persistDir, 'conmon.pid'));
      for (let i = 0; i < 40 && !exit && pidAlive(conmon); i++) {
        await sleep(50);
        exit = await this.exitInfo(h);
      }
      if (!exit) exit = { exitCode: UNKNOWN_EXIT_CODE, finishedAt: new Date() };
    }
    if (exit) {
      const oomKilled = await this.oomKilled(h);
      const reason = oomKilled ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error';
      const out: ContainerRuntimeStatus = { id: h.id, state: 'exited', pid: 0, exitCode: exit.exitCode, finishedAt: exit.finishedAt, oomKilled, reason };
      if (createdAt) out.createdAt = createdAt;
      return out;
    }
    if (!st) return { id: h.id, state: 'unknown', pid: 0, oomKilled: false };
    const state: ContainerState = st.status === 'created' || st.status === 'creating' ? 'created' : st.status === 'running' ? 'running' : st.status === 'paused' || st.status === 'pausing' ? 'paused' : 'unknown';
    const out: ContainerRuntimeStatus = { id: h.id, state, pid: st.pid, oomKilled: false };
    if (createdAt) out.createdAt = createdAt;
    return out;
  }

  /**
   * The init pid while the container runs, else undefined — cheaply, for listings: conmon's exit
   * file and the liveness of conmon and the pid it recorded answer without spawning the runtime;
   * only an unclear case (conmon gone, no exit file) asks the runtime.
   */
  async runningPid(h: ContainerHandle): Promise<number | undefined> {
    const seen = await this.fromConmon(h);
    if (seen !== undefined) return 'pid' in seen ? seen.pid : undefined;
    const st = await this.status(h);
    return st.state === 'running' && st.pid > 0 ? st.pid : undefined;
  }

  /**
   * What conmon's files alone say: the exit it recorded, or the init pid while both conmon and
   * that pid live; undefined when they leave it unclear (conmon gone without an exit file). A
   * created, never started container also reads as running here: its init waits in the runtime.
   */
  private async fromConmon(h: ContainerHandle): Promise<{ exit: ExitInfo } | { pid: number } | undefined> {
    const exit = await this.exitInfo(h);
    if (exit) return { exit };
    const [conmon, pid] = await Promise.all([readPid(path.join(h.persistDir, 'conmon.pid')), readPid(path.join(h.bundle, 'pidfile'))]);
    return pid !== undefined && pidAlive(conmon) && pidAlive(pid) ? { pid } : undefined;
  }

  /** Signals the container's init (or, with `all`, every process in it). */
  async kill(h: ContainerHandle, signal: string | number, all = false): Promise<void> {
    await this.cli.kill(h.id, signal, all);
  }

  /**
   * Waits until conmon has recorded the exit, polling. Resolves undefined on timeout or abort;
   * also stops waiting when the runtime reports the container gone and conmon is dead.
   */
  async waitExit(h: ContainerHandle, timeoutMs: number, signal?: AbortSignal): Promise<ExitInfo | undefined> {
    const deadline = Date.now() + timeoutMs;
    let delay = 20;
    const conmon = await readPid(path.join(h.persistDir, 'conmon.pid')); // written once, at create
    for (;;) {
      const exit = await this.exitInfo(h);
      if (exit) return exit;
      if (signal?.aborted || Date.now() >= deadline) return undefined;
      if (!pidAlive(conmon)) {
        const st = await this.cli.state(h.id);
        if (!st || st.status === 'stopped') return { exitCode: UNKNOWN_EXIT_CODE, finishedAt: new Date() };
      }
      await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
      delay = Math.min(delay * 2, 250);
    }
  }

  /**
   * CRI StopContainer: `signal` (the image's StopSignal, default SIGTERM), then after
   * `timeoutSeconds` SIGKILL to every process; resolves once conmon recorded the exit. Stopping
   * an exited container is a no-op; a never-started one is killed. With `started` (the caller
   * knows the container was started) the runtime is asked for the state only when conmon's files
   * leave it unclear, so a stop costs the `kill` calls alone.
   */
  async stop(h: ContainerHandle, timeoutSeconds: number, opts: { signal?: string; abort?: AbortSignal; started?: boolean } = {}): Promise<void> {
    // One look at conmon's files; the runtime is asked only when they cannot tell running from
    // created (not known to be started) or leave it unclear.
    const seen = await this.fromConmon(h);
    if (seen !== undefined && 'exit' in seen) return;
    let created = false;
    if (!opts.started || seen === undefined) {
      const st = await this.status(h);
      if (st.state === 'exited') return;
      if (st.state === 'unknown') throw CriError.notFound(`container ${h.id} does not exist in the ${this.handler} runtime`);
      created = st.state === 'created';
    }
    if (timeoutSeconds > 0 && !created) {
      await this.killIgnoringStopped(h, opts.signal ?? 'SIGTERM', false);
      if (await this.waitExit(h, timeoutSeconds * 1000, opts.abort)) return;
    }
    await this.killIgnoringStopped(h, 'SIGKILL', true);
    if (!(await this.waitExit(h, 60_000))) throw CriError.deadlineExceeded(`container ${h.id} did not exit within 60 s of SIGKILL`);
  }

  private async killIgnoringStopped(h: ContainerHandle, signal: string, all: boolean): Promise<void> {
    try {
      await this.cli.kill(h.id, signal, all);
    } catch (err) {
      // Exited between our status check and the kill: nothing to signal.
      const st = await this.cli.state(h.id).catch(() => undefined);
      if (st && st.status !== 'stopped') throw err;
    }
  }

  /**
   * Removes the container from the runtime (its runtime state and cgroups) and conmon's exit
   * and attach files. `force` kills a running container first. The bundle and persist
   * directories belong to the caller, which removes them.
   */
  async delete(h: ContainerHandle, opts: { force?: boolean } = {}): Promise<void> {
    if (!opts.force) {
      // Only an unforced delete needs the state (runc would also refuse, less clearly).
      const st = await this.cli.state(h.id);
      if (st && st.status !== 'stopped') throw CriError.failedPrecondition(`container ${h.id} is ${st.status}: stop it before removing it`);
    }
    await this.cli.delete(h.id, opts.force === true);
    // Let conmon finish writing (it exits right after the exit file) so nothing appears after us.
    const conmon = await readPid(path.join(h.persistDir, 'conmon.pid'));
    for (let i = 0; i < 200 && pidAlive(conmon); i++) await sleep(25);
    await rm(path.join(this.options.exitDir, h.id), { force: true });
    await rm(path.join(this.options.socketDir, h.id), { force: true });
  }

  /** Runs a command in the running container and collects its output (CRI ExecSync). */
  async execSync(h: ContainerHandle, cmd: readonly string[], opts: ExecSyncOptions = {}): Promise<ExecSyncResult> {
    const st = await this.cli.state(h.id);
    if (!st) throw CriError.notFound(`container ${h.id} does not exist in the ${this.handler} runtime`);
    if (st.status !== 'running') throw CriError.failedPrecondition(`container ${h.id} is ${st.status}, not running`);
    return execSync({ conmonPath: this.conmonPath, cli: this.cli, id: h.id, bundle: h.bundle }, cmd, opts);
  }

  /**
   * CRI ReopenContainerLog: asks conmon to reopen the log file (after the caller renamed it for
   * rotation) and waits until the new file exists.
   */
  async reopenLog(h: ContainerHandle): Promise<void> {
    try {
      await writeControl(path.join(h.bundle, 'ctl'), REOPEN_LOG_LINE);
    } catch (err) {
      // With no reader (conmon gone) the non-blocking open fails with ENXIO.
      throw CriError.failedPrecondition(`container ${h.id} is not running, its log cannot be reopened (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!h.logPath) return;
    for (let i = 0; i < 100; i++) {
      try {
        await stat(h.logPath);
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new CriError(GrpcStatus.UNKNOWN, `conmon did not reopen ${h.logPath} within 5 s`);
  }

  /** CRI UpdateContainerResources: new cgroup limits for a created or running container. */
  async updateResources(h: ContainerHandle, resources: OciResources): Promise<void> {
    await this.cli.update(h.id, resources);
  }

  /** Every container this handler's runtime root holds (for recovery and `skiff reset`). */
  list(): Promise<RuncState[]> {
    return this.cli.list();
  }
}
