// Streaming exec through `conmon --exec --exec-attach`, as podman runs `exec -it`: conmon runs
// `<runtime> exec --detach [--tty]` with the console socket or pipes, becomes the command's
// subreaper, serves the command's stdio on an attach socket (the same SOCK_SEQPACKET protocol as
// a container's: packets from conmon start with 2 = stdout or 3 = stderr; bytes we send are the
// command's stdin; our shutdown(SHUT_WR) closes its stdin) and resizes its terminal on a
// "1 <rows> <cols>" line in the control fifo. It reports the pid, then the exit code, on the
// sync pipe — without waiting for background children that still hold the output open.
//
// Handshake (conmon 2.1): it reads the start pipe once before forking, then writes
// {"data":0} on the attach pipe when the attach socket listens, then its runtime child waits
// for a second start-pipe message before exec'ing — so we connect first and lose no output.
//
// Everything lives in <bundle>/exec-<random>/ (process.json, pid, ctl, attach, exit file) and is
// removed afterwards; conmon (kept as our child with --sync) and the relay are ended by pid.
//
// Why conmon and not a foreground `runc exec -t`: runc in the foreground needs a terminal of its
// own (one of its stdio, or /dev/tty) to relay and to read resizes from, and Node cannot
// allocate a pty; conmon takes the container's pty master over the console socket instead.
// runsc has no --tty flag (it reads process.terminal), so for it conmon runs a wrapper that
// drops the flag.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseSyncMessage } from '../oci/conmon.js';
import { execProcess, type ExecSyncTarget } from '../oci/exec.js';
import { runtimeMessage } from '../oci/runc.js';
import type { RemoteCommandIO } from './backend.js';
import { resizeLine, writeControl } from '../oci/conmon-control.js';
import { childClosed, collectStderr, connectSeqpacket, killChild, type SeqpacketConnection } from './relay.js';

/** conmon's stream markers on the attach socket. */
export const ATTACH_STDOUT = 2;
export const ATTACH_STDERR = 3;

/** One message from conmon (a pid, an exit code or readiness); the reader gives undefined once the pipe ended. */
type SyncMessage = ReturnType<typeof parseSyncMessage>;

/** Lines of JSON from a conmon pipe, one promise per message in order. */
function syncReader(stream: Readable): () => Promise<SyncMessage> {
  let buf = '';
  const queue: SyncMessage[] = [];
  const waiters: ((m: SyncMessage) => void)[] = [];
  let ended = false;
  const deliver = (m: SyncMessage): void => {
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  };
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') deliver(parseSyncMessage(line) ?? { pid: -1, message: `unreadable conmon message: ${line}` });
    }
  });
  const end = (): void => {
    if (ended) return;
    ended = true;
    while (waiters.length > 0) deliver(undefined);
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return () => {
    if (queue.length > 0) return Promise.resolve(queue.shift());
    if (ended) return Promise.resolve(undefined);
    return new Promise((resolve) => waiters.push(resolve));
  };
}

/**
 * Runs `cmd` in the running container with the client's streams. Resolves with the exit code
 * (128+n when killed by signal n); rejects when the command cannot be started.
 */
