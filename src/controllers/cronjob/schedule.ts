// CronJob schedules as upstream evaluates them (robfig/cron's ParseStandard): five fields or a
// descriptor (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, `@every <d>`),
// in spec.timeZone, else in a legacy `TZ=`/`CRON_TZ=` prefix, else the controller's local zone.
// Times are epoch milliseconds; `next(t)` is strictly after t, as robfig's Next.

import { CronExpressionParser } from 'cron-parser';

export interface Schedule {
  next(t: number): number;
  /**
   * The latest schedule time in (earliest, now] and how many times fell in that range (upstream
   * estimates the count from the interval once it exceeds 100; so does this).
   */
  mostRecent(earliest: number, now: number): { time?: number; missed: number };
}

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const exactCountLimit = 101;

/** Go's time.ParseDuration, enough for `@every`: a sequence of <number><unit>. */
function parseGoDuration(s: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    end = re.lastIndex;
  }
  if (end !== s.length || s.length === 0) throw new Error(`failed to parse duration ${s}: time: invalid duration ${JSON.stringify(s)}`);
  return total;
}

class EverySchedule implements Schedule {
  /** robfig rounds the delay up to whole seconds, at least one. */
  private readonly delay: number;

  constructor(ms: number) {
    this.delay = Math.max(1000, Math.ceil(ms / 1000) * 1000);
  }

  next(t: number): number {
    return t - (t % 1000) + this.delay;
  }

  mostRecent(earliest: number, now: number): { time?: number; missed: number } {
    const first = this.next(earliest);
    if (first > now) return { missed: 0 };
    const missed = Math.floor((now - first) / this.delay) + 1;
    return { time: first + (missed - 1) * this.delay, missed };
  }
}

class CronSchedule implements Schedule {
  constructor(
    private readonly expr: string,
    private readonly tz: string | undefined,
  ) {
    this.iterate(0);
  }

  private iterate(from: number) {
    return CronExpressionParser.parse(this.expr, { currentDate: new Date(from), ...(this.tz ? { tz: this.tz } : {}) });
  }

  next(t: number): number {
    return this.iterate(t).next().getTime();
  }

  mostRecent(earliest: number, now: number): { time?: number; missed: number } {
    const it = this.iterate(earliest);
    let last = it.next().getTime();
    if (last > now) return { missed: 0 };
    for (let missed = 1; missed <= exactCountLimit; missed++) {
      const n = it.next().getTime();
      if (n > now) return { time: last, missed };
      last = n;
    }
    // Far behind: estimate the count from the interval as upstream does; find the time exactly.
    const first = this.next(earliest);
    const interval = Math.max(1000, this.next(first) - first);
    const missed = Math.floor((now - first) / interval) + 1;
    return { time: this.iterate(now + 1).prev().getTime(), missed: Math.max(missed, exactCountLimit + 1) };
  }
}

/** Parses a schedule (validated by the API server; errors here are for legacy objects). */
export function parseSchedule(schedule: string, timeZone?: string): Schedule {
  let spec = schedule.trim();
  let tz = timeZone;
  const prefix = /^(?:CRON_)?TZ=(\S+)\s*/.exec(spec);
  if (prefix) {
    tz ??= prefix[1];
    spec = spec.slice(prefix[0].length);
  }
  if (spec.startsWith('@every ')) return new EverySchedule(parseGoDuration(spec.slice('@every '.length).trim()));
  if (spec.startsWith('@')) {
    const expr = descriptors[spec];
    if (!expr) throw new Error(`unrecognized descriptor: ${spec}`);
    spec = expr;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  try {
    return new CronSchedule(fields.join(' '), tz);
  } catch (e) {
    throw new Error((e as Error).message);
  }
}

/** RFC 3339 of `ms` in time zone `tz` (UTC when unset), as Go's Time.In(loc).Format(time.RFC3339). */
export function rfc3339InZone(ms: number, tz?: string): string {
  const whole = Math.floor(ms / 1000) * 1000;
  if (!tz || tz === 'UTC') return new Date(whole).toISOString().replace(/\.\d+Z$/, 'Z');
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(whole))
      .map((p) => [p.type, p.value]),
  );
  const wall = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
  const offsetMin = Math.round((Date.parse(`${wall}Z`) - whole) / 60_000);
  if (offsetMin === 0) return `${wall}Z`;
  const abs = Math.abs(offsetMin);
  return `${wall}${offsetMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
