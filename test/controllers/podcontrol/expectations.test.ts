import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Expectations } from '../../../src/controllers/podcontrol/expectations.js';
import { slowStartBatch } from '../../../src/controllers/podcontrol/podcontrol.js';
import { isPodAvailable, isPodActive, msUntilAvailable } from '../../../src/api/pods.js';
import type { PodObj } from '../../../src/controllers/podcontrol/pods.js';

describe('expectations', () => {
  it('holds a key until every expected create is observed', () => {
    let t = 0;
    const e = new Expectations({ now: () => t });
    assert.equal(e.satisfied('ns/rs'), true, 'no record: satisfied');
    e.expectCreations('ns/rs', 2);
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), false);
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    assert.equal(e.satisfied('ns/rs'), true);
    assert.deepEqual(e.pending('ns/rs'), { add: 0, del: 0 });
  });

  it('counts each deleted pod once, however many events report it', () => {
    const e = new Expectations({ now: () => 0 });
    e.expectDeletions('k', ['ns/a', 'ns/b']);
    e.deletionObserved('k', 'ns/a');
    e.deletionObserved('k', 'ns/a');
    e.deletionObserved('k', 'ns/other');
    assert.equal(e.satisfied('k'), false);
    assert.deepEqual(e.pending('k'), { add: 0, del: 1 });
    e.deletionObserved('k', 'ns/b');
    assert.equal(e.satisfied('k'), true);
  });

  it('expires after the TTL so a lost event never wedges a key', () => {
    let t = 0;
    const e = new Expectations({ now: () => t, ttlMs: 1000 });
    e.expectCreations('k', 1);
    t = 999;
    assert.equal(e.satisfied('k'), false);
    t = 1001;
    assert.equal(e.satisfied('k'), true);
    e.delete('k');
    assert.deepEqual(e.pending('k'), { add: 0, del: 0 });
  });
});

describe('slowStartBatch', () => {
  it('calls in batches of 1, 2, 4, … and stops after a failing batch', async () => {
    let calls = 0;
    let inFlight = 0;
    const batches: number[] = [];
    const r = await slowStartBatch(10, 1, async () => {
      const n = ++calls;
      inFlight++;
      if (inFlight === 1) batches.push(0);
      batches[batches.length - 1]!++;
      await new Promise((res) => setTimeout(res, 1));
      inFlight--;
      if (n === 5) throw new Error('quota');
    });
    assert.deepEqual(batches, [1, 2, 4]);
    assert.equal(r.successes, 6);
    assert.equal((r.error as Error).message, 'quota');
    const ok = await slowStartBatch(3, 1, async () => undefined);
    assert.deepEqual(ok, { successes: 3 });
  });
});

describe('pod predicates', () => {
  const pod = (ready?: string, extra: Partial<PodObj['metadata']> = {}, phase = 'Running'): PodObj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...extra },
    status: { phase, ...(ready ? { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ready }] } : {}) },
  });
  const t0 = Date.parse('2025-01-01T00:00:00Z');

  it('counts terminating and finished pods as inactive', () => {
    assert.equal(isPodActive(pod()), true);
    assert.equal(isPodActive(pod(undefined, { deletionTimestamp: '2025-01-01T00:00:00Z' })), false);
    assert.equal(isPodActive(pod(undefined, {}, 'Succeeded')), false);
    assert.equal(isPodActive(pod(undefined, {}, 'Failed')), false);
  });

  it('makes a ready pod available strictly after minReadySeconds', () => {
    const p = pod('2025-01-01T00:00:00Z');
    assert.equal(isPodAvailable(p, 0, t0), true);
    assert.equal(isPodAvailable(p, 10, t0 + 10_000), false);
    assert.equal(isPodAvailable(p, 10, t0 + 10_001), true);
    assert.equal(isPodAvailable(pod(), 0, t0), false);
    assert.equal(msUntilAvailable(p, 10, t0 + 4000), 6001);
    assert.equal(msUntilAvailable(pod(), 10, t0), undefined);
  });
});
