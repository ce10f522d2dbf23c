import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ago, containerState, formatG, goTimeString, humanDuration, humanSize, podState, renderTable, rfc3339Nano, truncateId,
} from '../../../src/cli/crictl/format.js';

process.env.TZ = 'UTC';

test('renderTable: tabwriter with minwidth 20, padding 3; the last cell is not padded', () => {
  const out = renderTable([
    ['POD ID', 'CREATED', 'STATE'],
    ['0123456789abc', '2 minutes ago', 'Ready'],
  ]);
  assert.equal(out, 'POD ID              CREATED             STATE\n0123456789abc       2 minutes ago       Ready\n');
  // A cell wider than 17 widens its column to its width + 3 for every row.
  const wide = renderTable([
    ['IMAGE', 'TAG'],
    ['docker.io/library/busybox', 'latest'],
  ]);
  assert.equal(wide, 'IMAGE                       TAG\ndocker.io/library/busybox   latest\n');
  assert.equal(renderTable([['A', 'B'], ['é', 'x']]).split('\n')[1], `é${' '.repeat(19)}x`);
});

test('truncateId: 13 characters, after an optional prefix', () => {
  const id = '3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741';
  assert.equal(truncateId(id), '3f57d9401f8d4');
  assert.equal(truncateId(`sha256:${id}`, 'sha256:'), '3f57d9401f8d4');
  assert.equal(truncateId('short'), 'short');
});

test('humanDuration matches docker/go-units', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [0, 'Less than a second'], [999, 'Less than a second'], [1 * s, '1 second'], [59 * s, '59 seconds'],
    [60 * s, 'About a minute'], [119 * s, 'About a minute'], [120 * s, '2 minutes'], [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'], [89 * 60 * s, 'About an hour'], [90 * 60 * s, '2 hours'], [47 * 3600 * s, '47 hours'],
    [48 * 3600 * s, '2 days'], [13 * 86400 * s, '13 days'], [14 * 86400 * s, '2 weeks'], [59 * 86400 * s, '8 weeks'],
    [60 * 86400 * s, '2 months'], [729 * 86400 * s, '24 months'], [730 * 86400 * s, '2 years'], [-5 * s, 'Less than a second'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  assert.equal(ago((now - 150_000) * 1e6, now), '2 minutes ago');
});

test("formatG and humanSize: Go's %.Ng and HumanSizeWithPrecision", () => {
  assert.equal(formatG(1.234567, 3), '1.23');
  assert.equal(formatG(4.096, 3), '4.1');
  assert.equal(formatG(999.9, 3), '1e+03');
  assert.equal(formatG(100, 3), '100');
  assert.equal(formatG(0.00001234, 3), '1.23e-05');
  assert.equal(humanSize(0, 3), '0B');
  assert.equal(humanSize(12, 3), '12B');
  assert.equal(humanSize(1054231, 3), '1.05MB');
  assert.equal(humanSize(1234567, 3), '1.23MB');
  assert.equal(humanSize(322876, 3), '323kB');
  assert.equal(humanSize(8192), '8.192kB');
  assert.equal(humanSize(819200), '819.2kB');
  assert.equal(humanSize(999_999, 3), '1e+03kB');
  assert.equal(humanSize(5_000_000_000, 3), '5GB');
});

test("times: Go's RFC3339Nano and time.Time String in UTC", () => {
  // Near the epoch a double holds every nanosecond; today's timestamps keep ~256 ns.
  assert.equal(rfc3339Nano(1_000_000_120), '1970-01-01T00:00:01.00000012Z');
  assert.equal(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 120) * 1e6), '2024-01-02T03:04:05.12Z');
  assert.equal(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5) * 1e6), '2024-01-02T03:04:05Z');
  assert.equal(goTimeString(Date.UTC(2024, 0, 2, 3, 4, 5, 500) * 1e6), '2024-01-02 03:04:05.5 +0000 UTC');
});

test('state names as crictl shows them', () => {
  assert.equal(podState('SANDBOX_READY'), 'Ready');
  assert.equal(podState('SANDBOX_NOTREADY'), 'NotReady');
  assert.deepEqual(['CONTAINER_CREATED', 'CONTAINER_RUNNING', 'CONTAINER_EXITED', 'CONTAINER_UNKNOWN'].map(containerState), ['Created', 'Running', 'Exited', 'Unknown']);
});
