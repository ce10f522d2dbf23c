// The slice packing plan: exact contents, at most max per slice, little churn, idempotence.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { planSlices, type DesiredGroup, type SlicePlan } from '../../../src/controllers/endpointslice/plan.js';
import { endpointKey, portMapKey } from '../../../src/controllers/endpointslice/endpoint.js';

const svc: Service = { metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { app: 'web' } }, spec: { clusterIP: '10.43.0.10', selector: { app: 'web' } } };
const ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];

function ep(i: number, ready = true): Endpoint {
  return { addresses: [`10.42.0.${i}`], conditions: { ready, serving: ready, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: `p${i}`, uid: `u${i}` }, nodeName: 'n1' };
}

function desired(eps: Endpoint[], p = ports): Map<string, DesiredGroup> {
  return new Map([[portMapKey(p), { ports: p, endpoints: new Map(eps.map((e) => [endpointKey(e), e])) }]]);
}

let seq = 0;
/** Applies a plan to a set of slices as the API server would (names for created ones). */
function apply(state: EndpointSlice[], plan: SlicePlan): EndpointSlice[] {
  const byName = new Map(state.map((s) => [s.metadata?.name ?? '', s]));
  for (const s of plan.delete) byName.delete(s.metadata?.name ?? '');
  for (const s of plan.update) byName.set(s.metadata?.name ?? '', s);
  for (const s of plan.create) {
    const name = `${s.metadata?.generateName}${++seq}`;
    byName.set(name, { ...s, metadata: { ...s.metadata, name, uid: `slice-${seq}` } });
  }
  return [...byName.values()];
}

const changes = (p: SlicePlan) => p.create.length + p.update.length + p.delete.length;
const allKeys = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints.map(endpointKey)).sort();

describe('planSlices', () => {
  it('creates labelled, owned slices of at most max endpoints', () => {
    const plan = planSlices(svc, 'IPv4', [], desired([1, 2, 3, 4, 5].map((i) => ep(i))), 2);
    assert.equal(plan.create.length, 3);
    assert.deepEqual(plan.create.map((s) => s.endpoints.length).sort(), [1, 2, 2]);
    const s = plan.create[0]!;
    assert.equal(s.metadata?.generateName, 'web-');
    assert.deepEqual(s.metadata?.labels, { app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, ports);
  });

  it('updates one slice in place when one endpoint changes, leaving the others alone', () => {
    const state = apply([], planSlices(svc, 'IPv4', [], desired([1, 2, 3, 4].map((i) => ep(i))), 2));
    const plan = planSlices(svc, 'IPv4', state, desired([ep(1), ep(2), ep(3, false), ep(4)]), 2);
    assert.equal(plan.create.length, 0);
    assert.equal(plan.delete.length, 0);
    assert.equal(plan.update.length, 1);
    assert.ok(state.some((s) => s.metadata?.name === plan.update[0]!.metadata?.name));
    assert.equal(plan.update[0]!.endpoints.find((e) => e.targetRef?.name === 'p3')?.conditions?.ready, false);
  });

  it('puts a new endpoint into the unchanged slice it fits instead of creating one', () => {
    const state = apply([], planSlices(svc, 'IPv4', [], desired([1, 2, 3].map((i) => ep(i))), 2));
    const plan = planSlices(svc, 'IPv4', state, desired([1, 2, 3, 4].map((i) => ep(i))), 2);
    assert.equal(plan.create.length, 0);
    assert.equal(plan.update.length, 1);
    assert.equal(plan.update[0]!.endpoints.length, 2);
  });

  it('keeps one empty placeholder slice when nothing is selected, and does not recreate it', () => {
    const plan = planSlices(svc, 'IPv4', [], new Map(), 100);
    assert.equal(plan.create.length, 1);
    assert.deepEqual(plan.create[0]!.endpoints, []);
    assert.deepEqual(plan.create[0]!.ports, []);
    const state = apply([], plan);
    assert.equal(changes(planSlices(svc, 'IPv4', state, new Map(), 100)), 0);
    // The placeholder becomes the first real slice (an update, not delete + create).
    const filled = planSlices(svc, 'IPv4', state, desired([ep(1)]), 100);
    assert.deepEqual([filled.create.length, filled.update.length, filled.delete.length], [0, 1, 0]);
    assert.equal(filled.update[0]!.metadata?.name, state[0]!.metadata?.name);
  });

  it('deletes slices owned by another object of the same name', () => {
    const foreign = apply([], planSlices({ ...svc, metadata: { ...svc.metadata, uid: 'old-uid' } }, 'IPv4', [], desired([ep(1)]), 100));
    const plan = planSlices(svc, 'IPv4', foreign, desired([ep(1)]), 100);
    assert.equal(plan.delete.length, 1);
    assert.equal(plan.create.length, 1);
  });

  it('holds exactly the desired endpoints, within max, and is idempotent (property)', () => {
    const step = fc.record({ ids: fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }), notReady: fc.array(fc.integer({ min: 1, max: 60 })) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 7 }), (steps, max) => {
        let state: EndpointSlice[] = [];
        for (const s of steps) {
          const want = s.ids.map((i) => ep(i, !s.notReady.includes(i)));
          state = apply(state, planSlices(svc, 'IPv4', state, desired(want), max));
          assert.deepEqual(allKeys(state), want.map(endpointKey).sort());
          for (const sl of state) assert.ok(sl.endpoints.length <= max);
          if (want.length > 0) assert.ok(state.every((sl) => sl.endpoints.length > 0));
          else assert.equal(state.length, 1);
          assert.equal(changes(planSlices(svc, 'IPv4', state, desired(want), max)), 0);
        }
      }),
      { numRuns: 200 },
    );
  });
});
