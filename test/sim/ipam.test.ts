import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidrContains, fakePodCidr, nodeInternalIP, parseCidr, PodIpPool } from '../../src/sim/ipam.js';

describe('node and pod addresses', () => {
  it('gives node i the (i+1)-th address of the node range', () => {
    assert.equal(nodeInternalIP(0), '172.16.0.1');
    assert.equal(nodeInternalIP(255), '172.16.1.0');
    assert.equal(nodeInternalIP(4999), '172.16.19.136');
    assert.throws(() => nodeInternalIP(300, '10.0.0.0/24'), /no address for node #300/);
  });

  it('gives node i the i-th /24 of 10.244.0.0/16', () => {
    assert.equal(fakePodCidr(0, 3), '10.244.0.0/24');
    assert.equal(fakePodCidr(2, 3), '10.244.2.0/24');
    assert.equal(fakePodCidr(255, 256), '10.244.255.0/24');
  });

  it('widens the pool for 5,000 nodes, still starting at 10.244.0.0/24, every /24 distinct', () => {
    const cidrs = Array.from({ length: 5000 }, (_, i) => fakePodCidr(i, 5000));
    assert.equal(cidrs[0], '10.244.0.0/24');
    assert.equal(new Set(cidrs).size, 5000);
    const wide = parseCidr('10.224.0.0/11');
    for (const c of cidrs) assert.ok(cidrContains(wide, c.replace('/24', '')), c);
  });

  it('hands out unique addresses, never network, gateway or broadcast, until the block is full', () => {
    const pool = new PodIpPool('10.244.7.0/24');
    const got = new Set<string>();
    for (let ip = pool.allocate(); ip; ip = pool.allocate()) got.add(ip);
    assert.equal(got.size, 253);
    for (const bad of ['10.244.7.0', '10.244.7.1', '10.244.7.255']) assert.ok(!got.has(bad), bad);
    assert.equal(pool.allocate(), undefined);
    pool.release('10.244.7.9');
    assert.equal(pool.allocate(), '10.244.7.9');
  });

  it('reserves adopted addresses of its block only', () => {
    const pool = new PodIpPool('10.42.1.0/24');
    assert.equal(pool.reserve('10.42.1.2'), true);
    assert.equal(pool.reserve('10.244.0.5'), false);
    assert.equal(pool.allocate(), '10.42.1.3');
  });

  it('never hands out an address that is in use (any interleaving of allocate and release)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 300 }), (ops) => {
        const pool = new PodIpPool('10.0.0.0/26');
        const held: string[] = [];
        for (const op of ops) {
          if (op === -1 || held.length === 0) {
            const ip = pool.allocate();
            if (ip === undefined) assert.equal(held.length, 61);
            else {
              assert.ok(!held.includes(ip), `${ip} handed out twice`);
              held.push(ip);
            }
          } else {
            const [ip] = held.splice(op % held.length, 1);
            pool.release(ip as string);
          }
        }
        assert.equal(pool.inUse, held.length);
      }),
    );
  });
});
