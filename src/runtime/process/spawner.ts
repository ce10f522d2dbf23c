// The spawner backend of runProcess: a long-lived perl helper (spawner-script.ts) forks the
// tools, so the Node process never does.
//
// Why: child_process.spawn blocks Node's event loop for the whole fork(), which copies the page
// tables of the process — measured here ~1 ms at 45 MB RSS, ~2.5 ms at the runtime's ~100 MB,
// ~9 ms at 195 MB — and `skiff runtime` starts ~8 short-lived tools on the critical path of every
// pod start (unshare, CNI plugins, mount, conmon, runc start ...). A fork of the ~5 MB perl
// process costs a fraction of that, and it happens in another process: what Node pays per tool is
// one frame written to a pipe.
//
// Contract (beyond backend.ts's):
// - Started lazily by the first request, with child_process (that single fork is fine); its
//   stderr is this process's. Requests and events travel as the frames spawner-script.ts defines.
// - When this process exits, the spawner sees EOF on its stdin and exits; tools still running
//   are left to finish (as with child_process, whose children outlive their parent too).
// - If the spawner dies, every request it holds settles with a SpawnError saying so (code
//   ESPAWNER): whether such a tool ran, or is still running, cannot be known, so none is retried.
//   The next request starts a new spawner.
// - The spawner does not keep this process alive while idle; a request in flight does, as a
//   running child_process child would.
// - Tools inherit the spawner's process attributes (umask, rlimits, cgroup, oom_score_adj),
//   which are this process's as of the spawner's start: the runtime changes none of them later.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Socket } from 'node:net';
import { SpawnError, type ProcessBackend, type ProcessHandle, type ProcessOutcome, type ProcessRequest } from './backend.js';
import { SPAWNER_SCRIPT } from './spawner-script.js';

const FLAG_INPUT = 1;
const FLAG_SYNC_PIPE = 2;
const FLAG_NEW_SESSION = 4;
const FLAG_FD3_OUTPUT = 8;

interface Pending {
  command: string;
  pid: number;
  /** Output by stream number (1 stdout, 2 stderr, 3 fd 3). */
  out: [Buffer[], Buffer[], Buffer[]];
  resolve(o: ProcessOutcome): void;
}

export class Spawner implements ProcessBackend {
  readonly name = 'perl spawner';
  private proc: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private inbuf: Buffer = Buffer.alloc(0);

  /** The running spawner's pid, if one runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  start(req: ProcessRequest): ProcessHandle {
    const proc = this.ensure();
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    const done = new Promise<ProcessOutcome>((resolve) => this.pending.set(id, { command: req.command, pid: 0, out: [[], [], []], resolve }));
    this.write(proc, spawnFrame(id, req));
    this.updateRef();
    return {
      done,
      kill: (signal) => {
        if (this.pending.has(id)) this.write(proc, frame('K', id, u32(constants.signals[signal])));
      },
      release: () => {
        if (!this.pending.delete(id)) return;
        this.write(proc, frame('R', id));
        this.updateRef();
      },
    };
  }

  /** Stops the spawner (tests; a runtime just exits). Requests in flight fail as if it died. */
  stop(): void {
    this.proc?.kill('SIGKILL');
  }

  private ensure(): ChildProcess {
    if (this.proc !== undefined) return this.proc;
    const proc = spawn('perl', ['-e', SPAWNER_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = proc;
    this.inbuf = Buffer.alloc(0);
    proc.stdout?.on('data', (c: Buffer) => this.onData(c));
    // A dead spawner's stdin fails with EPIPE; its 'exit' (or 'error') reports the death.
    proc.stdin?.on('error', () => undefined);
    proc.on('error', (e) => this.died(proc, `cannot start the process spawner (perl, from Debian's perl-base): ${e.message}`));
    // 'close' (not 'exit'): the events it wrote before dying are read first, so a tool that did
    // finish is reported as such.
    proc.on('close', (code: number | null, signal: NodeJS.Signals | null) => this.died(proc, `the process spawner (skiff-spawner, pid ${proc.pid}) exited ${signal ? `on ${signal}` : `with status ${code}`}`));
    (proc.stdin as Socket | null)?.unref();
    return proc;
  }

  private died(proc: ChildProcess, why: string): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      const what = p.pid > 0 ? `${p.command} (pid ${p.pid}) was running; its outcome is unknown` : `${p.command} was being started; whether it ran is unknown`;
      p.resolve({ kind: 'spawn-error', error: new SpawnError(p.command, `${why} while ${what}`, 'ESPAWNER') });
    }
    this.updateRef();
  }

