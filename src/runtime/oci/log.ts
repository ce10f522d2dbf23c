// The CRI container log format, as conmon writes it with --log-path and kubelet reads it:
//   <RFC 3339 timestamp with nanoseconds> <stdout|stderr> <tags> <content>\n
// Tags are ':'-separated; the first is "P" for a partial line (the content continues in the
// next entry) or "F" for a full one. Readers (kubelet) treat anything but "P" as full.

export interface CriLogEntry {
  /** The timestamp as written (nanosecond precision is kept in the text). */
  time: string;
  stream: 'stdout' | 'stderr';
  /** True for "P" (partial) entries. */
  partial: boolean;
  content: string;
}

const LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) (stdout|stderr) ([^ ]*)(?: (.*))?$/;

/** One log line, without its newline; undefined when it is not in CRI format. */
export function parseCriLogLine(line: string): CriLogEntry | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { time: m[1] as string, stream: m[2] as 'stdout' | 'stderr', partial: (m[3] as string).split(':')[0] === 'P', content: m[4] ?? '' };
}

/** Every well-formed entry of a log file's text, in order; malformed lines are skipped. */
export function parseCriLog(text: string): CriLogEntry[] {
  const out: CriLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = parseCriLogLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** Joins partial entries into whole lines per stream: what `kubectl logs` shows. */
export function criLogLines(entries: readonly CriLogEntry[]): { stream: 'stdout' | 'stderr'; line: string }[] {
  const out: { stream: 'stdout' | 'stderr'; line: string }[] = [];
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for (const e of entries) {
    pending[e.stream] += e.content;
    if (!e.partial) {
      out.push({ stream: e.stream, line: pending[e.stream] });
      pending[e.stream] = '';
    }
  }
  return out;
}
