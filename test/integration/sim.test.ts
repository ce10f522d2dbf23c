// `skiff sim` as a real process against a real `skiff server`, observed with kubectl: nodes
// Ready, Leases renewed, pods bound to sim nodes run, get deleted, complete; SIGTERM with
// --delete-nodes-on-exit removes the nodes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cidrContains, parseCidr } from '../../src/sim/ipam.js';
import { namespaceSettled, skiffMain, startSkiff, untilReady, type SkiffServer } from '../helpers/skiff.js';
import { eventuallyWith } from '../helpers/eventually.js';

const eventually = eventuallyWith({ timeoutMs: 20_000, intervalMs: 100 });

function podYaml(name: string, node: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${extra}spec:
  nodeName: ${node}
  containers:
  - name: app
    image: busybox
`;
}

describe('skiff sim (process) against skiff server', () => {
  let server: SkiffServer;
  let sim: ChildProcess | undefined;
  let simLog: () => string = () => '';

  before(async () => {
    server = await startSkiff();
    // The kubeconfig comes from KUBECONFIG, as kubectl takes it.
    sim = spawn(process.execPath, [skiffMain, 'sim', '--nodes', '3', '--node-lease-duration-seconds', '4', '--delete-nodes-on-exit'], {
      env: { ...process.env, KUBECONFIG: server.kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = untilReady(sim, 'skiff sim');
    simLog = out.output;
    await out.ready;
    await namespaceSettled(server, 'default');
  });

  after(async () => {
    if (sim && sim.exitCode === null && sim.signalCode === null) {
      const exited = new Promise((r) => sim!.once('exit', r));
      sim.kill('SIGKILL');
      await exited;
    }
    await server?.stop();
  });

  const kubectl = async (args: string[], input?: string) => {
    const r = await server.kubectl(args, input === undefined ? {} : { input });
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  it('registers three Ready nodes', async () => {
    const out = await kubectl(['get', 'nodes', '--no-headers']);
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const sims = rows.filter((r) => r[0]?.startsWith('sim-node-'));
    assert.deepEqual(sims.map((r) => r[0]), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    for (const r of sims) assert.equal(r[1], 'Ready', `STATUS of ${r[0]}`);
    const labels = await kubectl(['get', 'node', 'sim-node-1', '-o', 'jsonpath={.metadata.labels.kubernetes\\.io/hostname} {.metadata.labels.skiff\\.dev/sim}']);
    assert.equal(labels, 'sim-node-1 true');
  });

  it('renews the nodes\' Leases', async () => {
    const renewTimes = async () => (await kubectl(['get', 'leases', '-n', 'kube-node-lease', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.renewTime}{"\\n"}{end}']))
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('sim-node-'))
      .map((l) => l.split('=') as [string, string]);
    const first = await renewTimes();
    assert.equal(first.length, 3);
    const holder = await kubectl(['get', 'lease', 'sim-node-0', '-n', 'kube-node-lease', '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.equal(holder, 'sim-node-0');
    await eventually('every lease renewed', async () => {
      const now = new Map(await renewTimes());
      return first.every(([n, t]) => (now.get(n) ?? '') > t) ? true : undefined;
    });
  });

  it('runs a bound pod to Running and Ready with an IP, and deletes it', async () => {
    await kubectl(['apply', '-f', '-'], podYaml('web', 'sim-node-1'));
    const row = await eventually('web Running 1/1', async () => {
      const out = await kubectl(['get', 'pod', 'web', '-o', 'wide', '--no-headers']);
      const cols = out.trim().split(/\s+/);
      return cols[1] === '1/1' && cols[2] === 'Running' ? cols : undefined;
    });
    // NAME READY STATUS RESTARTS AGE IP NODE ...: the IP is from the node's podCIDR (set by the
    // server's node-IPAM controller) or, without one, from the sim's fake 10.244.1.0/24.
    const podCidr = await kubectl(['get', 'node', 'sim-node-1', '-o', 'jsonpath={.spec.podCIDR}']);
    assert.ok(cidrContains(parseCidr(podCidr || '10.244.1.0/24'), row[5] ?? ''), `IP ${row[5]} not in ${podCidr || '10.244.1.0/24'}`);
    assert.equal(row[6], 'sim-node-1');
    // kubectl delete waits until the pod is gone: the sim has to stop and delete it.
    await kubectl(['delete', 'pod', 'web', '--timeout=30s']);
    const r = await server.kubectl(['get', 'pod', 'web']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /NotFound/);
  });

  it('completes a pod with the exit annotation', async () => {
    await kubectl(['apply', '-f', '-'], podYaml('once', 'sim-node-2', '  annotations:\n    skiff.dev/sim-exit-after: 1s\n').replace('spec:\n', 'spec:\n  restartPolicy: Never\n'));
    await eventually('once Succeeded', async () => ((await kubectl(['get', 'pod', 'once', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded' ? true : undefined));
    const out = await kubectl(['get', 'pod', 'once', '--no-headers']);
    assert.equal(out.trim().split(/\s+/)[2], 'Completed');
  });

  it('deletes its nodes on SIGTERM with --delete-nodes-on-exit', async () => {
    const child = sim!;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, simLog());
    const out = await kubectl(['get', 'nodes', '--no-headers']);
    assert.doesNotMatch(out, /sim-node-/);
  });
});
