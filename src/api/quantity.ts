// Kubernetes resource quantities ("100m", "1.5Gi", "2e3") parsed, compared and printed as upstream's
// k8s.io/apimachinery/pkg/api/resource does.
//
// Contract:
// - Values are exact: parsing keeps every digit down to nano units (10^-9) and rounds anything finer
//   up (away from zero), as upstream does so that asking for "a little" never becomes zero.
// - The common case is kept off BigInt: a value is held as a safe integer part plus nano units.
//   Only values whose integer part exceeds Number.MAX_SAFE_INTEGER (about 9 PB) use a BigInt.
// - toString() gives upstream's canonical form: the input's suffix family (decimal SI, binary SI,
//   decimal exponent) with the largest exponent that loses nothing ("1024Mi" -> "1Gi", "1000m" -> "1").

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Upstream's error texts (resource.ErrFormatWrong, ErrNumeric, ErrSuffix). */
export const quantityErrors = {
  formatWrong: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  numeric: "unable to parse quantity's numeric part",
  suffix: "unable to parse quantity's suffix",
} as const;

const NANO = 1_000_000_000;
const BIG_NANO = 1_000_000_000n;
/** Binary SI values are capped at the int64 maximum, as upstream does. */
const BIG_MAX_INT64 = 9_223_372_036_854_775_807n;
/** Decimal exponents beyond this are refused (upstream would build a huge number; we never need one). */
const MAX_EXPONENT = 1000;

const decSuffixMap = new Map(Object.entries({ n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }));
const binSuffixMap = new Map(Object.entries({ Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }));
const decByExponent: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const binByPower = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * An immutable exact quantity. Small values: value = int + nano / 1e9 with `int` a safe integer and
 * 0 <= nano < 1e9 (floor representation, so -1.5 is int -2, nano 5e8). Large values: `big` nanos.
 */
export class Quantity {
  private str: string | undefined;

  private constructor(
    readonly format: QuantityFormat,
    private readonly int: number,
    private readonly nano: number,
    private readonly big: bigint | undefined,
  ) {}

  /** An integer value (bytes, cores, counts). */
  static fromValue(value: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (!Number.isSafeInteger(value)) throw new RangeError(`Quantity.fromValue needs a safe integer, got ${value}`);
    return new Quantity(format, value === 0 ? 0 : value, 0, undefined);
  }

  /** A value in thousandths (millicores). */
  static fromMilli(milli: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (!Number.isSafeInteger(milli)) throw new RangeError(`Quantity.fromMilli needs a safe integer, got ${milli}`);
    const int = Math.floor(milli / 1000);
    return Quantity.fromParts(int, (milli - int * 1000) * 1_000_000, format);
  }

  /** Exact value in nano units. */
  static fromNanos(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return Quantity.fromBig(format, nanos);
  }

  /**
   * value = int + nano / 1e9, with 0 <= nano < 1e9 (so -1.5 is int -2, nano 5e8). `int` may be any
   * integer-valued number; beyond the safe range it must still be exact.
   */
  static fromParts(int: number, nano: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    if (!Number.isInteger(int) || !Number.isInteger(nano) || nano < 0 || nano >= NANO) {
      throw new RangeError(`Quantity.fromParts: bad parts ${int}, ${nano}`);
    }
    if (Number.isSafeInteger(int)) return new Quantity(format, int === 0 ? 0 : int, nano, undefined);
    return Quantity.fromBig(format, BigInt(int) * BIG_NANO + BigInt(nano));
  }

  private static fromBig(format: QuantityFormat, nanos: bigint): Quantity {
    let int = nanos / BIG_NANO;
    let rem = nanos - int * BIG_NANO;
    if (rem < 0n) {
      int -= 1n;
      rem += BIG_NANO;
    }
    if (int <= BigInt(Number.MAX_SAFE_INTEGER) && int >= BigInt(Number.MIN_SAFE_INTEGER)) {
      return new Quantity(format, Number(int) || 0, Number(rem), undefined);
    }
    return new Quantity(format, 0, 0, nanos);
  }

  /** Exact value in nano units. */
  nanos(): bigint {
    return this.big ?? BigInt(this.int) * BIG_NANO + BigInt(this.nano);
  }

  sign(): -1 | 0 | 1 {
    if (this.big !== undefined) return this.big > 0n ? 1 : this.big < 0n ? -1 : 0;
    if (this.int < 0) return -1;
    return this.int > 0 || this.nano > 0 ? 1 : 0;
  }

  isZero(): boolean {
    return this.sign() === 0;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    if (this.big === undefined && other.big === undefined) {
      if (this.int !== other.int) return this.int < other.int ? -1 : 1;
      return this.nano === other.nano ? 0 : this.nano < other.nano ? -1 : 1;
    }
    const a = this.nanos();
    const b = other.nanos();
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.cmp(other) === 0;
  }

