import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { Code, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../../src/scheduler/framework/types.js';
import { podTopologySpread, errReasonConstraintsNotMatch, errReasonNodeLabelNotMatch } from '../../../src/scheduler/plugins/podtopologyspread.js';
import { podInfoFrom } from '../../../src/scheduler/plugins/podinfo-terms.js';
import { fakeHandle, makeNode, makePod, nodeInfo, runFilters, runScore, type FakeWorld } from './fixtures.js';

const web = (name: string, extra: Record<string, string> = {}) => makePod(name).labels({ app: 'web', ...extra }).obj();
const zone = 'topology.kubernetes.io/zone';
const host = 'kubernetes.io/hostname';

function plugin(world: FakeWorld, args?: Record<string, unknown>) {
  const { handle } = fakeHandle(world);
  return podTopologySpread(args, handle) as PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin;
}

function feasible(world: FakeWorld, pod: Pod, args?: Record<string, unknown>) {
  return runFilters([plugin(world, args)], podInfoFrom(pod), world.nodes);
}

/** zone a: 2 web pods, zone b: 1, zone c: 0 (plus optional extra nodes). */
function threeZones(): FakeWorld {
  return {
    nodes: [
      nodeInfo(makeNode('a1').zone('a').obj(), [web('w1'), web('w2')]),
      nodeInfo(makeNode('b1').zone('b').obj(), [web('w3')]),
      nodeInfo(makeNode('c1').zone('c').obj()),
    ],
  };
}

test('zone spread with maxSkew 1 over three zones admits only the emptiest zone', () => {
  const r = feasible(threeZones(), makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, matchLabels: { app: 'web' } }).obj());
  assert.deepEqual(r.feasible, ['c1']);
  assert.deepEqual(r.failed.get('a1'), { code: Code.Unschedulable, reasons: [errReasonConstraintsNotMatch] });
  // maxSkew 2: zone b (1 + 1 - 0 = 2) now fits, zone a (2 + 1 - 0 = 3) still does not.
  const r2 = feasible(threeZones(), makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, maxSkew: 2, matchLabels: { app: 'web' } }).obj());
  assert.deepEqual(r2.feasible, ['b1', 'c1']);
});

test('a pod that does not match its own selector adds nothing to the skew', () => {
  const r = feasible(threeZones(), makePod('p').labels({ app: 'other' }).spread({ topologyKey: zone, maxSkew: 2, matchLabels: { app: 'web' } }).obj());
  assert.deepEqual(r.feasible, ['a1', 'b1', 'c1']);
});

test('a node without the topology key is unresolvable', () => {
  const world = threeZones();
  world.nodes.push(nodeInfo(makeNode('x1').obj()));
  const r = feasible(world, makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, matchLabels: { app: 'web' } }).obj());
  assert.deepEqual(r.failed.get('x1'), { code: Code.UnschedulableAndUnresolvable, reasons: [errReasonNodeLabelNotMatch] });
});

test('hostname spread, other namespaces and terminating pods are not counted', () => {
  const world: FakeWorld = {
    nodes: [
      nodeInfo(makeNode('n1').obj(), [web('w1')]),
      nodeInfo(makeNode('n2').obj(), [makePod('o').namespace('other').labels({ app: 'web' }).obj(), makePod('t').labels({ app: 'web' }).terminating().obj()]),
      nodeInfo(makeNode('n3').obj()),
    ],
  };
  const r = feasible(world, makePod('p').labels({ app: 'web' }).spread({ topologyKey: host, matchLabels: { app: 'web' } }).obj());
  assert.deepEqual(r.feasible, ['n2', 'n3']);
});

test('minDomains: fewer domains than minDomains make the global minimum 0', () => {
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('a1').zone('a').obj(), [web('w1')]), nodeInfo(makeNode('b1').zone('b').obj(), [web('w2')])] };
  const pod = (minDomains?: number) => makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, matchLabels: { app: 'web' }, minDomains }).obj();
  assert.deepEqual(feasible(world, pod()).feasible, ['a1', 'b1']);
  assert.deepEqual(feasible(world, pod(2)).feasible, ['a1', 'b1']);
  assert.deepEqual(feasible(world, pod(3)).feasible, []);
});

