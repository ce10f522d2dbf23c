// Upstream's scale-down order, one rule at a time, plus properties over random pods.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { podsToDelete, rankPodsForDeletion, podDeletionCost } from '../../../src/controllers/podcontrol/ranking.js';
import type { PodObj } from '../../../src/controllers/podcontrol/pods.js';

const now = Date.parse('2025-01-01T12:00:00Z');
const ago = (s: number) => new Date(now - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Fixture builder: makePod('a').node('n1').running().ready(60).created(300).obj() */
function makePod(name: string) {
  const pod: PodObj = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: ago(10) }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending' } };
  const b = {
    node(n: string) {
      pod.spec = { ...pod.spec!, nodeName: n };
      return b;
    },
    phase(p: string) {
      pod.status = { ...pod.status, phase: p };
      return b;
    },
    running() {
      return b.phase('Running');
    },
    ready(secondsAgo: number) {
      pod.status = { ...pod.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ago(secondsAgo) }] };
      return b;
    },
    restarts(n: number) {
      pod.status = { ...pod.status, containerStatuses: [{ name: 'c', restartCount: n, image: 'x', imageID: '', ready: true }] };
      return b;
    },
    created(secondsAgo: number) {
      pod.metadata.creationTimestamp = ago(secondsAgo);
      return b;
    },
    cost(c: string) {
      pod.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': c };
      return b;
    },
    obj: () => pod,
  };
  return b;
}

const order = (pods: PodObj[], related: PodObj[] = []) => rankPodsForDeletion(pods, related, now).map((p) => p.metadata.name);

describe('pod ranking for deletion', () => {
  it('deletes unassigned before assigned pods', () => {
    assert.deepEqual(order([makePod('assigned').node('n1').running().obj(), makePod('unassigned').running().obj()]), ['unassigned', 'assigned']);
  });

  it('orders Pending < Unknown < Running', () => {
    assert.deepEqual(order([makePod('run').running().obj(), makePod('unk').phase('Unknown').obj(), makePod('pend').obj()]), ['pend', 'unk', 'run']);
  });

  it('deletes not-ready before ready', () => {
    assert.deepEqual(order([makePod('ready').running().ready(5).obj(), makePod('notready').running().obj()]), ['notready', 'ready']);
  });

  it('deletes a lower pod-deletion-cost first and reads malformed costs as 0', () => {
    assert.deepEqual(order([makePod('high').running().cost('10').obj(), makePod('low').running().cost('-5').obj(), makePod('zero').running().cost('x').obj()]), ['low', 'zero', 'high']);
    assert.equal(podDeletionCost(makePod('big').cost('99999999999').obj()), 0);
  });

  it('deletes pods doubled up on a node first', () => {
    const a = makePod('alone').node('n1').running().obj();
    const b = makePod('crowded').node('n2').running().obj();
    const related = [a, b, makePod('sib1').node('n2').running().obj(), makePod('sib2').node('n2').running().obj()];
    assert.deepEqual(order([a, b], related), ['crowded', 'alone']);
  });

  it('deletes the more recently ready first, by log2 buckets', () => {
    assert.deepEqual(order([makePod('long').running().ready(4000).obj(), makePod('recent').running().ready(10).obj()]), ['recent', 'long']);
  });

  it('deletes pods with more restarts first', () => {
    assert.deepEqual(order([makePod('calm').running().restarts(0).obj(), makePod('flappy').running().restarts(7).obj()]), ['flappy', 'calm']);
  });

  it('deletes newer pods before older ones', () => {
    assert.deepEqual(order([makePod('old').running().created(86400).obj(), makePod('new').running().created(5).obj()]), ['new', 'old']);
  });

  it('podsToDelete takes the first `diff` of the ranking, or everything', () => {
    const pods = [makePod('r').running().ready(100).obj(), makePod('p').obj(), makePod('q').running().obj()];
    assert.deepEqual(podsToDelete(pods, [], 2, now).map((p) => p.metadata.name), ['p', 'q']);
    assert.equal(podsToDelete(pods, [], 5, now).length, 3);
  });

  it('is a consistent total order: ranking any permutation gives the same result', () => {
    const arbPod = fc.record({
      node: fc.constantFrom('', 'n1', 'n2'),
      phase: fc.constantFrom('Pending', 'Running', 'Unknown'),
      ready: fc.option(fc.integer({ min: 1, max: 100000 }), { nil: undefined }),
      restarts: fc.integer({ min: 0, max: 3 }),
      created: fc.integer({ min: 1, max: 100000 }),
    });
    fc.assert(
      fc.property(fc.array(arbPod, { minLength: 1, maxLength: 8 }), fc.integer(), (specs, seed) => {
        const pods = specs.map((s, i) => {
          const b = makePod(`p${i}`).phase(s.phase).restarts(s.restarts).created(s.created);
          if (s.node) b.node(s.node);
          if (s.ready !== undefined) b.ready(s.ready);
          return b.obj();
        });
        const shuffled = [...pods].sort((a, b) => ((a.metadata.name!.length * 31 + seed) % 7) - ((b.metadata.name!.length * 17 + seed) % 5));
        assert.deepEqual(order(shuffled), order(pods));
        // Unassigned pods always come before assigned ones.
        const ranked = rankPodsForDeletion(pods, [], now);
        const firstAssigned = ranked.findIndex((p) => p.spec?.nodeName);
        if (firstAssigned >= 0) assert.ok(ranked.slice(firstAssigned).every((p) => p.spec?.nodeName));
      }),
    );
  });
});
