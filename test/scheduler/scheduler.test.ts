// The scheduler against an in-process API server (memory store): the real request path for
// bindings, status patches and events, without a process.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../src/client/client.js';
import { EventRecorder } from '../../src/controllers/events.js';
import type { KObject } from '../../src/apiserver/object.js';
import { startScheduler, type RunningScheduler } from '../../src/scheduler/scheduler.js';
import { makeNode, makePod } from './fixtures.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { res } from '../helpers/resources.js';

const { pods, nodes, events } = res;

describe('scheduler (in-process API server)', () => {
  let cluster: Cluster;
  let client: Client;
  let sched: RunningScheduler;
  let errors: unknown[];

  async function addNode(name: string, capacity: Record<string, string>, taint?: string): Promise<void> {
    const b = makeNode(name).capacity(capacity);
    if (taint) b.taint(taint, '', 'NoSchedule');
    const n = b.obj();
    await client.create(nodes, { ...n, status: undefined } as unknown as KObject);
    await client.patch(nodes, name, { status: n.status }, 'merge', { subresource: 'status' });
  }

  async function addPod(p: Pod): Promise<void> {
    const { uid: _uid, ...meta } = p.metadata!;
    await client.create(pods, { ...p, metadata: meta, status: undefined } as unknown as KObject, 'default');
  }

  const getPod = async (name: string) => (await client.get(pods, name, 'default')) as unknown as Pod;

  before(async () => {
    cluster = await startCluster({ user: { name: 'system:kube-scheduler', groups: ['system:authenticated'] } });
    ({ client, errors } = cluster);
    await cluster.run(({ informers, signal, onError }) => (sched = startScheduler({ client, informers, recorder: new EventRecorder(client, 'default-scheduler'), signal, onError })));
  });

  after(async () => {
    await cluster.stop();
  });

  it('binds pods to nodes that fit and records Scheduled events', async () => {
    await addNode('cp', { cpu: '8', memory: '16Gi' }, 'node-role.kubernetes.io/control-plane');
    await addNode('small', { cpu: '1', memory: '2Gi' });
    await addNode('big', { cpu: '4', memory: '8Gi' });
    await addPod(makePod('web').req({ cpu: '2' }).obj());
    const bound = await eventually('web bound', async () => (await getPod('web')).spec?.nodeName || undefined);
    assert.equal(bound, 'big');
    const cond = (await getPod('web')).status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(cond?.status, 'True');
    const ev = await eventually('Scheduled event', async () => (await client.list(events, { namespace: 'default' })).items.find((e) => e.reason === 'Scheduled' && (e.involvedObject as { name: string }).name === 'web'));
    assert.equal(ev.message, 'Successfully assigned default/web to big');
    assert.equal((ev.source as { component: string }).component, 'default-scheduler');
  });

  it('marks a pod that fits nowhere, then schedules it when a node that fits appears', async () => {
    await addPod(makePod('huge').req({ cpu: '6' }).obj());
    const cond = await eventually('PodScheduled=False', async () => (await getPod('huge')).status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False'));
    assert.equal(cond.reason, 'Unschedulable');
    // The filter part, then DefaultPreemption's PostFilter verdict.
    assert.ok(cond.message?.startsWith('0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available:'), cond.message);
    const ev = await eventually('FailedScheduling', async () => (await client.list(events, { namespace: 'default' })).items.find((e) => e.reason === 'FailedScheduling'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, cond.message);
    assert.equal(sched.queue.where('default/huge'), 'unschedulable');
    await addNode('huge-node', { cpu: '16', memory: '32Gi' });
    assert.equal(await eventually('huge bound', async () => (await getPod('huge')).spec?.nodeName || undefined), 'huge-node');
  });

  it('counts what it placed: a second pod does not land where the first took the room', async () => {
    await addNode('tiny-a', { cpu: '1', memory: '1Gi' });
    await addNode('tiny-b', { cpu: '1', memory: '1Gi' });
    // Both pods fit only the tiny nodes (1 cpu each); they must end up on different ones.
    const pinned = (n: string) => makePod(n).req({ cpu: '1' }).requiredTerm([{ key: 'kubernetes.io/hostname', operator: 'In', values: ['tiny-a', 'tiny-b'] }]).obj();
    await addPod(pinned('one'));
    await addPod(pinned('two'));
    const a = await eventually('one bound', async () => (await getPod('one')).spec?.nodeName || undefined);
    const b = await eventually('two bound', async () => (await getPod('two')).spec?.nodeName || undefined);
    assert.deepEqual([a, b].sort(), ['tiny-a', 'tiny-b']);
  });

  it('leaves pods of other schedulers alone', async () => {
    await addPod(makePod('other').schedulerName('my-scheduler').obj());
    await new Promise((r) => setTimeout(r, 200));
    const p = await getPod('other');
    assert.equal(p.spec?.nodeName, undefined);
    assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled'), undefined);
    assert.equal(sched.queue.where('default/other'), undefined);
    assert.deepEqual(errors, []);
  });
});
