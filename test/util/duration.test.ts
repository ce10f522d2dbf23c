import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, parseTime, shortHumanDuration, timeSince } from '../../src/util/duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  const cases: [number, string][] = [
    [-2 * s, '<invalid>'],
    [-1999, '0s'],
    [-1 * s, '0s'],
    [0, '0s'],
    [999, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [2 * m + 3 * s, '2m3s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [5 * h + 20 * m, '5h20m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [2 * d + 5 * h, '2d5h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [45 * d, '45d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [730 * d + 30 * d, '2y30d'],
    [8 * 365 * d, '8y'],
    [9 * 365 * d + 100 * d, '9y'],
  ];
  for (const [ms, want] of cases) {
    it(`${ms}ms -> ${want}`, () => assert.equal(humanDuration(ms), want));
  }
  it('is <invalid> for NaN', () => assert.equal(humanDuration(Number.NaN), '<invalid>'));
});

describe('shortHumanDuration', () => {
  it('keeps one unit', () => {
    assert.equal(shortHumanDuration(59 * s), '59s');
    assert.equal(shortHumanDuration(61 * m), '1h');
    assert.equal(shortHumanDuration(25 * h), '1d');
    assert.equal(shortHumanDuration(400 * d), '1y');
    assert.equal(shortHumanDuration(-5 * s), '<invalid>');
  });
});

describe('parseTime / timeSince', () => {
  it('treats unset and Go zero time as unknown', () => {
    assert.equal(parseTime(undefined), undefined);
    assert.equal(parseTime(''), undefined);
    assert.equal(parseTime('0001-01-01T00:00:00Z'), undefined);
    assert.equal(parseTime('garbage'), undefined);
    assert.equal(timeSince(null, Date.now()), '<unknown>');
  });
  it('reads RFC 3339 and MicroTime', () => {
    const now = Date.parse('2024-06-01T12:00:00Z');
    assert.equal(timeSince('2024-06-01T11:55:00Z', now), '5m');
    assert.equal(timeSince('2024-06-01T11:59:30.123456Z', now), '29s');
    assert.equal(timeSince('2024-06-01T12:00:05Z', now), '<invalid>');
  });
});
