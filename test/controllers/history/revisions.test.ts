import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../src/apiserver/object.js';
import { nextRevisionNumber, newRevision, revisionMatches, revisionName, revisionsToPrune, sortRevisions, templateOf, templatePatch, type Revision } from '../../../src/controllers/history/revisions.js';
import { Expectations } from '../../../src/controllers/history/expectations.js';

const owner: KObject = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'ds', namespace: 'default', uid: 'u1', annotations: { 'kubernetes.io/change-cause': 'first' } },
  spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'one' }] } } },
};

const rev = (name: string, revision: number, ts = '2024-01-01T00:00:00Z'): Revision => ({
  ...newRevision({ owner, name, labels: {}, data: {}, revision }),
  metadata: { name, namespace: 'default', creationTimestamp: ts },
});

describe('ControllerRevision helpers', () => {
  it('stores the template as the patch kubectl rollout undo applies', () => {
    const data = templatePatch(owner);
    assert.deepEqual(data, { spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'one' }] }, $patch: 'replace' } } });
    const r = newRevision({ owner, name: revisionName('ds', 'abc'), labels: { app: 'a' }, annotations: owner.metadata.annotations ?? {}, data, revision: 1 });
    assert.equal(r.metadata.name, 'ds-abc');
    assert.deepEqual(r.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    assert.equal(r.metadata.annotations?.['kubernetes.io/change-cause'], 'first');
    assert.deepEqual(templateOf(r), (owner.spec as { template: unknown }).template);
    assert.ok(revisionMatches(owner, r));
    const changed = { ...owner, spec: { template: { spec: { containers: [{ name: 'c', image: 'two' }] } } } };
    assert.ok(!revisionMatches(changed, r));
  });

  it('cuts long owner names to 223 characters', () => {
    assert.equal(revisionName('x'.repeat(300), 'h'), `${'x'.repeat(223)}-h`);
  });

  it('orders by revision, then age, then name, and numbers the next one', () => {
    const revs = [rev('c', 2), rev('b', 1, '2024-01-02T00:00:00Z'), rev('a', 1, '2024-01-02T00:00:00Z'), rev('z', 1)];
    assert.deepEqual(sortRevisions(revs).map((r) => r.metadata.name), ['z', 'a', 'b', 'c']);
    assert.equal(nextRevisionNumber(revs), 3);
    assert.equal(nextRevisionNumber([]), 1);
  });

  it('prunes the oldest revisions no pod uses, beyond the limit', () => {
    const revs = [1, 2, 3, 4, 5].map((n) => rev(`r${n}`, n));
    // StatefulSet: only unused revisions count against the limit.
    assert.deepEqual(revisionsToPrune(revs, new Set(['r1', 'r5']), 2).map((r) => r.metadata.name), ['r2']);
    // DaemonSet: every old revision counts; used ones are skipped, not deleted.
    assert.deepEqual(revisionsToPrune(revs, new Set(['r1', 'r5']), 2, { liveCountTowardLimit: true }).map((r) => r.metadata.name), ['r2', 'r3', 'r4']);
    assert.deepEqual(revisionsToPrune(revs, new Set(), 10), []);
    assert.deepEqual(revisionsToPrune(revs, new Set(), 0).length, 5);
  });
});

describe('expectations', () => {
  const store = (objs: KObject[]) => ({ get: (k: string) => objs.find((o) => `${o.metadata.namespace}/${o.metadata.name}` === k) });
  const pod = (name: string, uid: string, deleting = false): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid, ...(deleting ? { deletionTimestamp: 'now' } : {}) } });

  it('waits until the cache shows every creation and deletion', () => {
    let now = 0;
    const e = new Expectations({ now: () => now });
    assert.ok(e.satisfied('ns/ds', store([])));
    e.expectCreation('ns/ds', 'ns/p1');
    e.expectDeletion('ns/ds', 'ns/p0', 'u0');
    assert.ok(!e.satisfied('ns/ds', store([pod('p0', 'u0')])));
    assert.ok(!e.satisfied('ns/ds', store([pod('p1', 'u1'), pod('p0', 'u0')])));
    // A graceful deletion shows as a deletionTimestamp; a recreated pod of that name has another uid.
    assert.ok(e.satisfied('ns/ds', store([pod('p1', 'u1'), pod('p0', 'u0', true)])));
    e.expectDeletion('ns/ds', 'ns/p0', 'u0');
    assert.ok(e.satisfied('ns/ds', store([pod('p0', 'u9')])));
  });

  it('gives up after the TTL so a lost event cannot wedge an owner', () => {
    let now = 0;
    const e = new Expectations({ now: () => now }, 1000);
    e.expectCreation('k', 'ns/never');
    assert.ok(!e.satisfied('k', store([])));
    now = 1001;
    assert.ok(e.satisfied('k', store([])));
    e.expectCreation('k', 'ns/never');
    e.forget('k');
    assert.ok(e.satisfied('k', store([])));
  });
});
