import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { claimsFor, endOrdinal, identityMatches, inOrdinalRange, newStatefulSetPod, parentAndOrdinal, startOrdinal, storageMatches, updateIdentity, updateStorage } from '../../../src/controllers/statefulset/identity.js';
import { claimIsStale, claimOwnerRefs, claimOwnerUpToDate } from '../../../src/controllers/statefulset/retention.js';
import { member, statefulSet, template } from './fixtures.js';

describe('StatefulSet identity', () => {
  it('parses `<parent>-<ordinal>` names back', () => {
    assert.deepEqual(parentAndOrdinal({ metadata: { name: 'web-0' } }), { parent: 'web', ordinal: 0 });
    assert.deepEqual(parentAndOrdinal({ metadata: { name: 'my-db-12' } }), { parent: 'my-db', ordinal: 12 });
    assert.equal(parentAndOrdinal({ metadata: { name: 'web' } }).ordinal, -1);
    assert.equal(parentAndOrdinal({ metadata: { name: 'web-99999999999' } }).ordinal, -1);
    fc.assert(fc.property(fc.stringMatching(/^[a-z]([a-z0-9-]*[a-z0-9])?$/), fc.nat(2 ** 31 - 1), (parent, o) => {
      assert.deepEqual(parentAndOrdinal({ metadata: { name: `${parent}-${o}` } }), { parent, ordinal: o });
    }));
  });

  it('builds a member with name, labels, hostname, subdomain and claim volumes', () => {
    const set = statefulSet({ claims: true });
    const pod = newStatefulSetPod(set, template('v7'), 2, 'web-abc');
    assert.equal(pod.metadata?.name, 'web-2');
    assert.deepEqual(pod.metadata?.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-abc' });
    assert.equal(pod.spec?.hostname, 'web-2');
    assert.equal(pod.spec?.subdomain, 'nginx');
    assert.deepEqual(pod.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-2' } }]);
    assert.equal(pod.spec?.containers[0]?.image, 'v7');
    assert.equal(pod.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
    assert.ok(identityMatches(set, pod) && storageMatches(set, pod));
    const claim = claimsFor(set, 2).get('data');
    assert.equal(claim?.metadata?.name, 'data-web-2');
    assert.deepEqual(claim?.metadata?.labels, { app: 'web' });
  });

  it('repairs a member whose identity or storage drifted', () => {
    const set = statefulSet({ claims: true });
    const pod = newStatefulSetPod(set, template(), 1, 'r');
    delete pod.metadata?.labels?.['statefulset.kubernetes.io/pod-name'];
    pod.spec!.volumes = [{ name: 'data', emptyDir: {} }, { name: 'scratch', emptyDir: {} }];
    assert.ok(!identityMatches(set, pod) && !storageMatches(set, pod));
    updateIdentity(set, pod);
    updateStorage(set, pod);
    assert.ok(identityMatches(set, pod) && storageMatches(set, pod));
    assert.deepEqual(pod.spec?.volumes?.map((v) => v.name), ['data', 'scratch']);
  });

  it('counts ordinals from spec.ordinals.start', () => {
    const set = statefulSet({ replicas: 3, start: 5 });
    assert.equal(startOrdinal(set), 5);
    assert.equal(endOrdinal(set), 7);
    assert.ok(inOrdinalRange(set, { metadata: { name: 'web-7' } }));
    assert.ok(!inOrdinalRange(set, { metadata: { name: 'web-4' } }));
    assert.ok(!inOrdinalRange(set, { metadata: { name: 'web-8' } }));
  });
});

describe('PVC retention policy references', () => {
  const claimOf = (_set: ReturnType<typeof statefulSet>, refs: object[] = []) => ({ metadata: { name: 'data-web-2', ownerReferences: refs } }) as never;
  const kinds = (refs: { kind: string }[]) => refs.map((r) => r.kind).sort();

  it('sets the owners each policy asks for', () => {
    const cases: [string, string, number, string[]][] = [
      ['Retain', 'Retain', 3, []],
      ['Delete', 'Retain', 3, ['StatefulSet']],
      ['Retain', 'Delete', 3, []],
      ['Retain', 'Delete', 2, ['Pod']],
      ['Delete', 'Delete', 3, ['StatefulSet']],
      ['Delete', 'Delete', 2, ['Pod']],
    ];
    for (const [whenDeleted, whenScaled, replicas, want] of cases) {
      const set = statefulSet({ replicas, claims: true, retention: { whenDeleted, whenScaled } });
      const pod = member(set, 2, 'r');
      const claim = claimOf(set);
      const refs = claimOwnerRefs(claim, set, pod);
      assert.deepEqual(kinds(refs), want, `${whenDeleted}/${whenScaled} replicas=${replicas}`);
      assert.ok(refs.every((r) => r.controller === true));
      assert.equal(claimOwnerUpToDate(claim, set, pod), want.length === 0, `${whenDeleted}/${whenScaled} before`);
      assert.ok(claimOwnerUpToDate({ metadata: { name: 'data-web-2', ownerReferences: refs } }, set, pod), `${whenDeleted}/${whenScaled} after`);
    }
  });

  it('leaves claims of another controller or an earlier incarnation alone, and flags stale ones', () => {
    const set = statefulSet({ replicas: 3, claims: true, retention: { whenDeleted: 'Delete', whenScaled: 'Delete' } });
    const pod = member(set, 2, 'r');
    const foreign = claimOf(set, [{ apiVersion: 'v1', kind: 'Thing', name: 'x', uid: 'x', controller: true }]);
    assert.ok(claimOwnerUpToDate(foreign, set, pod));
    const stale = claimOf(set, [{ apiVersion: 'v1', kind: 'Pod', name: 'web-2', uid: 'older', controller: true }]);
    assert.ok(claimIsStale(stale, set, pod));
    assert.ok(!claimIsStale(stale, statefulSet({ claims: true }), pod), 'Retain on scale-down: claims are reused');
  });
});
