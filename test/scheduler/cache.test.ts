import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from '../../src/scheduler/cache.js';
import { podInfoFrom } from '../../src/scheduler/plugins/podinfo-terms.js';
import { makeNode, makePod } from './fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';

const bound = (p: Pod, node: string): Pod => ({ ...p, spec: { ...p.spec!, nodeName: node } });

function newCache(ttl = 30_000) {
  const clock = new FakeClock(1_000_000);
  const expired: string[] = [];
  const cache = new SchedulerCache({ clock, assumedPodTtlMs: ttl, onExpired: (p) => expired.push(p.metadata!.name!) });
  cache.addNode(makeNode('n1').capacity({ cpu: '4', memory: '8Gi' }).obj());
  cache.addNode(makeNode('n2').capacity({ cpu: '4', memory: '8Gi' }).obj());
  return { cache, clock, expired };
}

describe('scheduler cache', () => {
  it('sums requests (and non-zero defaults) of bound pods per node; terminal pods do not count', () => {
    const { cache } = newCache();
    cache.addPod(makePod('a').req({ cpu: '1', memory: '1Gi' }).node('n1').obj());
    cache.addPod(makePod('b').node('n1').obj());
    cache.addPod(makePod('done').req({ cpu: '2' }).node('n1').phase('Succeeded').obj());
    const n1 = cache.snapshot().get('n1')!;
    assert.equal(n1.pods.length, 2);
    assert.equal(n1.requested.milliCPU, 1000);
    assert.equal(n1.nonZeroRequested.milliCPU, 1100);
    assert.equal(n1.nonZeroRequested.memory, 1024 ** 3 + 200 * 1024 ** 2);
    assert.equal(n1.allocatable.milliCPU, 4000);
  });

  it('a pod turning terminal leaves its node', () => {
    const { cache } = newCache();
    const a = makePod('a').req({ cpu: '1' }).node('n1').obj();
    cache.addPod(a);
    cache.updatePod(a, { ...a, status: { phase: 'Failed' } });
    assert.equal(cache.snapshot().get('n1')!.requested.milliCPU, 0);
  });

  it('assume counts the pod at once; the informer confirms it', () => {
    const { cache } = newCache();
    const p = makePod('p').req({ cpu: '1' }).obj();
    cache.assumePod(podInfoFrom(bound(p, 'n1')), 'n1');
    assert.equal(cache.snapshot().get('n1')!.requested.milliCPU, 1000);
    assert.equal(cache.isAssumed('default/p'), true);
    assert.throws(() => cache.assumePod(podInfoFrom(bound(p, 'n1')), 'n1'), /already|is in the cache/);
    cache.finishBinding('default/p');
    cache.addPod(bound(p, 'n1'));
    assert.equal(cache.isAssumed('default/p'), false);
    assert.equal(cache.snapshot().get('n1')!.pods.length, 1);
  });

  it('the informer may place a pod on another node than assumed', () => {
    const { cache } = newCache();
    const p = makePod('p').req({ cpu: '1' }).obj();
    cache.assumePod(podInfoFrom(bound(p, 'n1')), 'n1');
    cache.addPod(bound(p, 'n2'));
    const s = cache.snapshot();
    assert.equal(s.get('n1')!.requested.milliCPU, 0);
    assert.equal(s.get('n2')!.requested.milliCPU, 1000);
  });

  it('forget drops an assumed pod, never a confirmed one', () => {
    const { cache } = newCache();
    const p = makePod('p').req({ cpu: '1' }).obj();
    cache.assumePod(podInfoFrom(bound(p, 'n1')), 'n1');
    cache.forgetPod('default/p');
    assert.equal(cache.snapshot().get('n1')!.pods.length, 0);
    cache.addPod(bound(p, 'n1'));
    cache.forgetPod('default/p');
    assert.equal(cache.snapshot().get('n1')!.pods.length, 1);
  });

  it('an assumed pod never confirmed expires a TTL after its binding finished', () => {
    const { cache, clock, expired } = newCache(30_000);
    const ac = new AbortController();
    cache.start(ac.signal);
    try {
      cache.assumePod(podInfoFrom(bound(makePod('slow').obj(), 'n1')), 'n1');
      clock.advance(60_000);
      assert.equal(cache.isAssumed('default/slow'), true, 'no expiry before the binding finished');
      cache.finishBinding('default/slow');
      clock.advance(29_000);
      assert.equal(cache.isAssumed('default/slow'), true);
      clock.advance(2_000);
      assert.equal(cache.isAssumed('default/slow'), false);
      assert.deepEqual(expired, ['slow']);
      assert.equal(cache.snapshot().get('n1')!.pods.length, 0);
    } finally {
      ac.abort();
    }
  });

  it('snapshots copy only changed nodes and keep a cycle consistent', () => {
    const { cache } = newCache();
    const s1 = cache.snapshot();
    const n2Before = s1.get('n2')!;
    const gen = n2Before.generation;
    const podsBefore = s1.get('n1')!.pods;
    cache.addPod(makePod('a').node('n1').obj());
    assert.equal(podsBefore.length, 0, 'the cache does not change what a snapshot handed out');
    const s2 = cache.snapshot();
    assert.equal(s2.get('n1')!.pods.length, 1);
    assert.equal(s2.get('n2')!.generation, gen, 'n2 was not copied again');
    assert.equal(s2.get('n2'), n2Before, 'NodeInfo objects keep their identity');
  });

  it('pods may come before their node; removed nodes leave the snapshot', () => {
    const { cache } = newCache();
    cache.addPod(makePod('early').req({ cpu: '1' }).node('n3').obj());
    assert.equal(cache.snapshot().get('n3'), undefined);
    cache.addNode(makeNode('n3').capacity({ cpu: '2' }).obj());
    const s = cache.snapshot();
    assert.equal(s.get('n3')!.requested.milliCPU, 1000);
    assert.equal(s.nodes().length, 3);
    cache.removeNode(makeNode('n3').obj());
    assert.deepEqual(cache.snapshot().nodes().map((n) => n.name).sort(), ['n1', 'n2']);
  });

  it('interleaves zones in the node list', () => {
    const cache = new SchedulerCache();
    for (const [n, z] of [['a1', 'a'], ['a2', 'a'], ['b1', 'b'], ['a3', 'a'], ['b2', 'b']]) cache.addNode(makeNode(n!).labels({ 'topology.kubernetes.io/zone': z! }).obj());
    assert.deepEqual(cache.snapshot().nodes().map((n) => n.name), ['a1', 'b1', 'a2', 'b2', 'a3']);
  });

  it('counts image spread and host ports', () => {
    const cache = new SchedulerCache();
    cache.addNode(makeNode('n1').image(['img:1', 'docker.io/img:1'], 100).obj());
    cache.addNode(makeNode('n2').image(['img:1'], 100).obj());
    cache.addPod(makePod('web').hostPort(80).node('n1').obj());
    const s = cache.snapshot();
    assert.equal(s.imageNumNodes('img:1'), 2);
    assert.equal(s.imageNumNodes('docker.io/img:1'), 1);
    assert.deepEqual([...s.get('n1')!.usedPorts], ['0.0.0.0/TCP/80']);
  });
});
