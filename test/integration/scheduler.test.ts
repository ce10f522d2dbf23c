// The scheduler inside `skiff server`, seen through the API and kubectl: pods land on the nodes
// that fit; a pod that fits nowhere says why (FailedScheduling event, PodScheduled=False) and is
// scheduled as soon as a node that fits is added. No kubelet exists yet: the test creates Node
// objects and writes their status itself.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { namespaceSettled, skiffMain, startSkiff, untilReady, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 15_000, intervalMs: 50 });

const ns = 'sched';

describe('scheduler in skiff server', () => {
  let server: SkiffServer;

  const json = (method: string, path: string, body?: unknown, contentType?: string) =>
    server.request(method, path, body === undefined ? undefined : JSON.stringify(body), contentType ? { 'Content-Type': contentType } : {});

  async function addNode(name: string, cpu: string, taint?: string): Promise<void> {
    const spec = taint ? { taints: [{ key: taint, effect: 'NoSchedule' }] } : {};
    const created = await json('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec });
    assert.equal(created.status, 201, created.body);
    const resources = { cpu, memory: '8Gi', pods: '110' };
    const status = { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'test node' }] };
    const patched = await json('PATCH', `/api/v1/nodes/${name}/status`, { status }, 'application/merge-patch+json');
    assert.equal(patched.status, 200, patched.body);
  }

  async function addPod(name: string, cpu: string, extra: Record<string, unknown> = {}): Promise<void> {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], ...extra } };
    const r = await server.kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(r.code, 0, r.stderr);
  }

  const nodeOf = async (name: string) => {
    const r = await json('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
    return (JSON.parse(r.body) as { spec?: { nodeName?: string } }).spec?.nodeName || undefined;
  };

  before(async () => {
    server = await startSkiff();
    assert.equal((await json('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status, 201);
    await namespaceSettled(server, ns);
    await addNode('cp', '8', 'node-role.kubernetes.io/control-plane');
    await addNode('w1', '1');
    await addNode('w2', '4');
  });

  after(async () => {
    await server?.stop();
  });

  it('binds pods to the nodes that fit them', async () => {
    await addPod('web', '2');
    await addPod('pinned', '100m', { nodeSelector: { 'kubernetes.io/hostname': 'w1' } });
    assert.equal(await eventually('web bound', () => nodeOf('web')), 'w2');
    assert.equal(await eventually('pinned bound', () => nodeOf('pinned')), 'w1');
    const wide = await server.kubectl(['get', 'pod', 'web', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}']);
    assert.equal(wide.stdout, 'True');
  });

  it('explains a pod that fits nowhere and schedules it once a fitting node is added', async () => {
    await addPod('huge', '6');
    const describe = await eventually('FailedScheduling in describe', async () => {
      const r = await server.kubectl(['describe', 'pod', 'huge', '-n', ns]);
      return /FailedScheduling/.test(r.stdout) ? r.stdout : undefined;
    });
    assert.match(describe, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 1 node\(s\) had untolerated taint \{node-role\.kubernetes\.io\/control-plane: \}, 2 Insufficient cpu\./);
    assert.match(describe, /PodScheduled\s+False/);
    const reason = await server.kubectl(['get', 'pod', 'huge', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}']);
    assert.equal(reason.stdout, 'Unschedulable');
    assert.equal(await nodeOf('huge'), undefined);

    await addNode('w3', '8');
    assert.equal(await eventually('huge bound after the node came', () => nodeOf('huge')), 'w3');
    const events = await eventually('Scheduled event', async () => {
      const r = await server.kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=huge,reason=Scheduled', '-o', 'jsonpath={.items[*].message}']);
      return r.stdout ? r.stdout : undefined;
    });
    assert.equal(events, 'Successfully assigned sched/huge to w3');
  });

  it('skiff scheduler runs another profile from a configuration file', async () => {
    const cfg = join(server.dataDir, 'scheduler.yaml');
    writeFileSync(cfg, ['apiVersion: kubescheduler.config.k8s.io/v1', 'kind: KubeSchedulerConfiguration', 'profiles:', '- schedulerName: bin-packer', '  pluginConfig:', '  - name: NodeResourcesFit', '    args:', '      scoringStrategy:', '        type: MostAllocated', ''].join('\n'));
    const child = spawn(process.execPath, [skiffMain, 'scheduler', '--config', cfg], { env: { ...process.env, KUBECONFIG: server.kubeconfig }, stdio: ['ignore', 'ignore', 'pipe'] });
    const { ready } = untilReady(child, 'skiff scheduler');
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await ready;
      await addPod('packed', '100m', { schedulerName: 'bin-packer' });
      assert.ok(await eventually('packed bound', () => nodeOf('packed')));
      const from = await eventually('its Scheduled event', async () => {
        const r = await server.kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=packed,reason=Scheduled', '-o', 'jsonpath={.items[*].source.component}']);
        return r.stdout ? r.stdout : undefined;
      });
      assert.equal(from, 'bin-packer');
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  });
});
