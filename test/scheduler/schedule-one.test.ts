import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { defaultConfig, parseConfigObject } from '../../src/scheduler/config.js';
import { FitError } from '../../src/scheduler/framework/fiterror.js';
import { Framework } from '../../src/scheduler/framework/runtime.js';
import { Code, CycleState, status, success, type PluginFactory } from '../../src/scheduler/framework/types.js';
import { podInfoFrom } from '../../src/scheduler/plugins/podinfo-terms.js';
import { inTreeRegistry } from '../../src/scheduler/plugins/registry.js';
import { Algorithm, numFeasibleNodesToFind } from '../../src/scheduler/schedule-one.js';
import { snapshotOf } from '../../src/scheduler/snapshot.js';
import { makeNode, makePod } from './fixtures.js';

function defaultFramework(nominated: Record<string, Pod[]> = {}): Framework {
  return new Framework(defaultConfig().profiles[0]!, inTreeRegistry, { nominatedPodsFor: (n) => (nominated[n] ?? []).map(podInfoFrom) });
}

function run(pod: Pod, nodes: Node[], pods: Pod[] = [], fwk = defaultFramework(), algo = new Algorithm()) {
  const snap = snapshotOf(nodes, pods);
  fwk.setSnapshot(snap);
  return algo.schedulePod(fwk, new CycleState(), podInfoFrom(pod), snap);
}

describe('percentageOfNodesToScore', () => {
  it('follows upstream: all below 100 nodes, adaptive 50% - n/125 (min 5%), never below 100', () => {
    const cases: [number, number, number][] = [
      [0, 50, 50],
      [0, 100, 100],
      [0, 1000, 420],
      [0, 5000, 500],
      [0, 6000, 300],
      [0, 20000, 1000],
      [30, 1000, 300],
      [10, 500, 100],
      [100, 5000, 5000],
    ];
    for (const [pct, n, want] of cases) assert.equal(numFeasibleNodesToFind(pct, n), want, `${pct}% of ${n}`);
  });

  it('stops after enough feasible nodes and starts the next cycle where it stopped', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => makeNode(`n${String(i).padStart(3, '0')}`).capacity({ cpu: '1' }).obj());
    const algo = new Algorithm();
    const r1 = run(makePod('a').obj(), nodes, [], defaultFramework(), algo);
    assert.ok(!(r1 instanceof FitError));
    assert.equal(r1.feasibleNodes, 100);
    assert.equal(algo.nextStartNodeIndex, 100);
    run(makePod('b').obj(), nodes, [], defaultFramework(), algo);
    assert.equal(algo.nextStartNodeIndex, 0);
  });
});

