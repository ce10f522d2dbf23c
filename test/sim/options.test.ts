import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration, parseKeyValue, parseResource, parseTaint } from '../../src/sim/options.js';

describe('sim option parsers', () => {
  it('parses taints as kubectl taint takes them', () => {
    assert.deepEqual(parseTaint('dedicated=gpu:NoSchedule'), { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' });
    assert.deepEqual(parseTaint('example.com/spot:PreferNoSchedule'), { key: 'example.com/spot', effect: 'PreferNoSchedule' });
    assert.throws(() => parseTaint('k=v:Sometimes'), /Effect one of NoSchedule, PreferNoSchedule, NoExecute/);
    assert.throws(() => parseTaint('k=v'), /key=value:Effect/);
  });

  it('parses labels and resources', () => {
    assert.deepEqual(parseKeyValue('a=b=c', 'label'), ['a', 'b=c']);
    assert.throws(() => parseKeyValue('nokey', 'label'), /key=value/);
    assert.deepEqual(parseResource('nvidia.com/gpu=8'), ['nvidia.com/gpu', '8']);
    assert.throws(() => parseResource('cpu=lots'), /not a quantity/);
  });

  it('parses Go durations', () => {
    assert.equal(parseGoDuration('5s'), 5000);
    assert.equal(parseGoDuration('1m30s'), 90_000);
    assert.equal(parseGoDuration('250ms'), 250);
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('0'), 0);
    for (const bad of ['', '5', 's', '5x', '-1s', '5s ']) assert.equal(parseGoDuration(bad), undefined, bad);
  });
});
