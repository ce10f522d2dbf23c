import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogPrinter, parseLogLine, parseSince, parseTimestamp, previousLogPath, readLogFile, tailRecords } from '../../../src/cli/crictl/logs.js';

const LOG = [
  '2024-01-01T00:00:01.100000000Z stdout F hello',
  '2024-01-01T00:00:02.000000000+00:00 stderr F oops',
  '2024-01-01T00:00:03.5Z stdout P part-',
  '2024-01-01T00:00:03.6Z stdout F ial',
  '2024-01-01T00:00:04Z stdout F ',
  'garbage line',
  '',
].join('\n');

function collect(opts: ConstructorParameters<typeof LogPrinter>[0]): { printer: LogPrinter; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { printer: new LogPrinter(opts, { stdout: (s) => out.push(s), stderr: (s) => err.push(s) }), out, err };
}

test('parseLogLine: CRI format, partial lines, json-file lines, garbage', () => {
  assert.deepEqual(parseLogLine('2024-01-01T00:00:01.1Z stdout F a b  c'), { nanos: Date.UTC(2024, 0, 1, 0, 0, 1, 100) * 1e6, time: '2024-01-01T00:00:01.1Z', stream: 'stdout', full: true, content: 'a b  c' });
  assert.equal(parseLogLine('2024-01-01T00:00:01Z stderr P x')?.full, false);
  assert.equal(parseLogLine('2024-01-01T00:00:01Z stdout F:extra x')?.content, 'x');
  assert.deepEqual(parseLogLine('{"log":"hi\\n","stream":"stderr","time":"2024-01-01T00:00:01Z"}'), { nanos: Date.UTC(2024, 0, 1, 0, 0, 1) * 1e6, time: '2024-01-01T00:00:01Z', stream: 'stderr', full: true, content: 'hi' });
  assert.equal(parseLogLine('not a log line'), undefined);
  assert.equal(parseTimestamp('2024-01-01T00:00:02.000000000+00:00')?.time, '2024-01-01T00:00:02Z');
  assert.equal(parseTimestamp('2024-01-01T01:00:02.5+01:00')?.time, '2024-01-01T01:00:02.5+01:00');
});

test('printing: streams apart, partial lines joined, --timestamps, --tail, --stream, --since, --limit-bytes', () => {
  let c = collect({});
  for (const r of tailRecords(LOG)) c.printer.print(r);
  assert.equal(c.out.join(''), 'hello\npart-ial\n\n');
  assert.equal(c.err.join(''), 'oops\n');

  c = collect({ timestamps: true });
  for (const r of tailRecords(LOG, 2)) c.printer.print(r);
  assert.deepEqual(c.out, ['2024-01-01T00:00:04Z \n']);

  c = collect({ stream: 'stderr' });
  for (const r of tailRecords(LOG)) c.printer.print(r);
  assert.deepEqual([c.out, c.err], [[], ['oops\n']]);

  c = collect({ sinceNanos: Date.UTC(2024, 0, 1, 0, 0, 3) * 1e6 });
  for (const r of tailRecords(LOG)) c.printer.print(r);
  assert.equal(c.out.join(''), 'part-ial\n\n');

  c = collect({ limitBytes: 8 });
  const printed = tailRecords(LOG).map((r) => c.printer.print(r));
  assert.equal([...c.out, ...c.err].join(''), 'hello\noo');
  assert.equal(printed.includes(false), true);
  assert.deepEqual(tailRecords(LOG, 0), []);
});

test('helpers: --since forms and the previous attempt log path', () => {
  const now = Date.UTC(2024, 0, 1, 1, 0, 0);
  assert.equal(parseSince('42m', now), (now - 42 * 60_000) * 1e6);
  assert.equal(parseSince('2024-01-01T00:00:00Z', now), Date.UTC(2024, 0, 1) * 1e6);
  assert.equal(parseSince('1704067200', now), 1704067200 * 1e9);
  assert.throws(() => parseSince('yesterday', now), /invalid --since/);
  assert.equal(previousLogPath('/var/log/pods/ns_p_u/app/3.log', 3, 'app'), '/var/log/pods/ns_p_u/app/2.log');
  assert.throws(() => previousLogPath('/x/0.log', 0, 'app'), /previous terminated container app not found/);
});

test('readLogFile: follows appends and a rotation until the container stops', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-crictl-logs-'));
  try {
    const path = join(dir, '0.log');
    await writeFile(path, '2024-01-01T00:00:01Z stdout F one\n2024-01-01T00:00:02Z stdout P tw');
    const c = collect({});
    let running = true;
    let polls = 0;
    const done = readLogFile(path, {}, c.printer, {
      pollMs: 10,
      running: async () => running,
    });
    const waitFor = async (text: string): Promise<void> => {
      while (!c.out.join('').includes(text)) {
        if (++polls > 1000) throw new Error(`never printed ${JSON.stringify(text)}: ${JSON.stringify(c.out)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await waitFor('one\n');
    await appendFile(path, 'o-\n2024-01-01T00:00:03Z stdout F three\n');
    await waitFor('three\n');
    await rename(path, `${path}.1`);
    await writeFile(path, '2024-01-01T00:00:04Z stdout F four\n');
    await waitFor('four\n');
    running = false;
    await done;
    assert.equal(c.out.join(''), 'one\ntwo-three\nfour\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readLogFile: a missing log file is an error naming it', async () => {
  await assert.rejects(readLogFile('/nonexistent/skiff/0.log', {}, collect({}).printer), /failed to open log file "\/nonexistent\/skiff\/0\.log": it does not exist/);
});
