// The compressed index form of status.completedIndexes and pod failure policy matching.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { IndexSet, formatIndexes } from '../../../src/controllers/job/indexes.js';
import { matchPodFailurePolicy } from '../../../src/controllers/job/failure-policy.js';

describe('completion indexes', () => {
  it('writes ranges as upstream does', () => {
    assert.equal(formatIndexes([1, 3, 4, 5, 7]), '1,3-5,7');
    assert.equal(formatIndexes([]), '');
    assert.equal(formatIndexes([0, 1]), '0-1');
    assert.equal(IndexSet.parse('0-2,5,x,9-8', 7).toString(), '0-2,5');
    assert.equal(IndexSet.parse('3-10', 5).toString(), '3-4');
  });

  it('round-trips any set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(200)), (xs) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const parsed = IndexSet.parse(formatIndexes(sorted));
        assert.deepEqual(parsed.sorted(), sorted);
        assert.equal(parsed.size, sorted.length);
      }),
    );
  });
});

describe('pod failure policy', () => {
  const job = (rules: unknown[]): Job => ({ spec: { template: {}, podFailurePolicy: { rules } } }) as Job;
  const failed = (containers: [string, number][], conditions: [string, string][] = []): Pod => ({
    metadata: { name: 'p', namespace: 'ns' },
    status: {
      phase: 'Failed',
      containerStatuses: containers.map(([name, exitCode]) => ({ name, image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } })),
      conditions: conditions.map(([type, status]) => ({ type, status })),
    },
  });

  it('matches exit codes with In/NotIn and containerName, never exit code 0', () => {
    const j = job([
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
      { action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
    ]);
    assert.deepEqual(matchPodFailurePolicy(j, failed([['main', 42]])), { action: 'FailJob', message: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0' });
    assert.equal(matchPodFailurePolicy(j, failed([['side', 42]]))?.action, 'Ignore');
    assert.equal(matchPodFailurePolicy(j, failed([['main', 1]])), undefined);
    assert.equal(matchPodFailurePolicy(j, failed([['main', 0]])), undefined);
  });

  it('matches pod conditions (status defaults to True)', () => {
    const j = job([{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }, { action: 'Count', onPodConditions: [{ type: 'X', status: 'False' }] }]);
    assert.deepEqual(matchPodFailurePolicy(j, failed([], [['DisruptionTarget', 'True']])), { action: 'Ignore', message: 'Pod ns/p has condition DisruptionTarget matching Ignore rule at index 0' });
    assert.equal(matchPodFailurePolicy(j, failed([], [['X', 'False']]))?.action, 'Count');
    assert.equal(matchPodFailurePolicy(j, failed([], [['DisruptionTarget', 'False']])), undefined);
  });
});
