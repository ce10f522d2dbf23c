// DaemonSets and StatefulSets through a real `skiff server` and kubectl 1.33. There is no
// scheduler or kubelet here: the test plays both (FakeKubelet binds pods by their metadata.name
// affinity, marks them Running and Ready, and finishes graceful deletions), and the Nodes are
// plain API objects with a Ready condition.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/client/client.js';
import { Transport } from '../../src/client/transport.js';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { createNode, FakeKubelet, listPods } from '../controllers/history/cluster.js';
import { eventually } from '../helpers/eventually.js';

const daemonSetYaml = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations: {kubernetes.io/change-cause: "first"}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: "busybox:1"}]
`;

const statefulSetYaml = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  replicas: 3
  serviceName: nginx
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: "nginx:1"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;

describe('workload controllers with kubectl', () => {
  let server: SkiffServer;
  let client: Client;
  let kubelet: FakeKubelet;
  const stop = new AbortController();

  before(async () => {
    server = await startSkiff();
    client = new Client(new Transport({ server: server.url, ...server.tls }));
    kubelet = new FakeKubelet(client);
    await kubelet.start(stop.signal);
  });
  after(async () => {
    stop.abort();
    await server?.stop();
  });

  const k = async (args: string[], input?: string) => {
    const r = await server.kubectl(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** `where=image` of the live pods, sorted: where is the node (bound) or the pod name. */
  const images = async (selector: string, by: 'node' | 'name' = 'node') =>
    (await listPods(client, selector))
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => `${by === 'node' ? p.spec?.nodeName : p.metadata?.name}=${p.spec?.containers[0]?.image}`)
      .sort()
      .join(' ');

  it('runs a DaemonSet on every untainted node, rolls it, and undoes the rollout', async () => {
    for (const n of ['n1', 'n2', 'n3']) await createNode(client, n);
    await k(['taint', 'nodes', 'n3', 'dedicated=db:NoSchedule']);
    await k(['apply', '-f', '-'], daemonSetYaml);
    await eventually('pods on n1 and n2', async () => (await images('app=agent')) === 'n1=busybox:1 n2=busybox:1' || undefined, 20_000);
    assert.match(await k(['rollout', 'status', 'ds/agent', '--timeout=30s']), /daemon set "agent" successfully rolled out/);

    // Tolerating the taint brings n3 in (a second revision).
    await k(['patch', 'ds', 'agent', '--type=merge', '-p', '{"spec":{"template":{"spec":{"tolerations":[{"key":"dedicated","operator":"Exists"}]}}}}']);
    await eventually('a pod on n3', async () => (await images('app=agent')) === 'n1=busybox:1 n2=busybox:1 n3=busybox:1' || undefined, 20_000);

    await k(['set', 'image', 'ds/agent', 'c=busybox:2']);
    assert.match(await k(['rollout', 'status', 'ds/agent', '--timeout=60s']), /daemon set "agent" successfully rolled out/);
    assert.equal(await images('app=agent'), 'n1=busybox:2 n2=busybox:2 n3=busybox:2');
    const history = await k(['rollout', 'history', 'ds/agent']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE/);
    assert.match(history, /^1\s+first$/m);
    assert.match(history, /^3\s+/m);
    assert.match(await k(['rollout', 'history', 'ds/agent', '--revision=3']), /Image:\s+busybox:2/);
    const ds = JSON.parse(await k(['get', 'ds', 'agent', '-o', 'json'])) as { status: Record<string, number> };
    assert.equal(ds.status.desiredNumberScheduled, 3);
    assert.equal(ds.status.updatedNumberScheduled, 3);
    assert.equal(ds.status.numberAvailable, 3);

    assert.match(await k(['rollout', 'undo', 'ds/agent']), /rolled back/);
    await eventually('back at busybox:1', async () => (await images('app=agent')) === 'n1=busybox:1 n2=busybox:1 n3=busybox:1' || undefined, 30_000);
    assert.match(await k(['rollout', 'history', 'ds/agent']), /^4\s+/m);
  });

  it('runs a StatefulSet in order, scales down from the top, updates above a partition, and undoes', async () => {
    const firstSeen = kubelet.created.length;
    await k(['apply', '-f', '-'], statefulSetYaml);
    // The API server defaults rollingUpdate.partition to 0, so kubectl reports a partitioned roll out, as upstream.
    assert.match(await k(['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 3 new pods have been updated/);
    assert.deepEqual(kubelet.created.slice(firstSeen).filter((n) => n.startsWith('web-')), ['web-0', 'web-1', 'web-2']);
    const pvcs = await k(['get', 'pvc', '-o', 'name']);
    assert.deepEqual(pvcs.trim().split('\n').sort(), ['persistentvolumeclaim/data-web-0', 'persistentvolumeclaim/data-web-1', 'persistentvolumeclaim/data-web-2']);

    const deletedBefore = kubelet.deleted.length;
    await k(['scale', 'sts/web', '--replicas=1']);
    await eventually('web-2 and web-1 gone', async () => kubelet.deleted.length - deletedBefore >= 2 || undefined, 30_000);
    assert.equal(await images('app=web', 'name'), 'web-0=nginx:1');
    assert.deepEqual(kubelet.deleted.slice(deletedBefore), ['web-2', 'web-1']);
    await k(['scale', 'sts/web', '--replicas=3']);
    assert.match(await k(['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 3 new pods/);

    await k(['patch', 'sts', 'web', '--type=merge', '-p', '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}}}']);
    await k(['set', 'image', 'sts/web', 'c=nginx:2']);
    assert.match(await k(['rollout', 'status', 'sts/web', '--timeout=60s']), /partitioned roll out complete: 1 new pods have been updated/);
    await eventually('web-2 updated, web-0/1 not', async () => (await images('app=web', 'name')) === 'web-0=nginx:1 web-1=nginx:1 web-2=nginx:2' || undefined, 30_000);
    const history = await k(['rollout', 'history', 'sts/web']);
    assert.match(history, /^1\s+/m);
    assert.match(history, /^2\s+/m);

    assert.match(await k(['rollout', 'undo', 'sts/web']), /rolled back/);
    await eventually('web-2 back at nginx:1', async () => (await images('app=web', 'name')) === 'web-0=nginx:1 web-1=nginx:1 web-2=nginx:1' || undefined, 30_000);
    const sts = JSON.parse(await k(['get', 'sts', 'web', '-o', 'json'])) as { status: { currentRevision: string; updateRevision: string } };
    assert.match(await k(['rollout', 'history', 'sts/web']), /^3\s+/m);
    assert.ok(sts.status.updateRevision.startsWith('web-'));
  });
});
