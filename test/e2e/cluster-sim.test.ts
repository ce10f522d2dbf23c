// The control plane end to end, as a user sees it: a real `skiff server` (scheduler and every
// controller inside), three simulated nodes in three zones (the sim engine in this process, over
// HTTPS with the admin kubeconfig, playing the kubelets), and real kubectl 1.33 doing the work.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { startSim, type Sim } from '../../src/sim/sim.js';
import { Client } from '../../src/client/client.js';
import { Informer } from '../../src/client/informer.js';
import { loadKubeconfig, Transport } from '../../src/client/transport.js';
import { resourceOf } from '../../src/controllers/context.js';
import type { KObject } from '../../src/apiserver/object.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 60_000, intervalMs: 100 });

const pods = resourceOf('', 'Pod');

const isReady = (p: KObject) => !p.metadata.deletionTimestamp && ((p as Pod).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('a cluster of simulated nodes driven by kubectl', () => {
  let server: SkiffServer;
  let sim: Sim;
  let client: Client;
  const stop = new AbortController();
  const errors: unknown[] = [];

  const k = async (args: string[], input?: string): Promise<string> => {
    const r = await server.kubectl(args, { ...(input !== undefined ? { input } : {}), timeoutMs: 120_000 });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const podsOf = async (ns: string, selector: string) => (await client.list(pods, { namespace: ns, labelSelector: selector })).items;

  /** Watches pods of `selector` and records the fewest Ready (not terminating) ones seen at any event. */
  const readyFloor = async (ns: string, selector: string) => {
    const inf = new Informer({ client, resource: pods, namespace: ns, labelSelector: selector });
    let min = Infinity;
    let events = 0;
    const check = () => {
      events++;
      min = Math.min(min, inf.store.list().filter(isReady).length);
    };
    inf.addHandlers({ onAdd: check, onUpdate: check, onDelete: check });
    void inf.start(stop.signal);
    await inf.waitForSync(stop.signal);
    return {
      /** The floor, once pods were seen changing (a floor over no events would prove nothing). */
      min: () => {
        assert.ok(events > 3, `the pods were seen changing (${events} events)`);
        return min;
      },
      stop: () => inf.stop(),
    };
  };

  before(async () => {
    server = await startSkiff({ extraArgs: ['--node-monitor-grace-period', '3s', '--node-monitor-period', '500ms'] });
    client = new Client(new Transport(loadKubeconfig(server.kubeconfig)));
    sim = startSim({ client, nodes: 3, zones: 3, cpu: '4', memory: '16Gi', leaseDurationSeconds: 1, signal: stop.signal, onError: (e) => errors.push(e) });
    await sim.ready;
    await eventually('3 Ready nodes', async () => ((await k(['get', 'nodes'])).match(/\sReady\s/g)?.length === 3 ? true : undefined));
  });
  after(async () => {
    stop.abort();
    await sim?.stop();
    await server?.stop();
  });

  it('rolls a Deployment out, forward with maxUnavailable respected, and back; scales to 0 and back; replaces deleted pods', async () => {
    await k(['create', 'namespace', 'roll']);
    await k(['create', 'deployment', 'web', '-n', 'roll', '--image=busybox:1', '--replicas=4']);
    await k(['patch', 'deployment', 'web', '-n', 'roll', '-p', '{"spec":{"strategy":{"rollingUpdate":{"maxUnavailable":1,"maxSurge":1}}}}']);
    assert.match(await k(['rollout', 'status', 'deployment/web', '-n', 'roll', '--timeout=60s']), /successfully rolled out/);
    assert.equal((await podsOf('roll', 'app=web')).filter(isReady).length, 4);

    const floor = await readyFloor('roll', 'app=web');
    await k(['set', 'image', 'deployment/web', '-n', 'roll', 'busybox=busybox:2']);
    assert.match(await k(['rollout', 'status', 'deployment/web', '-n', 'roll', '--timeout=60s']), /successfully rolled out/);
    floor.stop();
    assert.ok(floor.min() >= 3, `at most 1 unavailable during the rollout, saw ${floor.min()} ready`);
    const rs = await k(['get', 'rs', '-n', 'roll', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.replicas}{" "}{.spec.template.spec.containers[0].image}{"\\n"}{end}']);
    assert.deepEqual(rs.trim().split('\n').sort(), ['0 busybox:1', '4 busybox:2']);
    assert.match(await k(['rollout', 'history', 'deployment/web', '-n', 'roll']), /^1\s.*\n2\s/m);

    await k(['rollout', 'undo', 'deployment/web', '-n', 'roll']);
    assert.match(await k(['rollout', 'status', 'deployment/web', '-n', 'roll', '--timeout=60s']), /successfully rolled out/);
    assert.equal(await k(['get', 'deployment', 'web', '-n', 'roll', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'busybox:1');

    await k(['scale', 'deployment/web', '-n', 'roll', '--replicas=0']);
    await eventually('no pods', async () => ((await podsOf('roll', 'app=web')).length === 0 ? true : undefined));
    await k(['scale', 'deployment/web', '-n', 'roll', '--replicas=4']);
    assert.match(await k(['rollout', 'status', 'deployment/web', '-n', 'roll', '--timeout=60s']), /successfully rolled out/);

    const victim = (await podsOf('roll', 'app=web'))[0]!.metadata.name!;
    await k(['delete', 'pod', victim, '-n', 'roll']);
    await eventually('4 ready pods again', async () => {
      const ready = (await podsOf('roll', 'app=web')).filter(isReady);
      return ready.length === 4 && !ready.some((p) => p.metadata.name === victim) ? true : undefined;
    });
    assert.match(await k(['get', 'pods', '-n', 'roll', '-o', 'wide']), /Running\s+0\s+\S+\s+10\.42\.\d+\.\d+\s+sim-node-\d/);
  });

  it('taints a node that stops heartbeating and recreates its pods elsewhere', async () => {
    await k(['create', 'namespace', 'lost']);
    const tolerations = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
    ];
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'app', namespace: 'lost' }, spec: { replicas: 3, selector: { matchLabels: { app: 'lost' } }, template: { metadata: { labels: { app: 'lost' } }, spec: { tolerations, containers: [{ name: 'c', image: 'busybox' }] } } } };
    await k(['apply', '-f', '-'], JSON.stringify(dep));
    await k(['rollout', 'status', 'deployment/app', '-n', 'lost', '--timeout=60s']);
    const node = ((await podsOf('lost', 'app=lost'))[0] as Pod).spec!.nodeName!;
    sim.pauseHeartbeat(node);
    try {
      await eventually(`${node} NotReady`, async () => (new RegExp(`^${node}\\s+NotReady`, 'm').test(await k(['get', 'nodes'])) ? true : undefined), 30_000);
      const taints = await k(['get', 'node', node, '-o', 'jsonpath={.spec.taints[*].key}']);
      assert.match(taints, /node\.kubernetes\.io\/unreachable/);
      await eventually('3 ready pods on the other nodes', async () => {
        const ready = (await podsOf('lost', 'app=lost')).filter(isReady).filter((p) => (p as Pod).spec?.nodeName !== node);
        return ready.length === 3 ? true : undefined;
      }, 30_000);
    } finally {
      sim.resumeHeartbeat(node);
    }
    await eventually(`${node} Ready again`, async () => (new RegExp(`^${node}\\s+Ready`, 'm').test(await k(['get', 'nodes'])) ? true : undefined), 30_000);
  });

  it('drains a node without breaking a PodDisruptionBudget', async () => {
    await k(['create', 'namespace', 'drain']);
    await k(['create', 'deployment', 'guarded', '-n', 'drain', '--image=busybox', '--replicas=3']);
    await k(['rollout', 'status', 'deployment/guarded', '-n', 'drain', '--timeout=60s']);
    await k(['create', 'poddisruptionbudget', 'guarded', '-n', 'drain', '--selector=app=guarded', '--min-available=2']);
    await eventually('the budget computed', async () => ((await k(['get', 'pdb', 'guarded', '-n', 'drain', '-o', 'jsonpath={.status.disruptionsAllowed}'])) === '1' ? true : undefined));
    const node = ((await podsOf('drain', 'app=guarded'))[0] as Pod).spec!.nodeName!;
    const floor = await readyFloor('drain', 'app=guarded');
    try {
      const out = await k(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s']);
      assert.match(out, /evicted/);
      assert.match(out, new RegExp(`node/${node} drained`));
    } finally {
      floor.stop();
      await k(['uncordon', node]);
    }
    assert.ok(floor.min() >= 2, `the budget kept 2 pods ready, saw ${floor.min()}`);
    assert.equal((await podsOf('drain', 'app=guarded')).filter((p) => (p as Pod).spec?.nodeName === node && !p.metadata.deletionTimestamp).length, 0);
  });

  it('reports a pod that fits nowhere with the upstream message, and preempts for a high-priority pod', async () => {
    await k(['create', 'namespace', 'prio']);
    const huge = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'huge', namespace: 'prio' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100' } } }] } };
    await k(['apply', '-f', '-'], JSON.stringify(huge));
    const described = await eventually('FailedScheduling', async () => {
      const d = await k(['describe', 'pod', 'huge', '-n', 'prio']);
      return d.includes('FailedScheduling') ? d : undefined;
    });
    assert.match(described, /0\/3 nodes are available: 3 Insufficient cpu\. preemption: 0\/3 nodes are available: 3 No preemption victims found for incoming pod\.\./);
    await k(['delete', 'pod', 'huge', '-n', 'prio']);

    const filler = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'filler', namespace: 'prio' }, spec: { replicas: 3, selector: { matchLabels: { app: 'filler' } }, template: { metadata: { labels: { app: 'filler' } }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '3' } } }] } } } };
    await k(['apply', '-f', '-'], JSON.stringify(filler));
    await k(['rollout', 'status', 'deployment/filler', '-n', 'prio', '--timeout=60s']);
    await k(['create', 'priorityclass', 'e2e-high', '--value=1000']);
    try {
      const vip = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'vip', namespace: 'prio' }, spec: { priorityClassName: 'e2e-high', containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '3' } } }] } };
      await k(['apply', '-f', '-'], JSON.stringify(vip));
      const node = await eventually('the high-priority pod bound', async () => ((await client.get(pods, 'vip', 'prio')) as Pod).spec?.nodeName);
      assert.match(node, /^sim-node-\d$/);
      const events = await k(['get', 'events', '-n', 'prio', '--field-selector', 'reason=Preempted', '-o', 'jsonpath={.items[*].message}']);
      assert.match(events, /Preempted by pod \S+ on node sim-node-\d/);
    } finally {
      await k(['delete', 'priorityclass', 'e2e-high']);
    }
  });

  it('runs Jobs to completion, Indexed ones with their indexes', async () => {
    await k(['create', 'namespace', 'jobs']);
    const job = (name: string, extra: Record<string, unknown>) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'jobs' },
      spec: { completions: 3, parallelism: 2, ...extra, template: { metadata: { annotations: { 'skiff.dev/sim-exit-after': '500ms' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [job('plain', {}), job('indexed', { completionMode: 'Indexed' })] }));
    await k(['wait', '--for=condition=complete', 'job/plain', 'job/indexed', '-n', 'jobs', '--timeout=60s']);
    assert.match(await k(['get', 'jobs', '-n', 'jobs']), /^plain\s+Complete\s+3\/3/m);
    assert.equal(await k(['get', 'job', 'indexed', '-n', 'jobs', '-o', 'jsonpath={.status.completedIndexes}']), '0-2');
  });

  it('deletes a Deployment in foreground after its ReplicaSets and pods, and a namespace with everything in it', async () => {
    await k(['create', 'namespace', 'bye']);
    await k(['create', 'deployment', 'fg', '-n', 'bye', '--image=busybox', '--replicas=2']);
    await k(['rollout', 'status', 'deployment/fg', '-n', 'bye', '--timeout=60s']);
    await k(['delete', 'deployment', 'fg', '-n', 'bye', '--cascade=foreground', '--timeout=60s']);
    assert.equal((await k(['get', 'rs,pods', '-n', 'bye', '-l', 'app=fg', '-o', 'name'])).trim(), '', 'no ReplicaSet or pod outlives its Deployment');

    await k(['create', 'deployment', 'left', '-n', 'bye', '--image=busybox', '--replicas=2']);
    await k(['create', 'configmap', 'cfg', '-n', 'bye', '--from-literal=a=b']);
    await k(['create', 'service', 'clusterip', 'svc', '-n', 'bye', '--tcp=80:80']);
    await k(['rollout', 'status', 'deployment/left', '-n', 'bye', '--timeout=60s']);
    await k(['delete', 'namespace', 'bye', '--timeout=60s']);
    const gone = await server.kubectl(['get', 'namespace', 'bye']);
    assert.match(gone.stderr, /namespaces "bye" not found/);
    assert.equal((await client.list(pods, { namespace: 'bye' })).items.length, 0);
    assert.deepEqual(errors.filter((e) => !/aborted|stopped/i.test(String(e))), [], 'the simulated nodes saw no errors');
  });
});
