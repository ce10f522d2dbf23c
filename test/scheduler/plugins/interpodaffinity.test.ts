import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Code, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../../src/scheduler/framework/types.js';
import {
  interPodAffinity,
  errReasonAffinityRulesNotMatch,
  errReasonAntiAffinityRulesNotMatch,
  errReasonExistingAntiAffinityRulesNotMatch,
} from '../../../src/scheduler/plugins/interpodaffinity.js';
import { podInfoFrom } from '../../../src/scheduler/plugins/podinfo-terms.js';
import { fakeHandle, makeNode, makePod, nodeInfo, runFilters, runScore, type FakeWorld } from './fixtures.js';

type Full = PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

function plugin(world: FakeWorld, args?: Record<string, unknown>): Full {
  return interPodAffinity(args, fakeHandle(world).handle) as Full;
}

function filter(world: FakeWorld, pod: Pod) {
  return runFilters([plugin(world)], podInfoFrom(pod), world.nodes);
}

const app = (name: string, a: string) => makePod(name).labels({ app: a }).obj();

test('required anti-affinity by hostname keeps replicas apart', () => {
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('n1').obj(), [app('w1', 'web')]), nodeInfo(makeNode('n2').obj()), nodeInfo(makeNode('n3').obj(), [app('d1', 'db')])] };
  const r = filter(world, makePod('p').labels({ app: 'web' }).podAffinity('anti', { matchLabels: { app: 'web' }, topologyKey: host }).obj());
  assert.deepEqual(r.feasible, ['n2', 'n3']);
  assert.deepEqual(r.failed.get('n1'), { code: Code.Unschedulable, reasons: [errReasonAntiAffinityRulesNotMatch] });
});

test('required affinity by zone: only zones holding a matching pod, and the key must exist', () => {
  const world: FakeWorld = {
    nodes: [
      nodeInfo(makeNode('a1').zone('a').obj(), [app('d1', 'db')]),
      nodeInfo(makeNode('a2').zone('a').obj()),
      nodeInfo(makeNode('b1').zone('b').obj()),
      nodeInfo(makeNode('x1').obj()),
    ],
  };
  const r = filter(world, makePod('p').labels({ app: 'web' }).podAffinity('affinity', { matchLabels: { app: 'db' }, topologyKey: zone }).obj());
  assert.deepEqual(r.feasible, ['a1', 'a2']);
  assert.deepEqual(r.failed.get('b1'), { code: Code.UnschedulableAndUnresolvable, reasons: [errReasonAffinityRulesNotMatch] });
  assert.equal(r.failed.get('x1')?.code, Code.UnschedulableAndUnresolvable);
});

test('the first pod of a self-affine group may go to any node with the key', () => {
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('a1').zone('a').obj(), [app('o', 'other')]), nodeInfo(makeNode('b1').zone('b').obj()), nodeInfo(makeNode('x1').obj())] };
  const self = makePod('p').labels({ app: 'web' }).podAffinity('affinity', { matchLabels: { app: 'web' }, topologyKey: zone }).obj();
  assert.deepEqual(filter(world, self).feasible, ['a1', 'b1']);
  // A pod not matching its own term gets no such exception.
  const notSelf = makePod('p').labels({ app: 'api' }).podAffinity('affinity', { matchLabels: { app: 'web' }, topologyKey: zone }).obj();
  assert.deepEqual(filter(world, notSelf).feasible, []);
});

test('existing pods\' anti-affinity rejects the incoming pod in their topology', () => {
  const guard = makePod('g').labels({ app: 'guard' }).podAffinity('anti', { matchLabels: { app: 'web' }, topologyKey: zone }).obj();
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('a1').zone('a').obj(), [guard]), nodeInfo(makeNode('a2').zone('a').obj()), nodeInfo(makeNode('b1').zone('b').obj())] };
  const r = filter(world, app('p', 'web'));
  assert.deepEqual(r.feasible, ['b1']);
  assert.deepEqual(r.failed.get('a2'), { code: Code.Unschedulable, reasons: [errReasonExistingAntiAffinityRulesNotMatch] });
  // A pod the guard does not select is not affected, and the plugin skips for it.
  const other = filter(world, app('q', 'api'));
  assert.deepEqual(other.feasible, ['a1', 'a2', 'b1']);
  assert.ok(other.state.skipFilter.has('InterPodAffinity'));
});

