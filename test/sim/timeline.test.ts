// The Timeline: one platform timer for every pending entry, entries run in due order, a key has
// at most one entry.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Timeline } from '../../src/sim/timeline.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('Timeline', () => {
  it('runs entries in due order with a single armed timer', () => {
    const clock = new FakeClock();
    const tl = new Timeline(clock);
    const ran: string[] = [];
    for (const [k, at] of [['c', 30], ['a', 10], ['b', 20], ['a2', 10]] as const) tl.schedule(k, at, () => ran.push(k));
    assert.equal(clock.pending(), 1);
    clock.advance(15);
    assert.deepEqual(ran, ['a', 'a2']);
    clock.advance(100);
    assert.deepEqual(ran, ['a', 'a2', 'b', 'c']);
    assert.equal(tl.size, 0);
    assert.equal(clock.pending(), 0);
  });

  it('replaces the entry of a key and cancels', () => {
    const clock = new FakeClock();
    const tl = new Timeline(clock);
    const ran: string[] = [];
    tl.schedule('x', 10, () => ran.push('x@10'));
    tl.schedule('x', 50, () => ran.push('x@50'));
    tl.schedule('y', 20, () => ran.push('y'));
    tl.cancel('y');
    assert.equal(tl.has('y'), false);
    clock.advance(30);
    assert.deepEqual(ran, []);
    clock.advance(30);
    assert.deepEqual(ran, ['x@50']);
  });

  it('keeps running after an entry throws, and reports it', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    const tl = new Timeline(clock, (e) => errors.push(e));
    let ran = false;
    tl.schedule('bad', 1, () => {
      throw new Error('boom');
    });
    tl.schedule('good', 1, () => (ran = true));
    clock.advance(5);
    assert.equal(ran, true);
    assert.equal(errors.length, 1);
  });

  it('an entry may schedule its own next turn; stop ends everything', () => {
    const clock = new FakeClock();
    const tl = new Timeline(clock);
    let turns = 0;
    const tick = (at: number) => tl.schedule('beat', at, () => (turns++, tick(at + 10)));
    tick(10);
    clock.advance(55);
    assert.equal(turns, 5);
    tl.stop();
    clock.advance(100);
    assert.equal(turns, 5);
    assert.equal(clock.pending(), 0);
  });

  it('runs any schedule of keys in (time, insertion) order, the last entry of a key winning', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 60 }), (ops) => {
        const clock = new FakeClock();
        const tl = new Timeline(clock);
        const ran: string[] = [];
        const last = new Map<string, { at: number; seq: number }>();
        ops.forEach(([k, at], seq) => {
          const key = `k${k}`;
          last.set(key, { at, seq });
          tl.schedule(key, at, () => ran.push(key));
        });
        clock.advance(2000);
        const want = [...last.entries()].sort((a, b) => a[1].at - b[1].at || a[1].seq - b[1].seq).map(([k]) => k);
        assert.deepEqual(ran, want);
      }),
    );
  });
});
