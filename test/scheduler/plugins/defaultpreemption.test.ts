import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { Code, status, type NodeToStatus, type Plugin } from '../../../src/scheduler/framework/types.js';
import { newDefaultPreemption, preemptionMessage, fitErrorMessage } from '../../../src/scheduler/plugins/defaultpreemption.js';
import { interPodAffinity } from '../../../src/scheduler/plugins/interpodaffinity.js';
import { podInfoFrom } from '../../../src/scheduler/plugins/podinfo-terms.js';
import { fakeHandle, fitFilter, makeNode, makePod, nodeInfo, runFilters, type FakeWorld } from './fixtures.js';

const cpu = (name: string, prio: number, n: string) => makePod(name).priority(prio).req({ cpu: n });
const preemptor = (prio: number, n: string) => cpu('p', prio, n).obj();

/** Runs one cycle (filters), then DefaultPreemption; `failed` overrides the filter statuses. */
async function preempt(world: FakeWorld, pod: Pod, opts: { withAffinity?: boolean; failed?: NodeToStatus } = {}) {
  const fake = fakeHandle(world);
  const plugins: Plugin[] = [fitFilter];
  if (opts.withAffinity) plugins.push(interPodAffinity(undefined, fake.handle));
  fake.plugins.push(...plugins);
  const pi = podInfoFrom(pod);
  const cycle = runFilters(plugins, pi, world.nodes);
  const pl = newDefaultPreemption({}, fake.handle, { random: () => 0, now: () => Date.parse('2025-01-01T00:00:00Z') });
  const out = await pl.postFilter(cycle.state, pi, opts.failed ?? cycle.failed);
  return { ...fake, out, cycle };
}

/** n1: two low pods (prio 1 and 2); n2: one mid pod (prio 5); n3: one pod above the preemptor. */
function crowded(): FakeWorld {
  return {
    nodes: [
      nodeInfo(makeNode('n1').obj(), [cpu('l1', 1, '2').obj(), cpu('l2', 2, '2').obj()]),
      nodeInfo(makeNode('n2').obj(), [cpu('m1', 5, '4').obj()]),
      nodeInfo(makeNode('n3').obj(), [cpu('h1', 100, '4').obj()]),
    ],
  };
}

test('preempts on the node with the lowest-priority victims and reprieves what it can', async () => {
  const r = await preempt(crowded(), preemptor(10, '2'));
  assert.deepEqual(r.out, { result: { nominatedNodeName: 'n1' }, status: { code: Code.Success, reasons: [] } });
  // l2 (prio 2) is reprieved: the pod fits once l1 alone is gone.
  assert.deepEqual(r.deleted, [{ name: 'l1', reason: 'PreemptionByScheduler' }]);
  assert.deepEqual(r.events, [{ name: 'l1', reason: 'Preempted', message: 'Preempted by pod uid-p on node n1' }]);
  assert.deepEqual(r.nominations, [{ name: 'p', node: 'n1' }]);
});

test('evicts both low pods when the pod needs the whole node', async () => {
  const r = await preempt(crowded(), preemptor(10, '4'));
  assert.equal(r.out.result?.nominatedNodeName, 'n1');
  assert.deepEqual(r.deleted.map((d) => d.name).sort(), ['l1', 'l2']);
});

test('failure messages are upstream\'s', async () => {
  const never = await preempt(crowded(), cpu('p', 10, '2').preemptionPolicy('Never').obj());
  assert.deepEqual(never.out, { status: { code: Code.Unschedulable, reasons: ['preemption: not eligible due to preemptionPolicy=Never.'] } });
  assert.deepEqual(never.deleted, []);

  const unresolvable: NodeToStatus = new Map(['n1', 'n2', 'n3'].map((n) => [n, status(Code.UnschedulableAndUnresolvable, "node(s) didn't match Pod's node affinity/selector")]));
  const hopeless = await preempt(crowded(), cpu('p', 10, '2').nominated('n2').obj(), { failed: unresolvable });
  assert.deepEqual(hopeless.out, {
    result: { nominatedNodeName: '' },
    status: { code: Code.Unschedulable, reasons: ['preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'] },
  });
  assert.deepEqual(hopeless.nominations, [{ name: 'p', node: '' }], 'a stale nomination is cleared');

  const none = await preempt(crowded(), preemptor(0, '2'));
  assert.deepEqual(none.out.status.reasons, ['preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.']);

  // n1 is too small even when empty, n2 has no lower-priority pod, n3 cannot be helped.
  const mixed: FakeWorld = {
    nodes: [
      nodeInfo(makeNode('n1').allocatable({ cpu: '1' }).obj(), [cpu('l1', 1, '1').obj()]),
      nodeInfo(makeNode('n2').obj(), [cpu('h1', 100, '4').obj()]),
      nodeInfo(makeNode('n3').obj()),
    ],
  };
  const failed: NodeToStatus = new Map([
    ['n1', status(Code.Unschedulable, 'Insufficient cpu')],
    ['n2', status(Code.Unschedulable, 'Insufficient cpu')],
  ]);
  const m = await preempt(mixed, preemptor(10, '2'), { failed });
  assert.deepEqual(m.out.status.reasons, ['preemption: 0/3 nodes are available: 1 Insufficient cpu, 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.']);
});