  /** Sum, in this quantity's format (or the other's when this one is zero, as upstream). */
  add(other: Quantity): Quantity {
    const format = this.isZero() ? other.format : this.format;
    if (this.big === undefined && other.big === undefined) {
      // Both parts are safe integers; their sum is exact exactly when it is still safe.
      let int = this.int + other.int;
      let nano = this.nano + other.nano;
      if (Number.isSafeInteger(int)) {
        if (nano >= NANO) {
          nano -= NANO;
          int += 1;
        }
        return Quantity.fromParts(int, nano, format);
      }
    }
    return Quantity.fromBig(format, this.nanos() + other.nanos());
  }

  sub(other: Quantity): Quantity {
    return this.add(other.neg());
  }

  neg(): Quantity {
    if (this.big !== undefined) return Quantity.fromBig(this.format, -this.big);
    if (this.nano === 0) return Quantity.fromParts(-this.int, 0, this.format);
    return Quantity.fromParts(-this.int - 1, NANO - this.nano, this.format);
  }

  /** Integer value rounded away from zero (upstream Value()). Beyond 2^53 the result is approximate. */
  value(): number {
    if (this.big !== undefined) return Number(roundAway(this.big, BIG_NANO));
    if (this.nano === 0 || this.int < 0) return this.int;
    return this.int + 1;
  }

  /**
   * Value in thousandths rounded away from zero (upstream MilliValue()), e.g. CPU millicores.
   * Exact while the result is a safe integer (values up to about 9e12); nearest float beyond.
   */
  milliValue(): number {
    if (this.big !== undefined || Math.abs(this.int) >= 9e12) return Number(roundAway(this.nanos(), 1_000_000n));
    const whole = this.int * 1000 + Math.floor(this.nano / 1_000_000);
    return this.nano % 1_000_000 !== 0 && this.int >= 0 ? whole + 1 : whole;
  }

  /** Nearest float; for display and ratios only. */
  toNumber(): number {
    if (this.big !== undefined) return Number(this.big) / NANO;
    return this.int + this.nano / NANO;
  }

  /** Rounds away from zero to thousandths, as upstream's SetDefaults_ResourceList (RoundUp(-3)). */
  roundUpMilli(): Quantity {
    if (this.big === undefined) {
      const rem = this.nano % 1_000_000;
      if (rem === 0) return this;
      if (this.int < 0) return Quantity.fromParts(this.int, this.nano - rem, this.format);
      const nano = this.nano - rem + 1_000_000;
      return nano === NANO ? Quantity.fromParts(this.int + 1, 0, this.format) : Quantity.fromParts(this.int, nano, this.format);
    }
    const rounded = roundAway(this.big, 1_000_000n) * 1_000_000n;
    return rounded === this.big ? this : Quantity.fromBig(this.format, rounded);
  }

  /** Upstream's canonical text form. */
  toString(): string {
    if (this.str === undefined) this.str = this.format_();
    return this.str;
  }

  toJSON(): string {
    return this.toString();
  }

  private format_(): string {
    const s = this.sign();
    if (s === 0) return '0';
    const sign = s < 0 ? '-' : '';
    // Magnitude as an integer-digit string and nano units.
    let intDigits: string;
    let nano: number;
    if (this.big !== undefined) {
      const mag = this.big < 0n ? -this.big : this.big;
      intDigits = (mag / BIG_NANO).toString();
      nano = Number(mag % BIG_NANO);
    } else if (this.int >= 0) {
      intDigits = String(this.int);
      nano = this.nano;
    } else if (this.nano === 0) {
      intDigits = String(-this.int);
      nano = 0;
    } else {
      intDigits = String(-this.int - 1);
      nano = NANO - this.nano;
    }
    if (this.format === 'BinarySI' && nano === 0 && (intDigits.length > 4 || Number(intDigits) >= 1024)) {
      return sign + formatBinary(intDigits);
    }
    return sign + formatDecimal(intDigits, nano, this.format === 'DecimalExponent');
  }
}

function roundAway(v: bigint, unit: bigint): bigint {
  const q = v / unit;
  if (q * unit === v) return q;
  return v > 0n ? q + 1n : q - 1n;
}

/** Integer magnitude >= 1024: divide by 1024 while exact (at most up to Ei). */
function formatBinary(intDigits: string): string {
  if (intDigits.length <= 15) {
    let m = Number(intDigits);
    let k = 0;
    while (k < 6 && m % 1024 === 0) {
      m /= 1024;
      k++;
    }
    return String(m) + binByPower[k];
  }
  let m = BigInt(intDigits);
  let k = 0;
  while (k < 6 && m % 1024n === 0n) {
    m /= 1024n;
    k++;
  }
  return m.toString() + binByPower[k];
}

