import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from '../../src/sim/limiter.js';

describe('Limiter', () => {
  it('never has more than max calls in flight and runs them all in FIFO order', async () => {
    const lim = new Limiter(3);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) =>
        lim.run(async () => {
          started.push(i);
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active--;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(started, Array.from({ length: 2000 }, (_, i) => i));
    assert.equal(lim.inFlight, 0);
    assert.equal(lim.queued, 0);
  });

  it('frees the slot when a call fails', async () => {
    const lim = new Limiter(1);
    await assert.rejects(lim.run(() => Promise.reject(new Error('no'))), /no/);
    assert.equal(await lim.run(async () => 42), 42);
  });
});
