import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../../src/scheduler/framework/types.js';
import { newNodeResourcesFit } from '../../../src/scheduler/plugins/noderesourcesfit.js';
import { filterAll, handleOf, makeNode, makePod, scoreAll } from '../fixtures.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';

const handle = handleOf(snapshotOf([]));
const node = makeNode('n1').capacity({ cpu: '1', memory: '2Gi', pods: '3', 'ephemeral-storage': '10Gi', 'example.com/foo': '1' }).obj();
const existing = makePod('existing').req({ cpu: '500m', memory: '1Gi' }).node('n1').obj();

describe('NodeResourcesFit filter', () => {
  const cases: { name: string; pod: ReturnType<ReturnType<typeof makePod>['obj']>; pods?: ReturnType<ReturnType<typeof makePod>['obj']>[]; args?: Record<string, unknown>; reasons: string[] }[] = [
    { name: 'fits exactly what is left', pod: makePod('p').req({ cpu: '500m', memory: '1Gi' }).obj(), reasons: [] },
    { name: 'one resource short', pod: makePod('p').req({ cpu: '600m' }).obj(), reasons: ['Insufficient cpu'] },
    { name: 'every short resource is a reason', pod: makePod('p').req({ cpu: '600m', memory: '1536Mi' }).obj(), reasons: ['Insufficient cpu', 'Insufficient memory'] },
    { name: 'containers are summed', pod: makePod('p').req({ cpu: '300m' }).req({ cpu: '300m' }).obj(), reasons: ['Insufficient cpu'] },
    { name: 'the largest init container counts when larger than the containers', pod: makePod('p').req({ cpu: '200m' }).initReq({ cpu: '800m' }).obj(), reasons: ['Insufficient cpu'] },
    { name: 'init containers run before the containers, so they are not summed with them', pod: makePod('p').req({ cpu: '300m' }).initReq({ cpu: '300m' }).obj(), reasons: [] },
    { name: 'a sidecar (restartable init container) adds to the containers', pod: makePod('p').req({ cpu: '300m' }).initReq({ cpu: '300m' }, true).obj(), reasons: ['Insufficient cpu'] },
    { name: 'pod overhead is added', pod: makePod('p').req({ cpu: '400m' }).overhead({ cpu: '200m' }).obj(), reasons: ['Insufficient cpu'] },
    { name: 'ephemeral-storage', pod: makePod('p').req({ 'ephemeral-storage': '11Gi' }).obj(), reasons: ['Insufficient ephemeral-storage'] },
    { name: 'extended resource', pod: makePod('p').req({ 'example.com/foo': '2' }).obj(), reasons: ['Insufficient example.com/foo'] },
    { name: 'extended resource the node lacks', pod: makePod('p').req({ 'other.io/bar': '1' }).obj(), reasons: ['Insufficient other.io/bar'] },
    { name: 'ignoredResources', pod: makePod('p').req({ 'example.com/foo': '2' }).obj(), args: { ignoredResources: ['example.com/foo'] }, reasons: [] },
    { name: 'ignoredResourceGroups', pod: makePod('p').req({ 'example.com/foo': '2' }).obj(), args: { ignoredResourceGroups: ['example.com'] }, reasons: [] },
    {
      name: 'too many pods, even for a pod that requests nothing',
      pod: makePod('p').obj(),
      pods: [existing, makePod('e2').node('n1').obj(), makePod('e3').node('n1').obj()],
      reasons: ['Too many pods'],
    },
    { name: 'terminal-free node with room: a pod with no requests fits', pod: makePod('p').obj(), reasons: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plugin = newNodeResourcesFit(c.args, handle);
      const s = filterAll(plugin, c.pod, [node], c.pods ?? [existing]).get('n1')!;
      assert.deepEqual(s.reasons, c.reasons);
      assert.equal(s.code, c.reasons.length ? Code.Unschedulable : Code.Success);
    });
  }
});

describe('NodeResourcesFit scoring strategies', () => {
  const n1 = makeNode('n1').capacity({ cpu: '4', memory: '10000' }).obj();
  const n2 = makeNode('n2').capacity({ cpu: '6', memory: '10000' }).obj();
  const pod = makePod('p').req({ cpu: '3', memory: '5000' }).obj();
  const score = (args?: Record<string, unknown>) => Object.fromEntries(scoreAll(newNodeResourcesFit(args, handle), pod, [n1, n2])!);

  it('LeastAllocated (default) favours free room: mean of (free * 100 / allocatable)', () => {
    assert.deepEqual(score(), { n1: 37, n2: 50 });
  });
  it('MostAllocated favours packed nodes', () => {
    assert.deepEqual(score({ scoringStrategy: { type: 'MostAllocated' } }), { n1: 62, n2: 50 });
  });
  it('RequestedToCapacityRatio follows the shape (scores 0-10 scaled by 10, mean rounded)', () => {
    const shape = (s: { utilization: number; score: number }[]) => ({ scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: s } } });
    assert.deepEqual(score(shape([{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }])), { n1: 38, n2: 50 });
    assert.deepEqual(score(shape([{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }])), { n1: 63, n2: 50 });
  });
  it('resource weights weigh the mean', () => {
    const args = { scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } };
    // n1: (25*3 + 50) / 4 = 31; n2: 50.
    assert.deepEqual(score(args), { n1: 31, n2: 50 });
  });
  it('uses non-zero defaults (100m, 200Mi) for containers without requests', () => {
    const n = makeNode('n').capacity({ cpu: '1', memory: '1Gi' }).obj();
    const s = scoreAll(newNodeResourcesFit(undefined, handle), makePod('p').obj(), [n])!;
    // cpu (1000-100)*100/1000 = 90, memory (1Gi-200Mi)*100/1Gi = 80 → 85
    assert.equal(s.get('n'), 85);
  });
  it('rejects bad args naming the field', () => {
    assert.throws(() => newNodeResourcesFit({ scoringStrategy: { type: 'Packed' } }, handle), /scoringStrategy\.type: Unsupported value: "Packed"/);
    assert.throws(() => newNodeResourcesFit({ scoringStrategy: { resources: [{ name: 'cpu', weight: 101 }] } }, handle), /scoringStrategy\.resources\[0\]\.weight/);
    assert.throws(() => newNodeResourcesFit({ scoringStrategy: { type: 'RequestedToCapacityRatio' } }, handle), /requestedToCapacityRatio\.shape: Required value/);
  });
});
