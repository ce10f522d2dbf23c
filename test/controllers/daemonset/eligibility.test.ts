import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Taint } from 'kubernetes-types/core/v1.js';
import { daemonPodTolerations, nodeShouldRunDaemonPod, pinToNode, targetNodeName } from '../../../src/controllers/daemonset/eligibility.js';
import { matchesRequiredNodeAffinity } from '../../../src/api/nodeaffinity.js';
import { toleratesTaint } from '../../../src/api/tolerations.js';
import { node } from './fixtures.js';

const spec = { containers: [{ name: 'c', image: 'i' }] };
const taint = (key: string, effect: string, value?: string): Taint => ({ key, effect, ...(value ? { value } : {}) });

describe('daemon pod placement', () => {
  it('adds the upstream daemon tolerations (network-unavailable only with hostNetwork)', () => {
    const keys = (s: object) => daemonPodTolerations({ ...spec, ...s }).map((t) => `${t.key}:${t.effect}`);
    assert.deepEqual(keys({}), [
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.ok(keys({ hostNetwork: true }).includes('node.kubernetes.io/network-unavailable:NoSchedule'));
    // The same toleration written by the user is replaced, not duplicated.
    const own = daemonPodTolerations({ ...spec, tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] });
    assert.equal(own.filter((t) => t.key === 'node.kubernetes.io/not-ready').length, 1);
    assert.equal(own[0]?.tolerationSeconds, undefined);
  });

  it('matches tolerations as upstream ToleratesTaint', () => {
    assert.ok(toleratesTaint({ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, taint('k', 'NoSchedule', 'v')));
    assert.ok(!toleratesTaint({ key: 'k', value: 'w' }, taint('k', 'NoSchedule', 'v')));
    assert.ok(toleratesTaint({ key: 'k', operator: 'Exists' }, taint('k', 'NoExecute', 'v')));
    assert.ok(toleratesTaint({ operator: 'Exists' }, taint('anything', 'NoSchedule')));
    assert.ok(!toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint('k', 'NoSchedule')));
  });

  it('runs on untainted nodes, not on nodes with untolerated NoSchedule/NoExecute taints', () => {
    assert.deepEqual(nodeShouldRunDaemonPod(node('a'), spec), { shouldRun: true, shouldContinueRunning: true });
    // NoSchedule: no new pod, but a running one may stay.
    assert.deepEqual(nodeShouldRunDaemonPod(node('b', { taints: [taint('dedicated', 'NoSchedule', 'db')] }), spec), { shouldRun: false, shouldContinueRunning: true });
    // NoExecute: the pod goes too.
    assert.deepEqual(nodeShouldRunDaemonPod(node('c', { taints: [taint('dedicated', 'NoExecute')] }), spec), { shouldRun: false, shouldContinueRunning: false });
    // PreferNoSchedule does not keep daemon pods away.
    assert.equal(nodeShouldRunDaemonPod(node('d', { taints: [taint('x', 'PreferNoSchedule')] }), spec).shouldRun, true);
    const tolerant = { ...spec, tolerations: [{ key: 'dedicated', operator: 'Exists' }] };
    assert.equal(nodeShouldRunDaemonPod(node('e', { taints: [taint('dedicated', 'NoExecute')] }), tolerant).shouldRun, true);
    // Cordoned nodes and not-ready nodes are tolerated by every daemon pod.
    assert.equal(nodeShouldRunDaemonPod(node('f', { taints: [taint('node.kubernetes.io/unschedulable', 'NoSchedule')] }), spec).shouldRun, true);
    assert.equal(nodeShouldRunDaemonPod(node('g', { taints: [taint('node.kubernetes.io/not-ready', 'NoExecute')] }), spec).shouldRun, true);
  });

  it('honours nodeSelector, node affinity and nodeName', () => {
    const ssd = node('ssd', { labels: { disk: 'ssd', gen: '5' } });
    const hdd = node('hdd', { labels: { disk: 'hdd' } });
    assert.equal(nodeShouldRunDaemonPod(ssd, { ...spec, nodeSelector: { disk: 'ssd' } }).shouldRun, true);
    assert.deepEqual(nodeShouldRunDaemonPod(hdd, { ...spec, nodeSelector: { disk: 'ssd' } }), { shouldRun: false, shouldContinueRunning: false });
    const affinity = (terms: object[]) => ({ ...spec, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } } });
    assert.ok(matchesRequiredNodeAffinity(affinity([{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['4'] }] }]), ssd));
    assert.ok(!matchesRequiredNodeAffinity(affinity([{ matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['4'] }] }]), ssd));
    assert.ok(matchesRequiredNodeAffinity(affinity([{ matchExpressions: [{ key: 'disk', operator: 'NotIn', values: ['ssd'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ssd'] }] }]), ssd));
    assert.ok(matchesRequiredNodeAffinity(affinity([{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }]), hdd));
    assert.ok(!matchesRequiredNodeAffinity(affinity([{}]), hdd), 'an empty term matches nothing');
    assert.ok(!matchesRequiredNodeAffinity(affinity([]), hdd), 'no terms match nothing');
    assert.equal(nodeShouldRunDaemonPod(hdd, { ...spec, nodeName: 'ssd' }).shouldRun, false);
  });

  it('pins the pod to its node through matchFields and reads the target back', () => {
    const pinned = pinToNode({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }] } }, podAntiAffinity: {} }, 'n7');
    assert.deepEqual(pinned.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n7'] }] }] });
    assert.deepEqual(pinned.podAntiAffinity, {});
    assert.equal(targetNodeName({ spec: { ...spec, affinity: pinned } }), 'n7');
    assert.equal(targetNodeName({ spec: { ...spec, nodeName: 'bound', affinity: pinned } }), 'bound');
    assert.equal(targetNodeName({ spec }), undefined);
  });
});
