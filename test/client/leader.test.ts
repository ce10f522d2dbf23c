// Lease-based leader election between candidates in one process, against an in-process API server.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runLeaderElection, type LeaderElectionConfig } from '../../src/client/leader.js';
import { startCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

describe('leader election', () => {
  it('elects one leader, hands over on release and after expiry, and counts transitions', async () => {
    const cluster = await startCluster({ user: { name: 'test', groups: [] } });
    const { api, client } = cluster;
    const leading = new Set<string>();
    const candidate = (identity: string, release: boolean) => {
      const ctl = new AbortController();
      const cfg: LeaderElectionConfig = {
        client,
        namespace: 'kube-system',
        name: 'skiff-test',
        identity,
        leaseDurationMs: 1000,
        renewDeadlineMs: 600,
        retryPeriodMs: 50,
        releaseOnCancel: release,
        onStartedLeading: (signal) => {
          leading.add(identity);
          signal.addEventListener('abort', () => leading.delete(identity));
        },
      };
      const done = runLeaderElection(cfg, ctl.signal);
      return { stop: async () => (ctl.abort(), await done) };
    };
    try {
      const a = candidate('a', true);
      await eventually('a leads', () => leading.has('a'));
      const b = candidate('b', false);
      const c = candidate('c', false);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual([...leading], ['a'], 'only one leader while a renews');

      await a.stop(); // releases: the next candidate need not wait for expiry
      await eventually('b or c leads', () => leading.size === 1 && !leading.has('a'), 2000);
      const second = [...leading][0]!;
      const lease = await client.get(api.resource('coordination.k8s.io', 'leases'), 'skiff-test', 'kube-system');
      assert.equal((lease.spec as { holderIdentity: string }).holderIdentity, second);
      assert.equal((lease.spec as { leaseTransitions: number }).leaseTransitions, 1);

      // The other candidate takes over after the leader stops renewing without releasing.
      const [stopSecond, stopOther] = second === 'b' ? [b.stop, c.stop] : [c.stop, b.stop];
      await stopSecond();
      const stoppedAt = Date.now();
      const third = second === 'b' ? 'c' : 'b';
      await eventually(`${third} leads`, () => leading.has(third), 5000);
      assert.ok(Date.now() - stoppedAt >= 800, 'an unreleased lease is taken only after it expires');
      assert.equal(leading.size, 1);
      await stopOther();
    } finally {
      await cluster.stop();
    }
  });
});