test('node inclusion policies: affinity honoured and taints ignored by default', () => {
  const world: FakeWorld = {
    nodes: [
      nodeInfo(makeNode('a1').zone('a').labels({ pool: 'main' }).obj(), [web('w1')]),
      nodeInfo(makeNode('b1').zone('b').labels({ pool: 'main' }).obj(), [web('w2')]),
      nodeInfo(makeNode('c1').zone('c').taint({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }).obj()),
    ],
  };
  const base = () => makePod('p').labels({ app: 'web' });
  const cases: { name: string; pod: Pod; want: string[] }[] = [
    // Zone c fails the pod's nodeSelector, so it is no domain: min is 1 and a/b fit.
    { name: 'affinity Honor', pod: base().nodeSelector({ pool: 'main' }).spread({ topologyKey: zone, matchLabels: { app: 'web' } }).obj(), want: ['a1', 'b1', 'c1'] },
    { name: 'affinity Ignore', pod: base().nodeSelector({ pool: 'main' }).spread({ topologyKey: zone, matchLabels: { app: 'web' }, nodeAffinityPolicy: 'Ignore' }).obj(), want: ['c1'] },
    { name: 'taints Ignore (default)', pod: base().spread({ topologyKey: zone, matchLabels: { app: 'web' } }).obj(), want: ['c1'] },
    { name: 'taints Honor', pod: base().spread({ topologyKey: zone, matchLabels: { app: 'web' }, nodeTaintsPolicy: 'Honor' }).obj(), want: ['a1', 'b1', 'c1'] },
  ];
  for (const c of cases) assert.deepEqual(feasible(world, c.pod).feasible, c.want, c.name);
});

test('matchLabelKeys narrow the selector to pods sharing the incoming pod\'s values', () => {
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('n1').obj(), [web('w1', { hash: 'old' }), web('w2', { hash: 'old' })]), nodeInfo(makeNode('n2').obj())] };
  const pod = (keys?: string[]) => makePod('p').labels({ app: 'web', hash: 'new' }).spread({ topologyKey: host, matchLabels: { app: 'web' }, matchLabelKeys: keys }).obj();
  assert.deepEqual(feasible(world, pod()).feasible, ['n2']);
  assert.deepEqual(feasible(world, pod(['hash'])).feasible, ['n1', 'n2']);
});

test('addPod/removePod update a cloned state without touching the original', () => {
  const world = threeZones();
  const pl = plugin(world);
  const pi = podInfoFrom(makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, matchLabels: { app: 'web' } }).obj());
  const { state } = runFilters([pl], pi, world.nodes);
  const [a1, b1] = world.nodes as [ReturnType<typeof nodeInfo>, ReturnType<typeof nodeInfo>];
  const copy = state.clone();
  // Zone a down to 0 matching pods: a1 fits (0 + 1 - 0).
  pl.removePod!(copy, pi, a1.pods[0]!, a1);
  pl.removePod!(copy, pi, a1.pods[1]!, a1);
  assert.equal(pl.filter(copy, pi, a1).code, Code.Success);
  assert.equal(pl.filter(state, pi, a1).code, Code.Unschedulable);
  // A pod in zone c raises the minimum to 1: b1 (1 + 1 - 1) fits in the copy.
  const copy2 = state.clone();
  pl.addPod!(copy2, pi, podInfoFrom(web('w9')), world.nodes[2]!);
  assert.equal(pl.filter(copy2, pi, b1).code, Code.Success);
  assert.equal(pl.filter(state, pi, b1).code, Code.Unschedulable);
});

