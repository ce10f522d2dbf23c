import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectControllers } from '../../src/controllers/select.js';
import type { ControllerDescriptor } from '../../src/controllers/context.js';

const all: ControllerDescriptor[] = ['a', 'b', 'c'].map((name) => ({ name, start: () => undefined }));
const names = (spec: string[]) => selectControllers(all, spec).map((c) => c.name);

describe('--controllers selection', () => {
  it('runs everything by default and with *', () => {
    assert.deepEqual(names([]), ['a', 'b', 'c']);
    assert.deepEqual(names(['*']), ['a', 'b', 'c']);
  });
  it('enables named ones and disables -name', () => {
    assert.deepEqual(names(['b']), ['b']);
    assert.deepEqual(names(['*', '-b']), ['a', 'c']);
    assert.deepEqual(names(['a', 'c', '-c']), ['a']);
  });
  it('refuses unknown names, listing the known ones', () => {
    assert.throws(() => names(['*', '-nope']), /unknown controller "nope"; known: a, b, c/);
  });
});
