import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeSelectorRequirement } from 'kubernetes-types/core/v1.js';
import { Code } from '../../../src/scheduler/framework/types.js';
import { newNodeAffinity } from '../../../src/scheduler/plugins/nodeaffinity.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';
import { filterAll, handleOf, makeNode, makePod, passing, scoreAll } from '../fixtures.js';

const handle = handleOf(snapshotOf([]));
const nodes = [
  makeNode('n1').labels({ zone: 'a', disk: 'ssd', cores: '8' }).obj(),
  makeNode('n2').labels({ zone: 'b', disk: 'hdd', cores: '2' }).obj(),
  makeNode('n3').labels({ zone: 'c' }).obj(),
];
const expr = (key: string, operator: string, values?: string[]): NodeSelectorRequirement => ({ key, operator, ...(values ? { values } : {}) });

describe('NodeAffinity filter', () => {
  const cases: { name: string; pod: ReturnType<typeof makePod>; pass: string[] }[] = [
    { name: 'no constraints', pod: makePod('p'), pass: ['n1', 'n2', 'n3'] },
    { name: 'nodeSelector', pod: makePod('p').nodeSelector({ disk: 'ssd' }), pass: ['n1'] },
    { name: 'In', pod: makePod('p').requiredTerm([expr('zone', 'In', ['a', 'b'])]), pass: ['n1', 'n2'] },
    { name: 'NotIn (a missing label satisfies it)', pod: makePod('p').requiredTerm([expr('disk', 'NotIn', ['ssd'])]), pass: ['n2', 'n3'] },
    { name: 'Exists', pod: makePod('p').requiredTerm([expr('disk', 'Exists')]), pass: ['n1', 'n2'] },
    { name: 'DoesNotExist', pod: makePod('p').requiredTerm([expr('disk', 'DoesNotExist')]), pass: ['n3'] },
    { name: 'Gt', pod: makePod('p').requiredTerm([expr('cores', 'Gt', ['4'])]), pass: ['n1'] },
    { name: 'Lt', pod: makePod('p').requiredTerm([expr('cores', 'Lt', ['4'])]), pass: ['n2'] },
    { name: 'expressions of a term are ANDed', pod: makePod('p').requiredTerm([expr('zone', 'In', ['a', 'b']), expr('disk', 'In', ['hdd'])]), pass: ['n2'] },
    { name: 'terms are ORed', pod: makePod('p').requiredTerm([expr('zone', 'In', ['a'])]).requiredTerm([expr('zone', 'In', ['c'])]), pass: ['n1', 'n3'] },
    { name: 'nodeSelector AND affinity', pod: makePod('p').nodeSelector({ disk: 'hdd' }).requiredTerm([expr('zone', 'In', ['a', 'b'])]), pass: ['n2'] },
    { name: 'an empty term matches nothing', pod: makePod('p').requiredTerm(), pass: [] },
    { name: 'an invalid term (In without values) matches nothing', pod: makePod('p').requiredTerm([expr('zone', 'In', [])]), pass: [] },
    { name: 'matchFields on metadata.name', pod: makePod('p').requiredTerm([], [expr('metadata.name', 'In', ['n2'])]), pass: ['n2'] },
    { name: 'matchFields NotIn', pod: makePod('p').requiredTerm([], [expr('metadata.name', 'NotIn', ['n2'])]), pass: ['n1', 'n3'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(passing(newNodeAffinity(undefined, handle), c.pod.obj(), nodes), c.pass));
  }

  it('rejects with upstream reason, unresolvable', () => {
    const s = filterAll(newNodeAffinity(undefined, handle), makePod('p').nodeSelector({ disk: 'nvme' }).obj(), nodes).get('n1')!;
    assert.equal(s.code, Code.UnschedulableAndUnresolvable);
    assert.deepEqual(s.reasons, ["node(s) didn't match Pod's node affinity/selector"]);
  });

  it('PreFilter narrows to the nodes named by matchFields in every term', () => {
    const plugin = newNodeAffinity(undefined, handle) as unknown as { preFilter: (s: unknown, p: unknown) => { result?: { nodeNames?: Set<string> }; status: { code: Code; reasons: string[] } } };
    const podInfo = (p: ReturnType<typeof makePod>) => ({ pod: p.obj() });
    const state = { write() {} };
    const both = plugin.preFilter(state, podInfo(makePod('p').requiredTerm([], [expr('metadata.name', 'In', ['n1'])]).requiredTerm([], [expr('metadata.name', 'In', ['n3'])])));
    assert.deepEqual([...both.result!.nodeNames!].sort(), ['n1', 'n3']);
    const unnamed = plugin.preFilter(state, podInfo(makePod('p').requiredTerm([], [expr('metadata.name', 'In', ['n1'])]).requiredTerm([expr('zone', 'In', ['b'])])));
    assert.equal(unnamed.result, undefined);
    const conflict = plugin.preFilter(state, podInfo(makePod('p').requiredTerm([], [expr('metadata.name', 'In', ['n1']), expr('metadata.name', 'In', ['n2'])])));
    assert.equal(conflict.status.code, Code.UnschedulableAndUnresolvable);
    assert.deepEqual(conflict.status.reasons, ['pod affinity terms conflict']);
  });

  it('addedAffinity is enforced on every pod with its own reason', () => {
    const plugin = newNodeAffinity({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [expr('zone', 'In', ['b', 'c'])] }] } } }, handle);
    const s = filterAll(plugin, makePod('p').obj(), nodes);
    assert.deepEqual(s.get('n1')!.reasons, ["node(s) didn't match scheduler-enforced node affinity"]);
    assert.deepEqual(passing(plugin, makePod('p').obj(), nodes), ['n2', 'n3']);
  });
});

describe('NodeAffinity score', () => {
  it('sums the weights of matching preferred terms, normalised to 100', () => {
    const pod = makePod('p').preferredTerm(2, [expr('disk', 'In', ['ssd'])]).preferredTerm(8, [expr('zone', 'In', ['b'])]).obj();
    assert.deepEqual(Object.fromEntries(scoreAll(newNodeAffinity(undefined, handle), pod, nodes)!), { n1: 25, n2: 100, n3: 0 });
  });
  it('a pod without preferences is not scored (Skip)', () => {
    assert.equal(scoreAll(newNodeAffinity(undefined, handle), makePod('p').obj(), nodes), undefined);
  });
});