test('ScheduleAnyway scores: fewer matching pods in the zone score higher', () => {
  const world = threeZones();
  const pod = makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, matchLabels: { app: 'web' }, whenUnsatisfiable: 'ScheduleAnyway' }).obj();
  // weight ln(3 + 2); raw scores round(2w)=3, round(w)=2, 0; normalized 100 * (max + min - s) / max.
  assert.deepEqual(runScore(plugin(world), podInfoFrom(pod), world.nodes), { a1: 0, b1: 33, c1: 100 });
  // The filter skips: no DoNotSchedule constraint.
  const r = runFilters([plugin(world)], podInfoFrom(pod), world.nodes);
  assert.ok(r.state.skipFilter.has('PodTopologySpread'));
});

test('explicit constraints ignore nodes missing a key when scoring', () => {
  const world = threeZones();
  world.nodes.push(nodeInfo(makeNode('x1').obj()));
  const pod = makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, matchLabels: { app: 'web' }, whenUnsatisfiable: 'ScheduleAnyway' }).obj();
  assert.deepEqual(runScore(plugin(world), podInfoFrom(pod), world.nodes), { a1: 0, b1: 33, c1: 100, x1: 0 });
});

const webService: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };

test('system default constraints spread by hostname and zone, zone-less nodes included', () => {
  const world: FakeWorld = {
    nodes: [nodeInfo(makeNode('n1').zone('a').obj(), [web('w1')]), nodeInfo(makeNode('n2').zone('a').obj()), nodeInfo(makeNode('n3').obj())],
    services: [webService, { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { app: 'db' } } }],
  };
  const pi = podInfoFrom(makePod('p').labels({ app: 'web' }).obj());
  // hostname: cnt * ln(3 + 2) + 2; zone: cnt * ln(2 + 2) + 4 → raw 9, 7, 2 → 22, 44, 100.
  assert.deepEqual(runScore(plugin(world), pi, world.nodes), { n1: 22, n2: 44, n3: 100 });
  // Defaults are ScheduleAnyway: the filter has nothing to do.
  assert.ok(runFilters([plugin(world)], pi, world.nodes).state.skipFilter.has('PodTopologySpread'));
  // No Service or owner selects the pod: no default constraints.
  assert.equal(runScore(plugin({ ...world, services: [] }), pi, world.nodes), undefined);
  // The owner's selector alone is enough.
  assert.deepEqual(runScore(plugin({ ...world, services: [], owner: { matchLabels: { app: 'web' } } }), pi, world.nodes), { n1: 22, n2: 44, n3: 100 });
});

test('List defaulting: DoNotSchedule defaults filter pods without constraints of their own', () => {
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('n1').obj(), [web('w1')]), nodeInfo(makeNode('n2').obj())], services: [webService] };
  const args = { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: host, whenUnsatisfiable: 'DoNotSchedule' }] };
  assert.deepEqual(feasible(world, makePod('p').labels({ app: 'web' }).obj(), args).feasible, ['n2']);
  // Any constraint of the pod's own (even a ScheduleAnyway one) replaces the defaults.
  const own = makePod('p').labels({ app: 'web' }).spread({ topologyKey: zone, whenUnsatisfiable: 'ScheduleAnyway', matchLabels: { app: 'web' } }).obj();
  assert.deepEqual(feasible(world, own, args).feasible, ['n1', 'n2']);
});

test('args are validated as upstream does', () => {
  const { handle } = fakeHandle({ nodes: [] });
  const c = { maxSkew: 1, topologyKey: host, whenUnsatisfiable: 'DoNotSchedule' };
  assert.throws(() => podTopologySpread({ defaultConstraints: [c] }, handle), /must be empty/);
  assert.throws(() => podTopologySpread({ defaultingType: 'List', defaultConstraints: [{ ...c, labelSelector: {} }] }, handle), /must not define a selector/);
  assert.throws(() => podTopologySpread({ defaultingType: 'List', defaultConstraints: [c, c] }, handle), /Duplicate/);
  assert.doesNotThrow(() => podTopologySpread({ defaultingType: 'List', defaultConstraints: [c] }, handle));
});

test('registers the pod and node events that can make a rejected pod fit', () => {
  const pl = plugin({ nodes: [] }) as unknown as { eventsToRegister(): string[] };
  assert.deepEqual(new Set(pl.eventsToRegister()), new Set(['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate', 'NodeDelete']));
});