  private write(proc: ChildProcess, data: Buffer): void {
    if (this.proc === proc) proc.stdin?.write(data);
  }

  /**
   * Holds this process's event loop open while requests are in flight, and only then: through
   * the spawner's stdout (events to come) and its process handle (so that its death, which
   * closes stdout first, is still seen and fails the requests).
   */
  private updateRef(): void {
    const proc = this.proc;
    const out = proc?.stdout as Socket | null | undefined;
    if (this.pending.size > 0) {
      out?.ref();
      proc?.ref();
    } else {
      out?.unref();
      proc?.unref();
    }
  }

  private onData(chunk: Buffer): void {
    let buf = this.inbuf.length === 0 ? chunk : Buffer.concat([this.inbuf, chunk]);
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off - 4 < len) break;
      this.onFrame(buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
    }
    buf = buf.subarray(off);
    this.inbuf = buf;
  }

  private onFrame(f: Buffer): void {
    const type = String.fromCharCode(f[0] ?? 0);
    const id = f.readUInt32BE(1);
    const p = this.pending.get(id);
    if (p === undefined) return; // released
    const settle = (o: ProcessOutcome): void => {
      this.pending.delete(id);
      p.resolve(o);
      this.updateRef();
    };
    switch (type) {
      case 'P':
        p.pid = f.readUInt32BE(5);
        return;
      case 'O':
        p.out[(f[5] ?? 1) - 1]?.push(f.subarray(6));
        return;
      case 'E': {
        const errno = f.readUInt32BE(5);
        const code = ERRNO_NAMES.get(errno);
        const msg = readStr(f, 9);
        settle({ kind: 'spawn-error', error: new SpawnError(p.command, `cannot run ${p.command}: ${msg}${code ? ` (${code})` : ''}`, code) });
        return;
      }
      case 'Y':
        settle({ kind: 'line', pid: p.pid, line: readStr(f, 5) });
        return;
      case 'X': {
        // A wait status: low 7 bits = the terminating signal (0: exited), bits 8-15 = exit status.
        const status = f.readUInt32BE(5);
        const sig = status & 0x7f;
        settle({
          kind: 'exit',
          pid: p.pid,
          code: sig === 0 ? (status >> 8) & 0xff : null,
          signal: sig === 0 ? null : SIGNAL_NAMES.get(sig) ?? null,
          stdout: Buffer.concat(p.out[0]),
          stderr: Buffer.concat(p.out[1]),
          fd3: Buffer.concat(p.out[2]),
        });
        return;
      }
      default: {
        // Not a frame it could have sent: the stream is out of step, so this spawner is done for.
        const proc = this.proc;
        if (proc === undefined) return;
        this.died(proc, `the process spawner (pid ${proc.pid}) sent an unknown event (type ${f[0]})`);
        proc.kill('SIGKILL');
      }
    }
  }
}

let shared: Spawner | undefined;

/** The spawner runProcess uses by default (one per process). */
export function defaultSpawner(): Spawner {
  shared ??= new Spawner();
  return shared;
}

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));
const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function str(s: string | Buffer): Buffer[] {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return [u32(b.length), b];
}

function readStr(f: Buffer, off: number): string {
  const n = f.readUInt32BE(off);
  return f.subarray(off + 4, off + 4 + n).toString();
}

/** One frame: length, type byte, id, fields. */
function frame(type: string, id: number, ...fields: Buffer[]): Buffer {
  const payload = Buffer.concat([Buffer.from(type), u32(id), ...fields]);
  return Buffer.concat([u32(payload.length), payload]);
}

function spawnFrame(id: number, req: ProcessRequest): Buffer {
  const flags = (req.input !== undefined ? FLAG_INPUT : 0) | (req.newSession ? FLAG_NEW_SESSION : 0)
    | (req.fd3 === 'sync-line' ? FLAG_SYNC_PIPE : 0) | (req.fd3 === 'output' ? FLAG_FD3_OUTPUT : 0);
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
  return frame(
    'S', id, u32(flags), u32(Math.max(0, Math.round(req.exitGraceMs))),
    ...str(req.cwd ?? ''), ...str(req.command),
    u32(req.args.length), ...req.args.flatMap((a) => str(a)),
    u32(env.length), ...env.flatMap((e) => str(e)),
    ...str(req.input ?? Buffer.alloc(0)),
  );
}
