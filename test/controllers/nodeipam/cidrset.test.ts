// The subnet allocator: order, occupy, release, exhaustion, IPv6, bad masks.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CidrSet } from '../../../src/controllers/nodeipam/cidrset.js';
import { newCidrSets } from '../../../src/controllers/nodeipam/controller.js';

describe('CidrSet', () => {
  it('hands out /24s of a /22 in order until exhausted, round-robin after a release', () => {
    const s = new CidrSet('10.99.1.7/22', 24);
    assert.equal(s.cluster, '10.99.0.0/22');
    assert.deepEqual([s.allocateNext(), s.allocateNext(), s.allocateNext(), s.allocateNext()], ['10.99.0.0/24', '10.99.1.0/24', '10.99.2.0/24', '10.99.3.0/24']);
    assert.equal(s.allocateNext(), undefined);
    s.release('10.99.1.0/24');
    assert.equal(s.free, 1);
    assert.equal(s.allocateNext(), '10.99.1.0/24');
  });

  it('skips ranges marked in use, including ones larger or smaller than a subnet', () => {
    const s = new CidrSet('10.42.0.0/16', 24);
    assert.equal(s.occupy('10.42.0.0/23'), true);
    assert.equal(s.occupy('10.42.2.128/25'), true);
    assert.equal(s.occupy('192.168.0.0/24'), false);
    assert.equal(s.allocateNext(), '10.42.3.0/24');
    assert.equal(s.free, 256 - 4);
  });

  it('allocates IPv6 /64s and rejects masks that make too many subnets', () => {
    const sets = newCidrSets('10.42.0.0/16, fd00:42::/56', 24, 64);
    assert.deepEqual(sets.map((s) => s.allocateNext()), ['10.42.0.0/24', 'fd00:42::/64']);
    assert.equal(sets[1]!.allocateNext(), 'fd00:42:0:1::/64');
    assert.throws(() => new CidrSet('10.0.0.0/8', 28), /more than 16 bits/);
    assert.throws(() => new CidrSet('10.0.0.0/16', 8), /shorter/);
  });

  it('never hands out a subnet twice while held (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('alloc' as const), fc.nat(15)), { maxLength: 60 }), (ops) => {
        const s = new CidrSet('10.0.0.0/20', 24);
        const held = new Set<string>();
        for (const op of ops) {
          if (op === 'alloc') {
            const c = s.allocateNext();
            if (c === undefined) assert.equal(held.size, 16);
            else {
              assert.ok(!held.has(c));
              held.add(c);
            }
          } else {
            const c = `10.0.${op}.0/24`;
            s.release(c);
            held.delete(c);
          }
          assert.equal(s.free, 16 - held.size);
        }
      }),
    );
  });
});
