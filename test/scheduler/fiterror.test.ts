import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../../src/scheduler/framework/types.js';
import { fitErrorMessage } from '../../src/scheduler/framework/fiterror.js';

const st = (...reasons: string[]) => ({ code: Code.Unschedulable, reasons });

describe('FailedScheduling message', () => {
  it('counts reasons over nodes, sorted as strings, then the PostFilter message', () => {
    const msg = fitErrorMessage(3, {
      nodeToStatus: new Map([
        ['cp', st('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }')],
        ['w1', st('Insufficient cpu')],
        ['w2', st('Insufficient cpu')],
      ]),
      unschedulablePlugins: new Set(),
      preFilterMsg: '',
      postFilterMsg: 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    });
    assert.equal(
      msg,
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..',
    );
  });

  it('a node with several reasons counts for each; sorting is by the whole string', () => {
    const msg = fitErrorMessage(12, {
      nodeToStatus: new Map([
        ...Array.from({ length: 10 }, (_, i) => [`a${i}`, st('Insufficient memory')] as const),
        ['b', st('Insufficient cpu', 'Insufficient memory')],
        ['c', st('Too many pods')],
      ]),
      unschedulablePlugins: new Set(),
      preFilterMsg: '',
      postFilterMsg: '',
    });
    assert.equal(msg, '0/12 nodes are available: 1 Insufficient cpu, 1 Too many pods, 11 Insufficient memory.');
  });

  it('a PreFilter rejection replaces the per-node counts; nodes left out by a PreFilter count with their status', () => {
    assert.equal(
      fitErrorMessage(4, { nodeToStatus: new Map(), unschedulablePlugins: new Set(), preFilterMsg: 'pod affinity terms conflict', postFilterMsg: '' }),
      '0/4 nodes are available: pod affinity terms conflict.',
    );
    assert.equal(
      fitErrorMessage(4, {
        nodeToStatus: new Map([['n1', st('Insufficient cpu')]]),
        absentNodesStatus: { code: Code.UnschedulableAndUnresolvable, reasons: ["node(s) didn't satisfy plugin(s) [NodeAffinity]"] },
        unschedulablePlugins: new Set(),
        preFilterMsg: '',
        postFilterMsg: '',
      }),
      "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
  });
});