describe('schedulePod', () => {
  const nodes = [
    makeNode('cp').capacity({ cpu: '8', memory: '8Gi' }).taint('node-role.kubernetes.io/control-plane', '', 'NoSchedule').obj(),
    makeNode('w1').capacity({ cpu: '1', memory: '2Gi' }).obj(),
    makeNode('w2').capacity({ cpu: '4', memory: '8Gi' }).obj(),
  ];

  it('picks the best scored feasible node', () => {
    const r = run(makePod('p').req({ cpu: '500m', memory: '512Mi' }).obj(), nodes);
    assert.ok(!(r instanceof FitError));
    assert.equal(r.node, 'w2', 'least allocated after placing the pod');
    assert.equal(r.feasibleNodes, 2);
  });

  it('returns a FitError with upstream message when nothing fits', () => {
    const r = run(makePod('big').req({ cpu: '6' }).obj(), nodes);
    assert.ok(r instanceof FitError);
    assert.equal(r.message, '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.');
    assert.deepEqual([...r.diagnosis.unschedulablePlugins].sort(), ['NodeResourcesFit', 'TaintToleration']);
  });

  it('nodes a PreFilter left out are counted in the message', () => {
    const pod = makePod('p').req({ cpu: '2' }).requiredTerm([], [{ key: 'metadata.name', operator: 'In', values: ['w1'] }]).obj();
    const r = run(pod, nodes);
    assert.ok(r instanceof FitError);
    assert.equal(r.message, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  });

  it('counts nominated pods of equal or higher priority on their node', () => {
    const lone = [makeNode('n1').capacity({ cpu: '1' }).obj(), makeNode('n2').capacity({ cpu: '1' }).obj()];
    const nominee = makePod('nominee').req({ cpu: '800m' }).priority(10).obj();
    const r = run(makePod('p').req({ cpu: '500m' }).priority(5).obj(), lone, [], defaultFramework({ n1: [nominee] }));
    assert.ok(!(r instanceof FitError));
    assert.equal(r.node, 'n2');
    const higher = run(makePod('p').req({ cpu: '500m' }).priority(50).obj(), [lone[0]!], [], defaultFramework({ n1: [nominee] }));
    assert.ok(!(higher instanceof FitError), 'a higher-priority pod may take the room');
  });

  it('tries the nominated node first', () => {
    const pod = { ...makePod('p').obj(), status: { nominatedNodeName: 'w1' } };
    const r = run(pod, nodes);
    assert.ok(!(r instanceof FitError));
    assert.equal(r.node, 'w1');
  });

  it('breaks ties uniformly at random', () => {
    const same = [makeNode('a').capacity({ cpu: '1' }).obj(), makeNode('b').capacity({ cpu: '1' }).obj(), makeNode('c').capacity({ cpu: '1' }).obj()];
    const pick = (r: number) => {
      const res = run(makePod('p').obj(), same, [], defaultFramework(), new Algorithm(0, () => r));
      return res instanceof FitError ? '' : res.node;
    };
    assert.equal(pick(0.99), 'a');
    assert.equal(pick(0), 'c');
    assert.equal(new Algorithm(0, () => 0.4).selectHost([5, 9, 9, 1]), 2);
  });
});

describe('framework runtime', () => {
  const calls: string[] = [];
  const registry = new Map<string, PluginFactory>([
    ...inTreeRegistry,
    ['SkipMe', () => ({ name: 'SkipMe', preFilter: () => ({ status: status(Code.Skip) }), filter: () => (calls.push('SkipMe.filter'), status(Code.Unschedulable, 'never')) })],
    ['Reject', () => ({ name: 'Reject', filter: () => status(Code.Unschedulable, 'nope') })],
    ['After', () => ({ name: 'After', filter: () => (calls.push('After.filter'), success) })],
    ['Boom', () => ({ name: 'Boom', filter: () => status(Code.Error, 'kaput') })],
    ['TooHigh', () => ({ name: 'TooHigh', score: () => ({ score: 101, status: success }) })],
  ]);
  const profile = (filters: string[], scores: string[] = []) =>
    parseConfigObject(
      {
        apiVersion: 'kubescheduler.config.k8s.io/v1',
        kind: 'KubeSchedulerConfiguration',
        profiles: [{ plugins: { multiPoint: { disabled: [{ name: '*' }], enabled: [{ name: 'PrioritySort' }, { name: 'DefaultBinder' }, ...filters.map((name) => ({ name })), ...scores.map((name) => ({ name }))] } } }],
      },
      registry,
    ).profiles[0]!;
  const nodes = [makeNode('n1').obj()];
  const fwkOf = (filters: string[], scores: string[] = []) => new Framework(profile(filters, scores), registry);

  it('a PreFilter Skip skips the plugin Filter; Filter stops at the first failure', () => {
    calls.length = 0;
    const r = run(makePod('p').obj(), nodes, [], fwkOf(['SkipMe', 'Reject', 'After']));
    assert.ok(r instanceof FitError);
    assert.deepEqual(calls, []);
    assert.equal(r.diagnosis.nodeToStatus.get('n1')!.plugin, 'Reject');
  });

  it('a Filter error fails the cycle; an out-of-range score too', () => {
    assert.throws(() => run(makePod('p').obj(), nodes, [], fwkOf(['Boom'])), /running "Boom" filter plugin: kaput/);
    const two = [makeNode('n1').obj(), makeNode('n2').obj()];
    assert.throws(() => run(makePod('p').obj(), two, [], fwkOf([], ['TooHigh'])), /invalid score 101/);
  });
});
