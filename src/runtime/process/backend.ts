// What runProcess (run.ts) needs from whatever actually starts a process: one request in, one
// outcome out, plus kill and release. Two implementations: the perl spawner (spawner.ts, the
// default: the Node process never forks for a tool) and child_process (direct.ts).
//
// Contract shared by both backends:
// - `done` settles exactly once (unless the handle was released): with the exit (status and all
//   output), with the sync pipe's first line (fd3 'sync-line'), or with a SpawnError when the
//   process could not be started. It never rejects.
// - After the child exits, its stdout/stderr may stay open because a descendant inherited them
//   (runsc's gofer does); the outcome then waits at most `exitGraceMs` for them to close.
// - fd3 'sync-line': the child gets a pipe as fd 3; `done` settles with its first line (without
//   the newline) as soon as that arrives — the child's exit is not awaited and all pipes are
//   dropped — or, when fd 3 reaches EOF without a line, with the exit as above (stdout/stderr say
//   why).
// - fd3 'output': the child gets a pipe as fd 3, collected like stdout into the exit's `fd3`
//   (conmon --sync reports a whole run there: the pid, then the exit code).
// - kill(signal) signals the child (its pid only, as child_process does) unless it was reaped.
// - release() stops all interest in the child: pipes are closed, `done` will not settle.

export interface ProcessRequest {
  command: string;
  /** Arguments after argv[0] (which is `command`). */
  args: readonly string[];
  /** The child's whole environment. */
  env: Readonly<Record<string, string>>;
  /** Working directory; the caller's when undefined. */
  cwd?: string;
  /** Bytes written to a stdin pipe, which is then closed; undefined: stdin is /dev/null. */
  input?: Buffer;
  /** fd 3 of the child: none, a sync pipe whose first line settles `done`, or collected output. */
  fd3: 'none' | 'sync-line' | 'output';
  /** Start the child in a new session (setsid), as child_process's `detached`. */
  newSession: boolean;
  /** How long the child's stdout/stderr may stay open after it exited (see above). */
  exitGraceMs: number;
}

export interface ProcessExit {
  kind: 'exit';
  pid: number;
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** What the child wrote to fd 3 (fd3 'output'); empty otherwise. */
  fd3: Buffer;
}

export interface ProcessSyncLine {
  kind: 'line';
  pid: number;
  line: string;
}

export interface ProcessSpawnFailure {
  kind: 'spawn-error';
  error: SpawnError;
}

export type ProcessOutcome = ProcessExit | ProcessSyncLine | ProcessSpawnFailure;

export interface ProcessHandle {
  readonly done: Promise<ProcessOutcome>;
  kill(signal: NodeJS.Signals): void;
  release(): void;
}

export interface ProcessBackend {
  readonly name: string;
  start(req: ProcessRequest): ProcessHandle;
}

/**
 * The process could not be started (no such binary, bad cwd), or the machinery starting it
 * failed (the spawner died). `code` is the errno name when there is one (ENOENT, EACCES).
 */
export class SpawnError extends Error {
  constructor(
    readonly command: string,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}
