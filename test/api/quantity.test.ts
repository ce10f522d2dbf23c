import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalQuantity, mustParseQuantity, parseQuantity, Quantity, quantityError, quantityErrors, sumQuantities } from '../../src/api/quantity.js';

describe('parseQuantity canonical forms (upstream resource.Quantity String())', () => {
  const cases: [string, string, number][] = [
    // input, canonical, milliValue
    ['100m', '100m', 100],
    ['1.5Gi', '1536Mi', 1610612736000],
    ['1024Mi', '1Gi', 1073741824000],
    ['1000m', '1', 1000],
    ['0.5', '500m', 500],
    ['1.5', '1500m', 1500],
    ['2e3', '2e3', 2000000],
    ['12e5', '1200e3', 1200000000],
    ['1.5e3', '1500', 1500000],
    ['1k', '1k', 1000000],
    ['1Ki', '1Ki', 1024000],
    ['0.5Ki', '512', 512000],
    ['1536', '1536', 1536000],
    ['3.5Ti', '3584Gi', 3848290697216000],
    ['100n', '100n', 1],
    ['0.1n', '1n', 1],
    ['0.0000000001', '1n', 1],
    ['1e-10', '1e-9', 1],
    ['-100m', '-100m', -100],
    ['-1.5', '-1500m', -1500],
    ['.5', '500m', 500],
    ['1.', '1', 1000],
    ['00100', '100', 100000],
    ['+1', '1', 1000],
    ['0', '0', 0],
    ['1E3', '1e3', 1000000],
    ['1E', '1E', 1e21],
    ['1000E', '1000E', 1e24],
  ];
  for (const [input, canonical, milli] of cases) {
    it(`${input} -> ${canonical}`, () => {
      const q = mustParseQuantity(input);
      assert.equal(q.toString(), canonical);
      assert.equal(q.milliValue(), milli);
    });
  }

  it('caps binary values at the int64 maximum', () => {
    assert.equal(mustParseQuantity('8Ei').toString(), '9223372036854775807');
  });

  it('accepts JSON numbers as upstream UnmarshalJSON does', () => {
    assert.equal(mustParseQuantity(0.25).toString(), '250m');
    assert.equal(mustParseQuantity(2).toString(), '2');
  });

  it('keeps values beyond 2^53 exact', () => {
    const q = mustParseQuantity('123456789012345678901234');
    assert.equal(q.toString(), '123456789012345678901234');
    assert.equal(q.nanos(), 123456789012345678901234n * 1_000_000_000n);
  });
});