export async function conmonExec(t: ExecSyncTarget, cmd: readonly string[], io: RemoteCommandIO): Promise<{ exitCode: number }> {
  if (cmd.length === 0) throw new Error('exec command is empty');
  const proc = await execProcess(t, cmd, { tty: io.tty });
  const dir = path.join(t.bundle, `exec-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  let conn: SeqpacketConnection | undefined;
  try {
    await writeFile(path.join(dir, 'process.json'), JSON.stringify(proc), { mode: 0o600 });
    const runtimePath = io.tty && !takesTtyFlag(t.cli.binary) ? await ttyFlagDropper(dir, t.cli.binary) : t.cli.binary;
    const args = [
      '--api-version', '1', '--exec', '--exec-attach', '--sync',
      '--cid', t.id, '--cuuid', 'x', '--name', t.id,
      '--runtime', runtimePath,
      '--bundle', dir,
      '--container-pidfile', path.join(dir, 'pid'),
      '--exec-process-spec', path.join(dir, 'process.json'),
      '--log-path', 'none:',
      // conmon names the exit file after the container id: keep it in our directory. The
      // attach socket lands in the bundle (here: dir) through a <socket-dir>/<cuuid> symlink.
      '--exit-dir', dir,
      '--socket-dir-path', dir,
      '--log-level', 'error',
      ...(io.tty ? ['--terminal'] : io.stdin ? ['--stdin'] : []),
    ];
    for (const a of t.cli.baseArgs) args.push('--runtime-arg', a);
    const child = spawn(t.conmonPath, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
    });
    const stderr = collectStderr(child);
    const spawnError = new Promise<Error>((resolve) => child.on('error', (e) => resolve(new Error(`cannot run ${t.conmonPath}: ${e.message}`))));
    const nextSync = syncReader(child.stdio[3] as Readable);
    const nextAttach = syncReader((child.stdio as unknown as Readable[])[5] as Readable);
    const start = child.stdio[4] as Writable;
    start.on('error', () => undefined);
    const abortRun = (): void => killChild(child);
    io.signal.addEventListener('abort', abortRun);
    try {
      start.write('0');
      const ready = await Promise.race([nextAttach(), spawnError]);
      if (ready instanceof Error) throw ready;
      if (!ready) throw new Error(`conmon exited before the exec session was ready: ${runtimeMessage(stderr()) || 'no error output'}`);
      conn = await connectSeqpacket(path.join(dir, 'attach'));
      start.write('1');

      const started = await nextSync();
      if (!started || started.pid <= 0) {
        const why = runtimeMessage(started?.message ?? stderr()) || 'conmon reported nothing';
        throw new Error(`exec in container ${t.id} failed: ${why}`);
      }
      const execPid = started.pid;
      io.signal.removeEventListener('abort', abortRun);
      // The client left: kill the command (conmon then reports and exits), as containerd does.
      const abortExec = (): void => {
        try {
          process.kill(execPid, 'SIGKILL');
        } catch {
          // already exited
        }
      };
      if (io.signal.aborted) abortExec();
      io.signal.addEventListener('abort', abortExec);
      try {
        const resize = io.tty ? wireResize(path.join(dir, 'ctl'), io) : () => undefined;
        wireStdin(conn, io);
        const output = conn.pump((packet) => routePacket(packet, io.tty, io.stdout, io.stderr));
        const finished = await nextSync();
        await output;
        resize();
        if (!finished) throw new Error(`exec in container ${t.id}: conmon exited without reporting the exit code`);
        return { exitCode: finished.pid };
      } finally {
        io.signal.removeEventListener('abort', abortExec);
      }
    } finally {
      io.signal.removeEventListener('abort', abortRun);
      if (conn) killChild(conn.child);
      killChild(child);
      await childClosed(child);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** runc (and crun) take `exec --tty`; runsc takes the terminal from process.json only. */
function takesTtyFlag(runtimeBinary: string): boolean {
  return path.basename(runtimeBinary) !== 'runsc';
}

/** A wrapper around `runtimeBinary` that drops the --tty argument conmon adds for a terminal. */
async function ttyFlagDropper(dir: string, runtimeBinary: string): Promise<string> {
  const file = path.join(dir, 'runtime');
  const script = `#!/bin/sh\nfor a; do shift; [ "$a" = --tty ] || set -- "$@" "$a"; done\nexec '${runtimeBinary.replace(/'/g, `'\\''`)}' "$@"\n`;
  await writeFile(file, script, { mode: 0o700 });
  return file;
}

/** Sends a conmon packet's payload to the matching client stream; resolves when it may continue. */
export function routePacket(packet: Buffer, tty: boolean, stdout: Writable | undefined, stderr: Writable | undefined): Promise<void> | void {
  const kind = packet[0];
  const data = packet.subarray(1);
  const target = tty || kind === ATTACH_STDOUT ? stdout : kind === ATTACH_STDERR ? stderr : undefined;
  if (!target || data.length === 0 || target.destroyed || target.writableEnded) return;
  if (!target.write(data)) return new Promise((resolve) => {
    const go = (): void => {
      target.off('drain', go);
      target.off('close', go);
      resolve();
    };
    target.on('drain', go);
    target.on('close', go);
  });
}

/**
 * Copies the client's stdin into the attach socket. Its end half-closes the socket, which makes
 * conmon close a pipe stdin; with a tty conmon keeps the terminal open (as containerd does).
 */
export function wireStdin(conn: SeqpacketConnection, io: RemoteCommandIO): void {
  if (!io.stdin) {
    conn.input.end();
    return;
  }
  io.stdin.pipe(conn.input);
}

/**
 * Applies the latest and every later terminal size through conmon's control fifo, in order;
 * returns the unsubscribe.
 */
export function wireResize(ctlPath: string, io: RemoteCommandIO): () => void {
  let chain = Promise.resolve();
  const apply = (s: { width: number; height: number }): void => {
    chain = chain.then(() => writeControl(ctlPath, resizeLine(s))).catch(() => undefined);
  };
  if (io.resize.latest) apply(io.resize.latest);
  io.resize.on('resize', apply);
  return () => io.resize.off('resize', apply);
}