test('node choice follows upstream\'s criteria in order', async () => {
  const pdb: PodDisruptionBudget = { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { guarded: 'yes' } } }, status: { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 } };
  const cases: { name: string; world: FakeWorld; want: string }[] = [
    {
      name: 'fewest PDB violations beats lower priority',
      world: { nodes: [nodeInfo(makeNode('n1').obj(), [cpu('a', 1, '4').labels({ guarded: 'yes' }).obj()]), nodeInfo(makeNode('n2').obj(), [cpu('b', 5, '4').obj()])], pdbs: [pdb] },
      want: 'n2',
    },
    {
      name: 'smallest sum of priorities',
      world: { nodes: [nodeInfo(makeNode('n1').obj(), [cpu('a', 3, '2').obj(), cpu('b', 3, '2').obj()]), nodeInfo(makeNode('n2').obj(), [cpu('c', 3, '4').obj()])] },
      want: 'n2',
    },
    {
      name: 'negative priorities do not favour more victims',
      world: { nodes: [nodeInfo(makeNode('n1').obj(), [cpu('a', -5, '2').obj(), cpu('b', -5, '2').obj()]), nodeInfo(makeNode('n2').obj(), [cpu('c', -5, '4').obj()])] },
      want: 'n2',
    },
    {
      name: 'latest start time of the highest-priority victims',
      world: {
        nodes: [
          nodeInfo(makeNode('n1').obj(), [cpu('a', 3, '4').startTime('2024-06-01T00:00:00Z').obj()]),
          nodeInfo(makeNode('n2').obj(), [cpu('b', 3, '4').startTime('2024-01-01T00:00:00Z').obj()]),
        ],
      },
      want: 'n1',
    },
  ];
  for (const c of cases) {
    const r = await preempt(c.world, preemptor(10, '4'));
    assert.equal(r.out.result?.nominatedNodeName, c.want, c.name);
  }
});

test('nominated pods of higher priority hold their room; lower ones lose their nomination', async () => {
  const world: FakeWorld = {
    nodes: [nodeInfo(makeNode('n1').obj(), [cpu('l1', 1, '2').obj()]), nodeInfo(makeNode('n2').obj(), [cpu('l2', 1, '4').obj()])],
    nominated: { n1: [cpu('q', 20, '2').nominated('n1').obj()], n2: [cpu('r', 5, '1').nominated('n2').obj()] },
  };
  const failed: NodeToStatus = new Map(['n1', 'n2'].map((n) => [n, status(Code.Unschedulable, 'Insufficient cpu')]));
  const r = await preempt(world, preemptor(10, '4'), { failed });
  assert.equal(r.out.result?.nominatedNodeName, 'n2');
  assert.deepEqual(r.deleted.map((d) => d.name), ['l2']);
  assert.deepEqual(r.nominations, [{ name: 'r', node: '' }, { name: 'p', node: 'n2' }]);
});

test('removing a victim updates other plugins\' state (anti-affinity)', async () => {
  const world: FakeWorld = {
    nodes: [nodeInfo(makeNode('n1').obj(), [cpu('w', 1, '1').labels({ app: 'web' }).obj(), cpu('keep', 1, '1').obj()]), nodeInfo(makeNode('n2').obj(), [cpu('h', 100, '4').obj()])],
  };
  const pod = cpu('p', 10, '1').podAffinity('anti', { matchLabels: { app: 'web' }, topologyKey: 'kubernetes.io/hostname' }).obj();
  const r = await preempt(world, pod, { withAffinity: true });
  assert.equal(r.cycle.failed.get('n1')?.reasons[0], "node(s) didn't match pod anti-affinity rules");
  assert.equal(r.out.result?.nominatedNodeName, 'n1');
  assert.deepEqual(r.deleted.map((d) => d.name), ['w'], 'only the pod the anti-affinity names is evicted');
});

test('a terminating preempted pod on the nominated node makes the pod wait', async () => {
  const victim: Pod = { ...cpu('l1', 1, '2').terminating().obj(), status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] } };
  const world: FakeWorld = { nodes: [nodeInfo(makeNode('n1').obj(), [victim, cpu('l2', 1, '2').obj()])] };
  const r = await preempt(world, cpu('p', 10, '2').nominated('n1').obj());
  assert.deepEqual(r.out.status.reasons, ['preemption: not eligible due to a terminating pod on the nominated node.']);
});

test('candidate count and message helpers', () => {
  const { handle } = fakeHandle({ nodes: [] });
  const pl = newDefaultPreemption({}, handle);
  assert.deepEqual([5, 100, 1000, 5000].map((n) => pl.numCandidates(n)), [5, 100, 100, 500]);
  assert.equal(newDefaultPreemption({ minCandidateNodesPercentage: 50, minCandidateNodesAbsolute: 1 }, handle).numCandidates(10), 5);
  assert.throws(() => newDefaultPreemption({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 }, handle));
  assert.throws(() => newDefaultPreemption({ minCandidateNodesPercentage: 101 }, handle));
  assert.equal(preemptionMessage(3, new Map()), 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.');
  const statuses: NodeToStatus = new Map([
    ['a', status(Code.Unschedulable, 'Insufficient cpu', 'Insufficient memory')],
    ['b', status(Code.Unschedulable, 'Insufficient cpu')],
  ]);
  assert.equal(
    fitErrorMessage(12, statuses, { absent: status(Code.UnschedulableAndUnresolvable, 'x'), postFilterMsg: preemptionMessage(12, new Map()) }),
    '0/12 nodes are available: 1 Insufficient memory, 10 x, 2 Insufficient cpu. preemption: 0/12 nodes are available: 12 Preemption is not helpful for scheduling..',
  );
});