describe('parseQuantity errors', () => {
  const cases: [string, string][] = [
    ['', quantityErrors.formatWrong],
    ['abc', quantityErrors.formatWrong],
    ['1Kb', quantityErrors.formatWrong],
    ['1.2.3', quantityErrors.formatWrong],
    ['1 Gi', quantityErrors.formatWrong],
    ['1e', quantityErrors.suffix],
    ['1e+', quantityErrors.suffix],
    ['1i', quantityErrors.suffix],
    ['1K', quantityErrors.suffix],
  ];
  for (const [input, msg] of cases) {
    it(JSON.stringify(input), () => {
      assert.equal(parseQuantity(input), null);
      assert.equal(quantityError(input), msg);
    });
  }

  it('states the regular expression as upstream does', () => {
    assert.equal(quantityErrors.formatWrong, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    assert.equal(quantityError({}), quantityErrors.formatWrong);
    assert.equal(canonicalQuantity('nope'), undefined);
    assert.throws(() => mustParseQuantity('nope'), /quantities must match/);
  });
});

describe('Quantity arithmetic', () => {
  it('rounds value() and milliValue() away from zero', () => {
    assert.equal(mustParseQuantity('1500m').value(), 2);
    assert.equal(mustParseQuantity('-1500m').value(), -2);
    assert.equal(mustParseQuantity('1n').milliValue(), 1);
    assert.equal(mustParseQuantity('-1n').milliValue(), -1);
  });

  it('roundUpMilli as SetDefaults_ResourceList', () => {
    assert.equal(mustParseQuantity('100n').roundUpMilli().toString(), '1m');
    assert.equal(mustParseQuantity('0.9999999').roundUpMilli().toString(), '1');
    assert.equal(mustParseQuantity('-1500500u').roundUpMilli().toString(), '-1501m');
    assert.equal(mustParseQuantity('1Gi').roundUpMilli().toString(), '1Gi');
  });

  it('stays exact around 2^53', () => {
    const a = mustParseQuantity('-8Pi');
    const b = mustParseQuantity('1.1');
    assert.equal(a.add(b).sub(b).cmp(a), 0);
    assert.equal(mustParseQuantity('8Pi').add(mustParseQuantity('1')).toString(), '9007199254740993');
  });

  it('adds and compares across formats', () => {
    const sum = sumQuantities(['100m', '1', '0.5'].map((s) => mustParseQuantity(s)));
    assert.equal(sum.toString(), '1600m');
    assert.equal(mustParseQuantity('1Gi').cmp(mustParseQuantity('1G')), 1);
    assert.equal(mustParseQuantity('1000m').cmp(mustParseQuantity('1')), 0);
    assert.equal(Quantity.fromMilli(1500).toString(), '1500m');
    assert.equal(Quantity.fromValue(2048, 'BinarySI').toString(), '2Ki');
    assert.equal(Quantity.fromValue(0).add(mustParseQuantity('1Ki')).format, 'BinarySI');
  });
});

// ---- properties ----

const suffixes = ['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'e0', 'e3', 'E-2', 'e+5', 'e-12', 'e18', 'E7'];
const binaryPower: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalExp: Record<string, number> = { '': 0, n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const quantityText = fc
  .tuple(fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{0,12}$/), { nil: undefined }), fc.constantFrom(...suffixes))
  .map(([sign, int, frac, suffix]) => ({ text: `${sign}${int}${frac === undefined ? '' : '.' + frac}${suffix}`, sign, int, frac: frac ?? '', suffix }));

/** Exact nanos by BigInt arithmetic, rounded away from zero; binary values capped at int64. */
function referenceNanos(p: { sign: string; int: string; frac: string; suffix: string }): bigint {
  let num = BigInt(p.int + p.frac) * 1_000_000_000n;
  let den = 10n ** BigInt(p.frac.length);
  const bin = binaryPower[p.suffix];
  if (bin !== undefined) num *= 2n ** BigInt(bin);
  else {
    const e = decimalExp[p.suffix] ?? Number(p.suffix.slice(1));
    if (e >= 0) num *= 10n ** BigInt(e);
    else den *= 10n ** BigInt(-e);
  }
  let mag = num / den + (num % den === 0n ? 0n : 1n);
  if (bin !== undefined && mag > 9223372036854775807n * 1_000_000_000n) mag = 9223372036854775807n * 1_000_000_000n;
  return p.sign === '-' ? -mag : mag;
}

describe('Quantity properties', () => {
  it('parses every well-formed quantity to its exact value', () => {
    fc.assert(
      fc.property(quantityText, (p) => {
        const q = parseQuantity(p.text);
        assert.ok(q, p.text);
        assert.equal(q.nanos(), referenceNanos(p), p.text);
      }),
      { numRuns: 2000 },
    );
  });

  it('format(parse(x)) round-trips and is a fixed point', () => {
    fc.assert(
      fc.property(quantityText, (p) => {
        const q = mustParseQuantity(p.text);
        const s = q.toString();
        const again = mustParseQuantity(s);
        assert.equal(again.cmp(q), 0, `${p.text} -> ${s}`);
        // Like upstream, a binary quantity that is no whole multiple of 1024 prints as a plain
        // integer ("812.5Ki" -> "832000"), which re-parses as decimal ("832k"): the format may
        // change once, and is fixed from then on.
        const s2 = again.toString();
        assert.equal(mustParseQuantity(s2).toString(), s2, `${p.text} -> ${s} -> ${s2}`);
        if (!/^-?\d+$/.test(s)) assert.equal(s2, s, `${p.text} -> ${s}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('comparison agrees with exact values and is antisymmetric', () => {
    fc.assert(
      fc.property(quantityText, quantityText, (a, b) => {
        const qa = mustParseQuantity(a.text);
        const qb = mustParseQuantity(b.text);
        const ra = referenceNanos(a);
        const rb = referenceNanos(b);
        assert.equal(qa.cmp(qb), ra === rb ? 0 : ra < rb ? -1 : 1);
        assert.equal(qb.cmp(qa) + qa.cmp(qb), 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('addition is exact and subtraction undoes it', () => {
    fc.assert(
      fc.property(quantityText, quantityText, (a, b) => {
        const qa = mustParseQuantity(a.text);
        const qb = mustParseQuantity(b.text);
        const sum = qa.add(qb);
        assert.equal(sum.nanos(), qa.nanos() + qb.nanos());
        assert.equal(sum.sub(qb).cmp(qa), 0);
      }),
      { numRuns: 1000 },
    );
  });

  it('milliValue is the exact value rounded away from zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (nanos) => {
        const q = Quantity.fromNanos(nanos);
        const want = nanos / 1_000_000n + (nanos % 1_000_000n === 0n ? 0n : nanos > 0n ? 1n : -1n);
        assert.equal(q.milliValue(), Number(want));
      }),
    );
  });
});
