// NodeName, NodeUnschedulable and NodePorts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../../src/scheduler/framework/types.js';
import { newNodeName } from '../../../src/scheduler/plugins/nodename.js';
import { newNodeUnschedulable } from '../../../src/scheduler/plugins/nodeunschedulable.js';
import { newNodePorts } from '../../../src/scheduler/plugins/nodeports.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';
import { filterAll, handleOf, makeNode, makePod, passing } from '../fixtures.js';

const handle = handleOf(snapshotOf([]));
const nodes = [makeNode('n1').obj(), makeNode('n2').obj()];

describe('NodeName', () => {
  it('a pod naming a node fits only that node', () => {
    assert.deepEqual(passing(newNodeName(undefined, handle), makePod('p').node('n2').obj(), nodes), ['n2']);
    assert.deepEqual(filterAll(newNodeName(undefined, handle), makePod('p').node('n2').obj(), nodes).get('n1')!.reasons, ["node(s) didn't match the requested node name"]);
  });
  it('a pod naming no node fits every node', () => {
    assert.deepEqual(passing(newNodeName(undefined, handle), makePod('p').obj(), nodes), ['n1', 'n2']);
  });
});

describe('NodeUnschedulable', () => {
  const cordoned = [makeNode('n1').unschedulable().obj(), makeNode('n2').obj()];
  it('a cordoned node takes no pod', () => {
    const s = filterAll(newNodeUnschedulable(undefined, handle), makePod('p').obj(), cordoned);
    assert.equal(s.get('n1')!.code, Code.UnschedulableAndUnresolvable);
    assert.deepEqual(s.get('n1')!.reasons, ['node(s) were unschedulable']);
    assert.equal(s.get('n2')!.code, Code.Success);
  });
  it('unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule', () => {
    const pod = makePod('p').toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }).obj();
    assert.deepEqual(passing(newNodeUnschedulable(undefined, handle), pod, cordoned), ['n1', 'n2']);
    const wrongEffect = makePod('p').toleration({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }).obj();
    assert.deepEqual(passing(newNodeUnschedulable(undefined, handle), wrongEffect, cordoned), ['n2']);
  });
});

describe('NodePorts', () => {
  const cases: { name: string; existing: [number, string, string]; want: [number, string, string]; fits: boolean }[] = [
    { name: 'same port and protocol', existing: [8080, 'TCP', ''], want: [8080, 'TCP', ''], fits: false },
    { name: 'another protocol', existing: [8080, 'TCP', ''], want: [8080, 'UDP', ''], fits: true },
    { name: 'another port', existing: [8080, 'TCP', ''], want: [8081, 'TCP', ''], fits: true },
    { name: 'specific address against 0.0.0.0 in use', existing: [8080, 'TCP', ''], want: [8080, 'TCP', '127.0.0.1'], fits: false },
    { name: '0.0.0.0 against a specific address in use', existing: [8080, 'TCP', '127.0.0.1'], want: [8080, 'TCP', ''], fits: false },
    { name: 'two different specific addresses', existing: [8080, 'TCP', '127.0.0.1'], want: [8080, 'TCP', '127.0.0.2'], fits: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const on = makePod('on').hostPort(...c.existing).node('n1').obj();
      const s = filterAll(newNodePorts(undefined, handle), makePod('p').hostPort(...c.want).obj(), [nodes[0]!], [on]).get('n1')!;
      assert.equal(s.code, c.fits ? Code.Success : Code.Unschedulable);
      if (!c.fits) assert.deepEqual(s.reasons, ["node(s) didn't have free ports for the requested pod ports"]);
    });
  }
  it('a pod without host ports skips the filter', () => {
    const plugin = newNodePorts(undefined, handle) as unknown as { preFilter: (...a: unknown[]) => { status: { code: Code } } };
    assert.equal(plugin.preFilter({ write() {} }, { pod: makePod('p').obj() }, []).status.code, Code.Skip);
  });
});
