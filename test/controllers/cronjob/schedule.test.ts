// Schedule evaluation: descriptors, @every, time zones, missed-run counting, and the time format
// of the scheduled-timestamp annotation.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule, rfc3339InZone } from '../../../src/controllers/cronjob/schedule.js';
import { jobName } from '../../../src/controllers/cronjob/jobs.js';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();

describe('cron schedules', () => {
  it('computes the next time strictly after t', () => {
    const s = parseSchedule('*/15 * * * *', 'UTC');
    assert.equal(iso(s.next(at('2024-01-01T00:00:00Z'))), '2024-01-01T00:15:00.000Z');
    assert.equal(iso(s.next(at('2024-01-01T00:14:59.500Z'))), '2024-01-01T00:15:00.000Z');
  });

  it('knows every robfig descriptor, including @midnight and @every', () => {
    const t = at('2024-03-10T10:30:00Z');
    const cases: [string, string][] = [
      ['@hourly', '2024-03-10T11:00:00.000Z'],
      ['@daily', '2024-03-11T00:00:00.000Z'],
      ['@midnight', '2024-03-11T00:00:00.000Z'],
      ['@weekly', '2024-03-17T00:00:00.000Z'],
      ['@monthly', '2024-04-01T00:00:00.000Z'],
      ['@yearly', '2025-01-01T00:00:00.000Z'],
      ['@annually', '2025-01-01T00:00:00.000Z'],
      ['@every 90s', '2024-03-10T10:31:30.000Z'],
      ['@every 1h30m', '2024-03-10T12:00:00.000Z'],
    ];
    for (const [spec, want] of cases) assert.equal(iso(parseSchedule(spec, 'UTC').next(t)), want, spec);
    assert.throws(() => parseSchedule('@fortnightly'), /unrecognized descriptor: @fortnightly/);
    assert.throws(() => parseSchedule('* * *'), /expected exactly 5 fields, found 3/);
  });

  it('evaluates in the time zone, from timeZone or a legacy TZ= prefix', () => {
    const t = at('2024-01-01T01:00:00Z');
    assert.equal(iso(parseSchedule('0 9 * * *', 'Asia/Tokyo').next(t)), '2024-01-02T00:00:00.000Z');
    assert.equal(iso(parseSchedule('TZ=Asia/Tokyo 0 9 * * *').next(t)), '2024-01-02T00:00:00.000Z');
    assert.equal(iso(parseSchedule('0 9 * * *', 'America/New_York').next(t)), '2024-01-01T14:00:00.000Z');
  });

  it('finds the most recent unmet time and counts the missed ones', () => {
    const s = parseSchedule('*/1 * * * *', 'UTC');
    const earliest = at('2024-01-01T00:00:30Z');
    assert.deepEqual(s.mostRecent(earliest, at('2024-01-01T00:00:59Z')), { missed: 0 });
    assert.deepEqual(s.mostRecent(earliest, at('2024-01-01T00:01:00Z')), { time: at('2024-01-01T00:01:00Z'), missed: 1 });
    assert.deepEqual(s.mostRecent(earliest, at('2024-01-01T00:05:10Z')), { time: at('2024-01-01T00:05:00Z'), missed: 5 });
    const far = s.mostRecent(earliest, at('2024-01-02T00:00:10Z'));
    assert.equal(far.time, at('2024-01-02T00:00:00Z'));
    assert.equal(far.missed, 24 * 60);
    const every = parseSchedule('@every 10m');
    assert.deepEqual(every.mostRecent(earliest, at('2024-01-01T00:35:00Z')), { time: at('2024-01-01T00:30:30Z'), missed: 3 });
  });

  it('formats the scheduled time as Go RFC 3339 in the zone and names Jobs by minute', () => {
    const t = at('2024-01-01T00:00:00Z');
    assert.equal(rfc3339InZone(t), '2024-01-01T00:00:00Z');
    assert.equal(rfc3339InZone(t, 'Asia/Tokyo'), '2024-01-01T09:00:00+09:00');
    assert.equal(rfc3339InZone(t, 'America/New_York'), '2023-12-31T19:00:00-05:00');
    assert.equal(rfc3339InZone(t, 'Asia/Kolkata'), '2024-01-01T05:30:00+05:30');
    assert.equal(rfc3339InZone(t, 'Europe/London'), '2024-01-01T00:00:00Z');
    assert.equal(jobName({ metadata: { name: 'hello' }, spec: { schedule: '', jobTemplate: {} } }, t), `hello-${t / 60_000}`);
  });
});
