// startSim against an in-process API server on the memory store: the real request path
// (validation, status subresource, graceful deletion, watches) without a process or sockets.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../src/client/client.js';
import { isApiError } from '../../src/client/transport.js';
import type { KObject } from '../../src/apiserver/object.js';
import { startSim, type Sim } from '../../src/sim/sim.js';
import type { SimOptions } from '../../src/sim/options.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { res } from '../helpers/resources.js';

const { nodes, pods, leases } = res;

function podSpec(name: string, node: string, o: { restartPolicy?: string; annotations?: Record<string, string> } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'busybox' }], ...(o.restartPolicy ? { restartPolicy: o.restartPolicy } : {}) },
  };
}

const asPod = (o: KObject) => o as unknown as Pod;

describe('startSim (in-process API server)', () => {
  let cluster: Cluster;
  let client: Client;
  const errors: unknown[] = [];
  const sims: Sim[] = [];
  const sim = (o: Partial<SimOptions>) => {
    const s = startSim({ client, nodes: 3, renewIntervalMs: 100, onError: (e) => errors.push(e), ...o });
    sims.push(s);
    return s;
  };
  const getPod = (name: string) => client.get(pods, name, 'default').then(asPod);

  before(async () => {
    cluster = await startCluster({ user: { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] }, log: () => undefined });
    client = cluster.client;
  });

  after(async () => {
    for (const s of sims) await s.stop();
    await cluster.stop();
  });

  it('registers Ready nodes with leases that keep being renewed', async () => {
    const s = sim({ zones: 2 });
    await s.ready;
    assert.deepEqual(s.nodes, ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    const list = await client.list(nodes);
    const ours = list.items.map((n) => n as unknown as Node).filter((n) => n.metadata?.name?.startsWith('sim-node-'));
    assert.equal(ours.length, 3);
    for (const n of ours) {
      assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      assert.equal(n.metadata?.labels?.['topology.kubernetes.io/zone'], `zone-${Number(n.metadata?.name?.slice(-1)) % 2}`);
    }
    const lease = (await client.get(leases, 'sim-node-1', 'kube-node-lease')) as unknown as Lease;
    assert.equal(lease.spec?.holderIdentity, 'sim-node-1');
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, ours.find((n) => n.metadata?.name === 'sim-node-1')?.metadata?.uid);
    const first = lease.spec?.renewTime ?? '';
    await eventually('the lease to be renewed', async () => {
      const l = (await client.get(leases, 'sim-node-1', 'kube-node-lease')) as unknown as Lease;
      return (l.spec?.renewTime ?? '') > first ? true : undefined;
    });
    assert.ok(s.stats().leaseRenewals > 3);
  });

  it('runs a bound pod to Running and Ready with an address from the node range', async () => {
    await client.create(pods, podSpec('web', 'sim-node-0'), 'default');
    const p = await eventually('web Running', async () => {
      const p = await getPod('web');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.match(p.status?.podIP ?? '', /^10\.244\.0\.\d+$/);
    assert.equal(p.status?.hostIP, '172.16.0.1');
    assert.equal(p.status?.qosClass, 'BestEffort');
    assert.match(p.status?.containerStatuses?.[0]?.containerID ?? '', /^sim:\/\//);
  });

  it('reports a running pod Ready again after someone marked it not ready', async () => {
    const before = await getPod('web');
    await client.patch(pods, 'web', { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: new Date().toISOString() }] } }, 'strategic', { namespace: 'default', subresource: 'status' });
    const p = await eventually('web Ready again', async () => {
      const p = await getPod('web');
      return p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && p.metadata?.resourceVersion !== before.metadata?.resourceVersion ? p : undefined;
    });
    assert.deepEqual(p.status?.containerStatuses?.[0]?.state, before.status?.containerStatuses?.[0]?.state, 'the container keeps its start time');
    assert.equal(p.status?.podIP, before.status?.podIP);
  });

  it('stops and deletes a pod being deleted gracefully', async () => {
    const r = await client.delete(pods, 'web', { namespace: 'default' });
    assert.ok(r.metadata.deletionTimestamp, 'a running pod is deleted gracefully: the kubelet has to finish it');
    await eventually('web gone', async () => {
      try {
        await getPod('web');
        return undefined;
      } catch (e) {
        return isApiError(e, 404) ? true : undefined;
      }
    });
  });

  it('completes a run-to-completion pod with the exit annotation', async () => {
    await client.create(pods, podSpec('job', 'sim-node-1', { restartPolicy: 'Never', annotations: { 'skiff.dev/sim-exit-after': '200ms' } }), 'default');
    const p = await eventually('job Succeeded', async () => {
      const p = await getPod('job');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    assert.equal(p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'Ready')?.reason, 'PodCompleted');
  });

  it('stops renewing the lease of a paused node and picks up its pods again on resume', async () => {
    const s = sims[0] as Sim;
    s.pauseHeartbeat('sim-node-2');
    await new Promise((r) => setTimeout(r, 150));
    const before = ((await client.get(leases, 'sim-node-2', 'kube-node-lease')) as unknown as Lease).spec?.renewTime ?? '';
    await client.create(pods, podSpec('while-paused', 'sim-node-2'), 'default');
    await new Promise((r) => setTimeout(r, 400));
    const held = ((await client.get(leases, 'sim-node-2', 'kube-node-lease')) as unknown as Lease).spec?.renewTime ?? '';
    assert.equal(held, before);
    assert.equal((await getPod('while-paused')).status?.phase, 'Pending');
    assert.equal(s.stats().pausedNodes, 1);
    s.resumeHeartbeat('sim-node-2');
    await eventually('the lease to be renewed again', async () => {
      const l = (await client.get(leases, 'sim-node-2', 'kube-node-lease')) as unknown as Lease;
      return (l.spec?.renewTime ?? '') > held ? true : undefined;
    });
    await eventually('the paused pod to run', async () => ((await getPod('while-paused')).status?.phase === 'Running' ? true : undefined));
  });

  it('adopts existing nodes and running pods after a restart, then deletes its nodes on stop', async () => {
    const old = sims[0] as Sim;
    await client.create(pods, podSpec('kept', 'sim-node-0'), 'default');
    const running = await eventually('kept Running', async () => {
      const p = await getPod('kept');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const uids = new Map((await client.list(nodes)).items.map((n) => [n.metadata.name, n.metadata.uid]));
    await old.stop();
    const again = sim({});
    await again.ready;
    const after = (await client.list(nodes)).items.filter((n) => n.metadata.name?.startsWith('sim-node-'));
    assert.equal(after.length, 3);
    for (const n of after) assert.equal(n.metadata.uid, uids.get(n.metadata.name));
    await new Promise((r) => setTimeout(r, 200));
    const same = await getPod('kept');
    assert.equal(same.metadata?.resourceVersion, running.metadata?.resourceVersion, 'an adopted running pod is not rewritten');
    assert.equal(again.stats().pods.running >= 2, true);
    await again.stop({ deleteNodes: true });
    const left = (await client.list(nodes)).items.filter((n) => n.metadata.name?.startsWith('sim-node-'));
    assert.deepEqual(left, []);
  });

  it('fails pods at the failure rate: Failed under Never, CrashLoopBackOff otherwise', async () => {
    const s = sim({ namePrefix: 'flaky-', nodes: 1, failureRate: 1 });
    await s.ready;
    await client.create(pods, podSpec('once', 'flaky-0', { restartPolicy: 'Never' }), 'default');
    await client.create(pods, podSpec('always', 'flaky-0'), 'default');
    const once = await eventually('once Failed', async () => {
      const p = await getPod('once');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(once.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 1);
    const always = await eventually('always crash-looping', async () => {
      const p = await getPod('always');
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    assert.equal(always.status?.containerStatuses?.[0]?.restartCount, 1);
    assert.equal(s.stats().podsFailed, 2);
    await s.stop({ deleteNodes: true });
  });

  it('reports Pending/ContainerCreating during the start delay, and uses the podCIDR a node gets', async () => {
    const s = sim({ namePrefix: 'slow-', nodes: 1, startDelayMs: 1000 });
    await s.ready;
    await client.patch(nodes, 'slow-0', { spec: { podCIDR: '10.42.7.0/24', podCIDRs: ['10.42.7.0/24'] } }, 'merge');
    await eventually('the sim to see the podCIDR', async () => ((await client.get(nodes, 'slow-0')).spec as { podCIDR?: string }).podCIDR ? true : undefined);
    await new Promise((r) => setTimeout(r, 100));
    await client.create(pods, podSpec('late', 'slow-0'), 'default');
    const pending = await eventually('late Pending/ContainerCreating', async () => {
      const p = await getPod('late');
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating' ? p : undefined;
    });
    assert.equal(pending.status?.phase, 'Pending');
    const p = await eventually('late Running', async () => {
      const p = await getPod('late');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.match(p.status?.podIP ?? '', /^10\.42\.7\.\d+$/);
    await s.stop({ deleteNodes: true });
    assert.deepEqual(errors, []);
  });
});
