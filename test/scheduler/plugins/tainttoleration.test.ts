import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { Code } from '../../../src/scheduler/framework/types.js';
import { newTaintToleration } from '../../../src/scheduler/plugins/tainttoleration.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';
import { filterAll, handleOf, makeNode, makePod, scoreAll } from '../fixtures.js';

const handle = handleOf(snapshotOf([]));

describe('TaintToleration filter', () => {
  const tainted = makeNode('n1').taint('dedicated', 'gpu', 'NoSchedule').obj();
  const cases: { name: string; tolerations: Toleration[]; node?: ReturnType<ReturnType<typeof makeNode>['obj']>; fits: boolean }[] = [
    { name: 'no toleration', tolerations: [], fits: false },
    { name: 'Equal with key, value and effect', tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], fits: true },
    { name: 'empty operator means Equal', tolerations: [{ key: 'dedicated', value: 'gpu' }], fits: true },
    { name: 'Equal with another value', tolerations: [{ key: 'dedicated', value: 'cpu' }], fits: false },
    { name: 'Exists on the key', tolerations: [{ key: 'dedicated', operator: 'Exists' }], fits: true },
    { name: 'Exists without a key tolerates everything', tolerations: [{ operator: 'Exists' }], fits: true },
    { name: 'another effect does not tolerate', tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'PreferNoSchedule' }], fits: false },
    { name: 'NoExecute is enforced too', tolerations: [], node: makeNode('n1').taint('k', '', 'NoExecute').obj(), fits: false },
    { name: 'PreferNoSchedule is not enforced', tolerations: [], node: makeNode('n1').taint('k', 'v', 'PreferNoSchedule').obj(), fits: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = makePod('p');
      for (const t of c.tolerations) pod.toleration(t);
      const s = filterAll(newTaintToleration(undefined, handle), pod.obj(), [c.node ?? tainted]).get('n1')!;
      assert.equal(s.code, c.fits ? Code.Success : Code.UnschedulableAndUnresolvable);
    });
  }

  it('names the first untolerated taint as upstream: {key: value}', () => {
    const node = makeNode('n1').taint('node-role.kubernetes.io/control-plane', '', 'NoSchedule').obj();
    assert.deepEqual(filterAll(newTaintToleration(undefined, handle), makePod('p').obj(), [node]).get('n1')!.reasons, ['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }']);
  });
});

describe('TaintToleration score', () => {
  it('fewer untolerated PreferNoSchedule taints score higher (reversed, normalised)', () => {
    const nodes = [
      makeNode('n0').obj(),
      makeNode('n1').taint('a', 'x', 'PreferNoSchedule').obj(),
      makeNode('n2').taint('a', 'x', 'PreferNoSchedule').taint('b', 'y', 'PreferNoSchedule').obj(),
      makeNode('n3').taint('c', 'z', 'NoSchedule').obj(),
    ];
    const s = scoreAll(newTaintToleration(undefined, handle), makePod('p').obj(), nodes)!;
    assert.deepEqual(Object.fromEntries(s), { n0: 100, n1: 50, n2: 0, n3: 100 });
  });

  it('tolerations with effect PreferNoSchedule or none count', () => {
    const nodes = [makeNode('n1').taint('a', 'x', 'PreferNoSchedule').obj(), makeNode('n2').taint('b', 'y', 'PreferNoSchedule').obj()];
    const pod = makePod('p').toleration({ key: 'a', operator: 'Exists' }).toleration({ key: 'b', operator: 'Exists', effect: 'NoSchedule' }).obj();
    assert.deepEqual(Object.fromEntries(scoreAll(newTaintToleration(undefined, handle), pod, nodes)!), { n1: 100, n2: 0 });
  });
});
