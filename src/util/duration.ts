// Human-readable durations exactly as Kubernetes prints them (apimachinery util/duration), so
// that AGE and DURATION columns read the same against skiff as against a real cluster.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's int(d.Seconds()): truncation toward zero, not flooring. */
function wholeSeconds(ms: number): number {
  return Math.trunc(ms / SECOND);
}

/**
 * HumanDuration: ~2-3 significant figures ('45s', '2m3s', '15m', '3h', '5h20m', '2d5h', '45d',
 * '2y30d', '9y'). A negative duration down to -1.999s reads '0s' (clock skew between machines);
 * anything more negative is '<invalid>'. Non-finite input is '<invalid>' too.
 */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = wholeSeconds(ms);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    const d = Math.trunc(hours / 24);
    return h === 0 ? `${d}d` : `${d}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const years = Math.trunc(hours / 24 / 365);
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** ShortHumanDuration: one unit only ('45s', '5m', '3h', '12d', '2y'); same skew rules. */
export function shortHumanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  const seconds = wholeSeconds(ms);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Go's zero time.Time, which metav1.Time serializes when a timestamp was never set. */
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/**
 * Parses a metav1.Time / MicroTime wire value. Missing, empty, unparsable and Go's zero time
 * ('0001-01-01T00:00:00Z') all mean "unset" and yield undefined, as metav1.Time.IsZero does.
 */
export function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t) || t <= GO_ZERO_TIME_MS) return undefined;
  return t;
}

/** Age of a timestamp as printed in tables: '<unknown>' when unset. */
export function timeSince(v: unknown, now: number): string {
  const t = parseTime(v);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

/** Go's time.ParseDuration for the units flags use (`500ms`, `2s`, `1m30s`, `1h`), in ms. */
export function parseDuration(v: string): number {
  const units: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR };
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (v === '0') return 0;
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) throw new Error(`invalid duration ${JSON.stringify(v)}: use e.g. 500ms, 40s, 5m`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2]!] ?? 0), 0);
}
