// `crictl logs`: reads a container's log file at ContainerStatus.log_path (the CRI logging
// format the runtime writes, `<RFC3339Nano> <stdout|stderr> <P|F> <content>`; Docker's
// json-file lines are read too), as the kubelet does: --tail, --since, --limit-bytes,
// --timestamps, --stream, --previous, and -f following the file (across rotation) until the
// container stops running.

import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CriClient } from '../../cri/client.js';
import { parseCriLogLine } from '../../runtime/oci/log.js';
import { describeError, parseDuration, resolveContainerIds, withClient } from './context.js';

export interface LogRecord {
  /** The timestamp as written, normalised to Go's RFC3339Nano output (offset 0 as `Z`). */
  time: string;
  /** Nanoseconds since the epoch (for --since). */
  nanos: number;
  stream: 'stdout' | 'stderr';
  /** False for a partial line (`P`): its content continues in the next record, no newline. */
  full: boolean;
  content: string;
}

/** RFC 3339 with up to 9 fractional digits → nanoseconds and the normalised text; undefined if malformed. */
export function parseTimestamp(text: string): { nanos: number; time: string } | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return undefined;
  const zone = m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : (m[3] as string);
  const ms = Date.parse(`${m[1]}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  const trimmed = frac.replace(/0+$/, '');
  return { nanos: ms * 1e6 + Number(frac), time: `${m[1]}${trimmed !== '' ? `.${trimmed}` : ''}${zone}` };
}

/** One line of a log file (without its newline) as a record; undefined for lines it cannot read. */
export function parseLogLine(line: string): LogRecord | undefined {
  if (line.startsWith('{')) {
    // Docker's json-file format: {"log":"text\n","stream":"stdout","time":"..."}.
    try {
      const j = JSON.parse(line) as { log?: unknown; stream?: unknown; time?: unknown };
      const ts = typeof j.time === 'string' ? parseTimestamp(j.time) : undefined;
      if (ts === undefined || typeof j.log !== 'string' || (j.stream !== 'stdout' && j.stream !== 'stderr')) return undefined;
      const full = j.log.endsWith('\n');
      return { ...ts, stream: j.stream, full, content: full ? j.log.slice(0, -1) : j.log };
    } catch {
      return undefined;
    }
  }
  const e = parseCriLogLine(line);
  const ts = e === undefined ? undefined : parseTimestamp(e.time);
  if (e === undefined || ts === undefined) return undefined;
  return { ...ts, stream: e.stream, full: !e.partial, content: e.content };
}

export interface ReadLogOptions {
  /** Lines from the end; negative = all. */
  tail?: number;
  /** Only records at or after this time (nanoseconds). */
  sinceNanos?: number;
  timestamps?: boolean;
  /** Only this stream; both when undefined. */
  stream?: 'stdout' | 'stderr';
  /** Stop after this many output bytes; negative = no limit. */
  limitBytes?: number;
}

/** Writes records as the kubelet does: optional timestamp prefix, newline after full lines. */
export class LogPrinter {
  private written = 0;
  constructor(
    private readonly opts: ReadLogOptions,
    private readonly out: { stdout: (s: string) => void; stderr: (s: string) => void },
  ) {}

  /** False once the byte limit is reached (the caller stops reading). */
  print(r: LogRecord): boolean {
    if (this.opts.stream !== undefined && r.stream !== this.opts.stream) return true;
    if (this.opts.sinceNanos !== undefined && r.nanos < this.opts.sinceNanos) return true;
    let text = `${this.opts.timestamps ? `${r.time} ` : ''}${r.content}${r.full ? '\n' : ''}`;
    const limit = this.opts.limitBytes ?? -1;
    if (limit >= 0) {
      const room = limit - this.written;
      if (room <= 0) return false;
      const bytes = Buffer.from(text);
      if (bytes.length > room) text = bytes.subarray(0, room).toString();
      this.written += Math.min(bytes.length, room);
    }
    (r.stream === 'stdout' ? this.out.stdout : this.out.stderr)(text);
    return limit < 0 || this.written < limit;
  }
}

/** The records of a whole log text after --tail (counted in lines, as the kubelet counts them). */
export function tailRecords(text: string, tail = -1): LogRecord[] {
  let lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);
  return lines.map(parseLogLine).filter((r): r is LogRecord => r !== undefined);
}

export interface FollowOptions {
  /** Whether the container still runs; following ends once it does not and the file is drained. */
  running: () => Promise<boolean>;
  signal?: AbortSignal;
  pollMs?: number;
}

/**
 * Prints the log at `path` and, when `follow` is given, keeps printing what is appended —
 * reopening the file when it is rotated (a new inode at the path) — until the container stops.
 */
export async function readLogFile(path: string, opts: ReadLogOptions, printer: LogPrinter, follow?: FollowOptions): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`failed to open log file "${path}": it does not exist`);
    throw err;
  }
  try {
    const initial = await fh.readFile({ encoding: 'utf8' });
    let offset = Buffer.byteLength(initial);
    const lastNewline = initial.lastIndexOf('\n');
    // An unterminated last line is still being written: keep it for the next read.
    let pending = follow ? initial.slice(lastNewline + 1) : '';
    const complete = follow ? initial.slice(0, lastNewline + 1) : initial;
    for (const r of tailRecords(complete, opts.tail)) if (!printer.print(r)) return;
    if (follow === undefined) return;

    let ino = (await fh.stat()).ino;
    const pollMs = follow.pollMs ?? 100;
    let idleSince = Date.now();
    for (;;) {
      if (follow.signal?.aborted) return;
      const st = await fh.stat();
      if (st.size > offset) {
        const buf = Buffer.alloc(st.size - offset);
        const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
        offset += bytesRead;
        pending += buf.subarray(0, bytesRead).toString('utf8');
        const cut = pending.lastIndexOf('\n');
        if (cut >= 0) {
          for (const r of tailRecords(pending.slice(0, cut + 1))) if (!printer.print(r)) return;
          pending = pending.slice(cut + 1);
        }
        idleSince = Date.now();
        continue;
      }
      const atPath = await stat(path).catch(() => undefined);
      if (atPath !== undefined && atPath.ino !== ino) {
        // Rotated: the old file is drained (above); continue with the new one from its start.
        await fh.close();
        fh = await open(path, 'r');
        ino = (await fh.stat()).ino;
        offset = 0;
        continue;
      }
      if (Date.now() - idleSince >= 1000) {
        if (!(await follow.running())) return;
        idleSince = Date.now();
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** --since: a relative duration (42m) or an RFC 3339 time or Unix seconds → nanoseconds. */
export function parseSince(text: string, now: number = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1e9;
  try {
    return (now - parseDuration(text)) * 1e6;
  } catch {
    const ts = parseTimestamp(text) ?? parseTimestamp(`${text}Z`);
    if (ts === undefined) throw new Error(`invalid --since "${text}": give a duration (42m) or a time (2013-01-02T13:23:37Z)`);
    return ts.nanos;
  }
}

/** The log path of the previous attempt: `<dir>/<attempt-1><ext>` (crictl's --previous). */
export function previousLogPath(logPath: string, attempt: number, name: string): string {
  if (attempt === 0) throw new Error(`previous terminated container ${name} not found`);
  return `${logPath.slice(0, logPath.lastIndexOf('/') + 1)}${attempt - 1}${logPath.slice(logPath.lastIndexOf('.'))}`;
}

async function isRunning(client: CriClient, id: string): Promise<boolean> {
  const st = await client.containerStatus({ container_id: id }).catch(() => undefined);
  return st?.status?.state === 'CONTAINER_RUNNING';
}

interface LogsFlags {
  follow?: boolean;
  previous?: boolean;
  reopen?: boolean;
  tail: string;
  limitBytes: string;
  since?: string;
  timestamps?: boolean;
  stream?: string;
}

export function logsCommand(parent: Command): void {
  parent
    .command('logs')
    .description('Fetch the logs of a container')
    .argument('<container-id>')
    .option('-f, --follow', 'Follow log output')
    .option('-p, --previous', 'Print the logs for the previous instance of the container in a pod if it exists')
    .option('-r, --reopen', 'Reopen the container logs for the provided container')
    .option('--tail <lines>', 'Number of lines to show from the end of the logs. Defaults to all', '-1')
    .option('--limit-bytes <bytes>', 'Maximum bytes of logs to return. Defaults to no limit', '-1')
    .option('--since <time>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
    .option('-t, --timestamps', 'Show timestamps')
    .option('-s, --stream <stream>', 'Show specified stream (stdout or stderr). Defaults to both.')
    .action(async (arg: string, o: LogsFlags, cmd: Command) => {
      if (o.stream !== undefined && o.stream !== 'stdout' && o.stream !== 'stderr') throw new Error(`invalid stream "${o.stream}", must be "stdout" or "stderr"`);
      const tail = Number(o.tail);
      const limitBytes = Number(o.limitBytes);
      if (!Number.isInteger(tail)) throw new Error(`--tail must be a whole number, got "${o.tail}"`);
      if (!Number.isInteger(limitBytes)) throw new Error(`--limit-bytes must be a whole number, got "${o.limitBytes}"`);
      await withClient(cmd, async (client) => {
        const [id] = (await resolveContainerIds(client, [arg])) as [string];
        if (o.reopen) {
          await client.reopenContainerLog({ container_id: id }).catch((e: unknown) => { throw describeError('reopen container logs', e); });
          process.stderr.write('Container logs reopened\n');
        }
        const st = await client.containerStatus({ container_id: id }).catch((e: unknown) => { throw describeError(`getting the status of container "${arg}"`, e); });
        let path = st.status?.log_path ?? '';
        if (path === '') throw new Error('the container has not set log path');
        if (o.previous) path = previousLogPath(path, st.status?.metadata?.attempt ?? 0, st.status?.metadata?.name ?? arg);
        const readOpts: ReadLogOptions = {
          tail,
          limitBytes,
          timestamps: o.timestamps === true,
          ...(o.stream !== undefined ? { stream: o.stream as 'stdout' | 'stderr' } : {}),
          ...(o.since !== undefined ? { sinceNanos: parseSince(o.since) } : {}),
        };
        const printer = new LogPrinter(readOpts, { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
        const ac = new AbortController();
        const onSigint = (): void => ac.abort();
        process.once('SIGINT', onSigint);
        try {
          await readLogFile(path, readOpts, printer, o.follow ? { running: () => isRunning(client, id), signal: ac.signal } : undefined);
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
}
