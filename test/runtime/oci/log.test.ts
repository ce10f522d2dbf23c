import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { criLogLines, parseCriLog, parseCriLogLine } from '../../../src/runtime/oci/log.js';

describe('CRI log format', () => {
  it('parses full and partial entries', () => {
    assert.deepEqual(parseCriLogLine('2024-01-02T03:04:05.123456789+00:00 stdout F hello world'), {
      time: '2024-01-02T03:04:05.123456789+00:00', stream: 'stdout', partial: false, content: 'hello world',
    });
    assert.equal(parseCriLogLine('2024-01-02T03:04:05Z stderr P ')?.partial, true);
    assert.equal(parseCriLogLine('hello'), undefined);
    assert.equal(parseCriLogLine('2024-01-02T03:04:05Z stdin F x'), undefined);
  });

  it('joins partial entries per stream', () => {
    const text = ['2024-01-02T03:04:05Z stdout P ab', '2024-01-02T03:04:05Z stderr F e', 'junk', '2024-01-02T03:04:06Z stdout F cd', ''].join('\n');
    assert.deepEqual(criLogLines(parseCriLog(text)), [{ stream: 'stderr', line: 'e' }, { stream: 'stdout', line: 'abcd' }]);
  });
});
