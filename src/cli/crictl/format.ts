// Text formatting that makes `skiff crictl` output read like crictl's: Go's text/tabwriter as
// crictl configures it (minwidth 20, tabwidth 1, padding 3, pad with spaces), docker/go-units'
// HumanDuration and HumanSizeWithPrecision, crictl's 13-character id truncation, and Go's
// renderings of times (time.Time's String, RFC 3339 with nanoseconds).
//
// Everything here is a pure function of its arguments (times take `now` explicitly), so the
// output can be compared byte for byte in unit tests.

/** crictl truncates ids (and image ids after their `sha256:`) to this many characters. */
export const TRUNCATED_ID_LENGTH = 13;

/** `id` without `prefix`, cut to 13 characters (crictl's getTruncatedID). */
export function truncateId(id: string, prefix = ''): string {
  const s = prefix !== '' && id.startsWith(prefix) ? id.slice(prefix.length) : id;
  return s.length > TRUNCATED_ID_LENGTH ? s.slice(0, TRUNCATED_ID_LENGTH) : s;
}

export interface TableOptions {
  minWidth?: number;
  padding?: number;
}

/**
 * Lays out rows as Go's tabwriter does with crictl's settings: every cell but a row's last is a
 * column cell, padded with spaces to the column's width (its widest cell plus the padding, at
 * least minWidth); the last cell of each row is written as is. Width counts code points.
 * Returns the text with a newline after every row.
 */
export function renderTable(rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const minWidth = opts.minWidth ?? 20;
  const padding = opts.padding ?? 3;
  const widths: number[] = [];
  for (const row of rows) {
    for (let j = 0; j < row.length - 1; j++) {
      const w = Math.max(minWidth, [...(row[j] as string)].length + padding);
      if (w > (widths[j] ?? 0)) widths[j] = w;
    }
  }
  let out = '';
  for (const row of rows) {
    for (let j = 0; j < row.length; j++) {
      const cell = row[j] as string;
      out += j < row.length - 1 ? cell + ' '.repeat((widths[j] as number) - [...cell].length) : cell;
    }
    out += '\n';
  }
  return out;
}

/**
 * docker/go-units HumanDuration: "Less than a second", "1 second", "5 seconds",
 * "About a minute", "12 minutes", "About an hour", "3 hours", "4 days", "2 weeks", "5 months",
 * "2 years". Negative durations (clock skew) read as "Less than a second".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** "2 minutes ago" for a CRI timestamp in nanoseconds, as crictl's CREATED column shows it. */
export function ago(nanos: number, now: number = Date.now()): string {
  return `${humanDuration(now - nanos / 1e6)} ago`;
}

/**
 * Go's `%.<precision>g`: `precision` significant digits, trailing zeros removed, exponent form
 * (`1e+03`) when the decimal exponent is below -4 or at least the precision.
 */
export function formatG(x: number, precision: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const [mantissa, expText] = x.toExponential(precision - 1).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= precision) {
    const e = Math.abs(exp);
    return `${trim(mantissa)}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  }
  return trim(x.toFixed(Math.max(0, precision - 1 - exp)));
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** docker/go-units HumanSizeWithPrecision: decimal units, `precision` significant digits ("1.23MB"). */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, precision)}${DECIMAL_UNITS[i]}`;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The local UTC offset at `ms` in minutes east of UTC (TZ-aware through Date). */
function offsetMinutes(ms: number): number {
  return -new Date(ms).getTimezoneOffset();
}

function localParts(nanos: number): { date: Date; frac: string; offset: number } {
  const ms = Math.floor(nanos / 1e6);
  const offset = offsetMinutes(ms);
  // A Date shifted by the offset, read with UTC getters, gives the local wall clock.
  const date = new Date(ms + offset * 60_000);
  // Nanoseconds within the second; CRI timestamps beyond 2^53 lose their last digits anyway.
  const inSecond = nanos - Math.floor(nanos / 1e9) * 1e9;
  const frac = String(Math.round(inSecond)).padStart(9, '0').replace(/0+$/, '');
  return { date, frac, offset };
}

function ymd(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function hms(d: Date): string {
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Go's `time.Unix(0, nanos).Format(time.RFC3339Nano)` in the local zone ("…T10:00:00.5Z"). */
export function rfc3339Nano(nanos: number): string {
  const { date, frac, offset } = localParts(nanos);
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${ymd(date)}T${hms(date)}${frac !== '' ? `.${frac}` : ''}${zone}`;
}

/** Go's zero time.Time formatted as RFC 3339, what crictl shows for unset start/finish times. */
export const GO_ZERO_TIME_RFC3339 = '0001-01-01T00:00:00Z';

/** Go's `time.Time.String()` of `time.Unix(0, nanos)` ("2024-01-01 10:00:00.5 +0000 UTC"). */
export function goTimeString(nanos: number): string {
  const { date, frac, offset } = localParts(nanos);
  const sign = offset < 0 ? '-' : '+';
  const numeric = `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${ymd(date)} ${hms(date)}${frac !== '' ? `.${frac}` : ''} ${numeric} ${zoneAbbreviation(Math.floor(nanos / 1e6), offset)}`;
}

function zoneAbbreviation(ms: number, offset: number): string {
  if (offset === 0 && (process.env.TZ === undefined || process.env.TZ === '' || process.env.TZ === 'UTC')) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** crictl's pod state column: Ready / NotReady. */
export function podState(state: string): string {
  return state === 'SANDBOX_READY' ? 'Ready' : state === 'SANDBOX_NOTREADY' ? 'NotReady' : state;
}

/** crictl's container state column: Created / Running / Exited / Unknown. */
export function containerState(state: string): string {
  switch (state) {
    case 'CONTAINER_CREATED': return 'Created';
    case 'CONTAINER_RUNNING': return 'Running';
    case 'CONTAINER_EXITED': return 'Exited';
    case 'CONTAINER_UNKNOWN': return 'Unknown';
    default: return state;
  }
}

/** Map keys sorted, as crictl prints labels and annotations ("\tkey -> value"). */
export function sortedEntries(m: Record<string, string>): [string, string][] {
  return Object.keys(m).sort().map((k) => [k, m[k] as string]);
}

/** "Labels:\n\tk -> v\n" — nothing for an empty map (Go's nil map after decoding). */
export function labelBlock(title: string, m: Record<string, string>): string {
  const entries = sortedEntries(m);
  if (entries.length === 0) return '';
  return `${title}:\n${entries.map(([k, v]) => `\t${k} -> ${v}\n`).join('')}`;
}

/** Go's %v of a map[string]string: `map[a:1 b:2]`. */
export function goMap(m: Record<string, string>): string {
  return `map[${sortedEntries(m).map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}
