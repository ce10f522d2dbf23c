// Endpoints, EndpointSlices, node lifecycle, taint eviction and node IPAM against a real
// `skiff server`, seen through kubectl 1.33. The test plays kubelet: it registers a Node, renews
// its Lease, and gives pods their nodeName, IP and readiness.
// The NotReady / eviction part runs the server with short grace periods
// (`--node-monitor-grace-period`, `--node-monitor-period`).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSkiff, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 20_000, intervalMs: 100 });

const micro = () => new Date().toISOString().replace('Z', '000Z');
const secs = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describe('nodes and endpoints', () => {
  let server: SkiffServer;
  let renew: NodeJS.Timeout | undefined;
  before(async () => {
    server = await startSkiff({ datastore: 'memory://', extraArgs: ['--disable-agent', '--node-monitor-grace-period', '2s', '--node-monitor-period', '200ms'] });
  });
  after(async () => {
    if (renew) clearInterval(renew);
    await server?.stop();
  });

  const req = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const r = await server.request(method, path, body === undefined ? undefined : JSON.stringify(body), contentType ? { 'Content-Type': contentType } : {});
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  const mergePatch = (path: string, body: unknown) => req('PATCH', path, body, 'application/merge-patch+json');
  const kubectl = async (args: string[]) => {
    const r = await server.kubectl(args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const pod = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { nodeName: 'n1', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
  });
  const runPod = async (name: string, ip: string, extra: Record<string, unknown> = {}) => {
    await req('POST', '/api/v1/namespaces/default/pods', pod(name, extra));
    await mergePatch(`/api/v1/namespaces/default/pods/${name}/status`, { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: secs() }] } });
  };

  it('publishes ready pod IPs in endpoints and slices, and gives the node a podCIDR', async () => {
    await req('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: secs(), lastTransitionTime: secs() }] },
    });
    await req('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: micro() } });
    renew = setInterval(() => {
      void server.request('PATCH', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n1', JSON.stringify({ spec: { renewTime: micro() } }), { 'Content-Type': 'application/merge-patch+json' });
    }, 200);

    await kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    await runPod('web-1', '10.42.7.11');
    await runPod('web-2', '10.42.7.12');

    const slices = await eventually('kubectl get endpointslices', async () => {
      const out = await kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
      return out.includes('10.42.7.11,10.42.7.12') ? out : undefined;
    });
    assert.match(slices, /^web-\S+\s+IPv4\s+8080\s+10\.42\.7\.11,10\.42\.7\.12\s/m);
    const eps = await eventually('kubectl get endpoints', async () => {
      const out = await kubectl(['get', 'endpoints', 'web']);
      return out.includes('10.42.7.11:8080,10.42.7.12:8080') ? out : undefined;
    });
    assert.match(eps, /^web\s+10\.42\.7\.11:8080,10\.42\.7\.12:8080\s/m);

    const cidr = await eventually('podCIDR', async () => (await kubectl(['get', 'node', 'n1', '-o', 'jsonpath={.spec.podCIDR}'])) || undefined);
    assert.match(cidr, /^10\.42\.\d+\.0\/24$/);
    assert.equal(await kubectl(['get', 'node', 'n1', '-o', 'jsonpath={.spec.podCIDRs[0]}']), cidr);
  });

  it('turns a node that stops renewing its Lease NotReady, taints it and evicts by toleration', async () => {
    await runPod('victim', '10.42.7.13', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }] });
    assert.match(await kubectl(['get', 'nodes', 'n1']), /^n1\s+Ready\s/m);
    clearInterval(renew);
    renew = undefined;

    await eventually('n1 NotReady', async () => ((await kubectl(['get', 'nodes', 'n1'])).match(/^n1\s+NotReady\s/m) ? true : undefined));
    const taints = await eventually('unreachable taints', async () => {
      const out = await kubectl(['get', 'node', 'n1', '-o', 'jsonpath={range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}']);
      return out.split('\n').filter(Boolean).length === 2 ? out : undefined;
    });
    assert.deepEqual(taints.split('\n').filter(Boolean).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    await eventually('victim evicted', async () => ((await server.kubectl(['get', 'pod', 'victim'])).code !== 0 ? true : undefined));
    // A pod with the default 300 s toleration stays, marked not ready.
    const ready = await kubectl(['get', 'pod', 'web-1', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
    assert.equal(ready, 'False');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=victim', '-o', 'jsonpath={.items[*].reason}']);
    assert.match(events, /TaintManagerEviction/);
  });
});