test('namespaces and namespaceSelector decide which pods a term sees', () => {
  const world: FakeWorld = {
    nodes: [nodeInfo(makeNode('n1').obj(), [makePod('w1').namespace('team-a').labels({ app: 'web' }).obj()]), nodeInfo(makeNode('n2').obj(), [makePod('w2').namespace('team-b').labels({ app: 'web' }).obj()])],
    namespaces: { default: {}, 'team-a': { team: 'a' }, 'team-b': { team: 'b' } },
  };
  const anti = (t: { namespaces?: string[]; namespaceSelector?: object }) =>
    filter(world, makePod('p').podAffinity('anti', { matchLabels: { app: 'web' }, topologyKey: host, ...t }).obj()).feasible;
  assert.deepEqual(anti({}), ['n1', 'n2'], 'own namespace only');
  assert.deepEqual(anti({ namespaces: ['team-a'] }), ['n2']);
  assert.deepEqual(anti({ namespaceSelector: { matchLabels: { team: 'b' } } }), ['n1']);
  assert.deepEqual(anti({ namespaceSelector: {} }), [], 'empty selector: every namespace');
});

test('addPod/removePod change a cloned state only', () => {
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('n1').obj(), [app('w1', 'web')]), nodeInfo(makeNode('n2').obj())] };
  const pl = plugin(world);
  const pi = podInfoFrom(makePod('p').podAffinity('anti', { matchLabels: { app: 'web' }, topologyKey: host }).obj());
  const { state } = runFilters([pl], pi, world.nodes);
  const [n1, n2] = world.nodes as [ReturnType<typeof nodeInfo>, ReturnType<typeof nodeInfo>];
  const copy = state.clone();
  pl.removePod!(copy, pi, n1.pods[0]!, n1);
  pl.addPod!(copy, pi, podInfoFrom(app('w2', 'web')), n2);
  assert.equal(pl.filter(copy, pi, n1).code, Code.Success);
  assert.equal(pl.filter(copy, pi, n2).code, Code.Unschedulable);
  assert.equal(pl.filter(state, pi, n1).code, Code.Unschedulable);
  assert.equal(pl.filter(state, pi, n2).code, Code.Success);
});

test('preferred terms score by weight over the topology, normalized to 0..100', () => {
  const world: FakeWorld = {
    nodes: [nodeInfo(makeNode('a1').zone('a').obj(), [app('d1', 'db')]), nodeInfo(makeNode('a2').zone('a').obj()), nodeInfo(makeNode('b1').zone('b').obj(), [app('c1', 'cache')])],
  };
  const pod = makePod('p').podAffinity('affinity', { matchLabels: { app: 'db' }, topologyKey: zone }, 10).podAffinity('anti', { matchLabels: { app: 'cache' }, topologyKey: zone }, 5).obj();
  // raw: zone a +10, zone b -5.
  assert.deepEqual(runScore(plugin(world), podInfoFrom(pod), world.nodes), { a1: 100, a2: 100, b1: 0 });
  const only = makePod('p').podAffinity('affinity', { matchLabels: { app: 'db' }, topologyKey: host }, 30).podAffinity('affinity', { matchLabels: { app: 'cache' }, topologyKey: host }, 10).obj();
  // raw 30, 0, 10 → (s - 0) / 30.
  assert.deepEqual(runScore(plugin(world), podInfoFrom(only), world.nodes), { a1: 100, a2: 0, b1: 33 });
});

test('existing pods\' terms: hardPodAffinityWeight for required affinity, weights for preferred', () => {
  const hard = makePod('h').labels({ app: 'h' }).podAffinity('affinity', { matchLabels: { app: 'web' }, topologyKey: host }).obj();
  const pref = makePod('s').labels({ app: 's' }).podAffinity('anti', { matchLabels: { app: 'web' }, topologyKey: host }, 50).obj();
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('n1').obj(), [hard]), nodeInfo(makeNode('n2').obj()), nodeInfo(makeNode('n3').obj(), [pref])] };
  const pi = podInfoFrom(app('p', 'web'));
  // raw: n1 +1 (hard weight), n2 0, n3 -50 → (s + 50) / 51.
  assert.deepEqual(runScore(plugin(world), pi, world.nodes), { n1: 100, n2: 98, n3: 0 });
  assert.deepEqual(runScore(plugin(world, { hardPodAffinityWeight: 0 }), pi, world.nodes), { n1: 100, n2: 100, n3: 0 });
  assert.equal(runScore(plugin(world, { ignorePreferredTermsOfExistingPods: true }), pi, world.nodes), undefined);
  assert.equal(runScore(plugin({ nodes: [nodeInfo(makeNode('n1').obj())] }), pi, world.nodes), undefined, 'nothing to score: skip');
  assert.throws(() => plugin(world, { hardPodAffinityWeight: 101 }), /not in valid range/);
});