/** Mantissa without trailing zeros, exponent lowered to a multiple of 3, then the suffix. */
function formatDecimal(intDigits: string, nano: number, exponentForm: boolean): string {
  let digits = (intDigits === '0' ? '' : intDigits) + (nano === 0 ? '' : String(nano).padStart(9, '0'));
  let exp = nano === 0 ? 0 : -9;
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  exp += digits.length - end;
  digits = digits.slice(0, end);
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  digits = digits.slice(start);
  const adjust = ((exp % 3) + 3) % 3;
  if (adjust > 0) {
    digits += '0'.repeat(adjust);
    exp -= adjust;
  }
  if (exponentForm) return exp === 0 ? digits : `${digits}e${exp}`;
  if (exp > 18) {
    // Upstream has no suffix above E; keep the value exact with the largest one.
    return digits + '0'.repeat(exp - 18) + 'E';
  }
  return digits + decByExponent[exp];
}

type Parsed = Quantity | string;

/** Parses a quantity; null when invalid (see quantityError for the reason). */
export function parseQuantity(input: string | number): Quantity | null {
  const r = parse(input);
  return typeof r === 'string' ? null : r;
}

/** Upstream's error text for an invalid quantity, or null when it is valid. */
export function quantityError(input: unknown): string | null {
  if (typeof input !== 'string' && typeof input !== 'number') return quantityErrors.formatWrong;
  const r = parse(input);
  return typeof r === 'string' ? r : null;
}

/** Parses or throws an Error carrying upstream's text. */
export function mustParseQuantity(input: string | number): Quantity {
  const r = parse(input);
  if (typeof r === 'string') throw new Error(`cannot parse quantity ${JSON.stringify(input)}: ${r}`);
  return r;
}

/** Canonical text of a valid quantity, or undefined when the input is not one. */
export function canonicalQuantity(input: unknown): string | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  const r = parse(input);
  return typeof r === 'string' ? undefined : r.toString();
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const SUFFIX_CHARS = new Set('eEinumkKMGTP'.split('').map((c) => c.charCodeAt(0)));

const pow10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

function parse(input: string | number): Parsed {
  const str = typeof input === 'number' ? String(input) : input;
  if (typeof str !== 'string' || str.length === 0) return quantityErrors.formatWrong;
  // Follows upstream's parseQuantityString: sign, leading zeros, numerator, '.', denominator, suffix.
  // The significant digits are also accumulated as a number while they stay exact (<= 15 digits).
  const end = str.length;
  let pos = 0;
  let positive = true;
  const c0 = str.charCodeAt(0);
  if (c0 === 45 /* - */) {
    positive = false;
    pos++;
  } else if (c0 === 43 /* + */) {
    pos++;
  }
  while (pos < end && str.charCodeAt(pos) === 48) pos++;
  const numStart = pos;
  let acc = 0;
  let sig = 0;
  let c = 0;
  while (pos < end && isDigit((c = str.charCodeAt(pos)))) {
    acc = acc * 10 + (c - 48);
    sig++;
    pos++;
  }
  const numEnd = pos;
  let denomStart = pos;
  let denomLen = 0;
  if (pos < end && str.charCodeAt(pos) === 46 /* . */) {
    pos++;
    denomStart = pos;
    while (pos < end && isDigit((c = str.charCodeAt(pos)))) {
      if (sig > 0 || c !== 48) {
        acc = acc * 10 + (c - 48);
        sig++;
      }
      pos++;
    }
    denomLen = pos - denomStart;
  }
  const sufStart = pos;
  while (pos < end && SUFFIX_CHARS.has(str.charCodeAt(pos))) pos++;
  if (pos < end && (str.charCodeAt(pos) === 45 || str.charCodeAt(pos) === 43)) pos++;
  while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
  if (pos < end) return quantityErrors.formatWrong;
  const suffix = sufStart === end ? '' : str.slice(sufStart);

  let format: QuantityFormat;
  let exp10 = 0;
  let exp2 = 0;
  const dec = decSuffixMap.get(suffix);
  const bin = dec === undefined ? binSuffixMap.get(suffix) : undefined;
  if (dec !== undefined) {
    format = 'DecimalSI';
    exp10 = dec;
  } else if (bin !== undefined) {
    format = 'BinarySI';
    exp2 = bin;
  } else if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    format = 'DecimalExponent';
    exp10 = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp10) || Math.abs(exp10) > MAX_EXPONENT) return quantityErrors.numeric;
  } else {
    return quantityErrors.suffix;
  }
  if (sig === 0) return Quantity.fromValue(0, format);

  if (sig <= 15) {
    // Fast path: exact number arithmetic for the common short forms ("100m", "2", "512Mi").
    if (format === 'BinarySI') {
      if (denomLen === 0) {
        const p = acc * 2 ** exp2;
        if (p <= Number.MAX_SAFE_INTEGER) return fromMagnitude(format, positive, p, 0);
      }
    } else {
      const e = exp10 - denomLen;
      if (e >= 0 && e <= 22) {
        const p = acc * pow10[e]!;
        if (p <= Number.MAX_SAFE_INTEGER) return fromMagnitude(format, positive, p, 0);
      } else if (e < 0 && e >= -9) {
        const div = pow10[-e]!;
        let int = Math.floor(acc / div);
        let rem = acc - int * div;
        if (rem < 0) {
          int -= 1;
          rem += div;
        } else if (rem >= div) {
          int += 1;
          rem -= div;
        }
        return fromMagnitude(format, positive, int, rem * pow10[9 + e]!);
      }
    }
  }
  const digits = stripLeadingZeros(str.slice(numStart, numEnd) + str.slice(denomStart, denomStart + denomLen));
  if (format === 'BinarySI') return parseBinary(positive, digits, denomLen, exp2);
  return fromDecimal(format, positive, digits, exp10 - denomLen);
}

function stripLeadingZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return s.length === 0 ? '0' : s.slice(i);
}

/** value = digits * 10^exp, rounded away from zero to nano units. */
function fromDecimal(format: QuantityFormat, positive: boolean, digits: string, exp: number): Quantity {
  let intStr: string;
  let frac: string;
  if (exp >= 0) {
    intStr = digits + '0'.repeat(exp);
    frac = '';
  } else if (digits.length > -exp) {
    intStr = digits.slice(0, digits.length + exp);
    frac = digits.slice(digits.length + exp);
  } else {
    intStr = '0';
    frac = '0'.repeat(-exp - digits.length) + digits;
  }
  let nano = frac.length === 0 ? 0 : Number(frac.slice(0, 9).padEnd(9, '0'));
  if (frac.length > 9 && /[1-9]/.test(frac.slice(9))) nano += 1;
  return fromMagnitude(format, positive, intStr, nano);
}

/** value = digits * 2^exp2 / 10^denomLen (exact), rounded away from zero to nano units. */
function parseBinary(positive: boolean, digits: string, denomLen: number, exp2: number): Quantity {
  const p = BigInt(digits) << BigInt(exp2);
  const div = 10n ** BigInt(denomLen);
  let int = p / div;
  const rem = p - int * div;
  let nanoBig = (rem * BIG_NANO) / div;
  if (nanoBig * div !== rem * BIG_NANO) nanoBig += 1n;
  if (nanoBig === BIG_NANO) {
    int += 1n;
    nanoBig = 0n;
  }
  let format: QuantityFormat = 'BinarySI';
  if (int > BIG_MAX_INT64 || (int === BIG_MAX_INT64 && nanoBig > 0n)) {
    int = BIG_MAX_INT64;
    nanoBig = 0n;
  }
  // Upstream: a binary quantity strictly between 0 and 1 becomes decimal ("0.5Ki" stays "512").
  if (int === 0n) format = 'DecimalSI';
  return fromMagnitude(format, positive, int.toString(), Number(nanoBig));
}

/** Builds a quantity from a magnitude (integer part and nano units, nano may carry) and a sign. */
function fromMagnitude(format: QuantityFormat, positive: boolean, intPart: number | string, nano: number): Quantity {
  let intStr = typeof intPart === 'number' ? '' : intPart;
  let int = typeof intPart === 'number' ? intPart : intStr.length <= 15 ? Number(intStr) : Number.NaN;
  if (nano >= NANO) {
    // Rounding the nano digit up carried into the integer part.
    nano -= NANO;
    if (Number.isNaN(int)) intStr = (BigInt(intStr) + 1n).toString();
    else int += 1;
  }
  if (Number.isSafeInteger(int)) {
    if (positive || (int === 0 && nano === 0)) return Quantity.fromParts(int, nano, format);
    return nano === 0 ? Quantity.fromParts(-int, 0, format) : Quantity.fromParts(-int - 1, NANO - nano, format);
  }
  const mag = BigInt(intStr === '' ? String(int) : intStr) * BIG_NANO + BigInt(nano);
  return Quantity.fromNanos(positive ? mag : -mag, format);
}

/** Sum of quantities (format of the first non-zero), e.g. a pod's summed container requests. */
export function sumQuantities(qs: Iterable<Quantity>): Quantity {
  let total = Quantity.fromValue(0);
  for (const q of qs) total = total.add(q);
  return total;
}
