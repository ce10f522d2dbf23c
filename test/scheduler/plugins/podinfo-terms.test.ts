import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { podInfoFrom, termMatches } from '../../../src/scheduler/plugins/podinfo-terms.js';
import { makePod } from './fixtures.js';

const Mi = 1024 * 1024;

test('requests: max(containers + sidecars, each init container + earlier sidecars) + overhead', () => {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      containers: [{ name: 'c', resources: { requests: { cpu: '100m', memory: '64Mi', 'nvidia.com/gpu': '2' } } }],
      initContainers: [
        { name: 'i1', resources: { requests: { cpu: '500m' } } },
        { name: 's1', restartPolicy: 'Always', resources: { requests: { cpu: '200m', memory: '32Mi' } } },
        { name: 'i2', resources: { requests: { cpu: '400m', memory: '1Gi' } } },
      ],
      overhead: { cpu: '50m', memory: '10Mi' },
    },
  };
  const pi = podInfoFrom(pod);
  assert.equal(pi.key, 'ns/p');
  // cpu: max(100 + 200, 500, 200, 400 + 200) + 50; memory: max(64 + 32, 1024 + 32) + 10.
  assert.equal(pi.requests.milliCPU, 650);
  assert.equal(pi.requests.memory, (1024 + 32 + 10) * Mi);
  assert.deepEqual([...pi.requests.scalar], [['nvidia.com/gpu', 2]]);
  assert.deepEqual(pi.nonZeroRequests, { milliCPU: 650, memory: (1024 + 32 + 10) * Mi });
});

test('non-zero requests default only what is unset', () => {
  const none = podInfoFrom({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }, { name: 'b' }] } });
  assert.deepEqual(none.nonZeroRequests, { milliCPU: 200, memory: 400 * Mi });
  assert.equal(none.requests.milliCPU, 0);
  const zero = podInfoFrom({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', resources: { requests: { cpu: '0' } } }] } });
  assert.deepEqual(zero.nonZeroRequests, { milliCPU: 0, memory: 200 * Mi });
});

test('affinity terms: own namespace by default, nil selectors match nothing, empty namespaceSelector everything', () => {
  const pi = podInfoFrom(
    makePod('p')
      .namespace('ns')
      .podAffinity('affinity', { matchLabels: { app: 'db' }, topologyKey: 'zone' })
      .podAffinity('anti', { topologyKey: 'zone' })
      .podAffinity('affinity', { matchLabels: { app: 'db' }, topologyKey: 'zone', namespaceSelector: {} }, 7)
      .podAffinity('anti', { matchLabels: { app: 'db' }, topologyKey: 'zone', namespaces: ['x'], namespaceSelector: { matchLabels: { team: 'a' } } }, 3)
      .obj(),
  );
  const db = (ns: string) => makePod('d').namespace(ns).labels({ app: 'db' }).obj();
  const [own] = pi.requiredAffinityTerms;
  assert.deepEqual([...own!.namespaces], ['ns']);
  assert.equal(own!.namespaceSelector, null);
  assert.ok(termMatches(own!, db('ns'), undefined));
  assert.ok(!termMatches(own!, db('other'), undefined));
  assert.ok(!termMatches(pi.requiredAntiAffinityTerms[0]!, db('ns'), undefined), 'nil labelSelector selects no pod');
  const [all] = pi.preferredAffinityTerms;
  assert.equal(all!.weight, 7);
  assert.equal(all!.namespaces.size, 0);
  assert.ok(termMatches(all!, db('anything'), {}));
  const [sel] = pi.preferredAntiAffinityTerms;
  assert.ok(termMatches(sel!, db('x'), {}), 'listed namespace');
  assert.ok(termMatches(sel!, db('y'), { team: 'a' }), 'selected namespace');
  assert.ok(!termMatches(sel!, db('y'), { team: 'b' }));
});
