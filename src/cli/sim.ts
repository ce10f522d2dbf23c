// `skiff sim` flags; behaviour lives in src/sim/sim.ts, imported when the command runs (see
// main.ts). Simulated nodes (like KWOK) against the API server of a kubeconfig (--kubeconfig,
// else $KUBECONFIG, else ~/.kube/config, as kubectl).

import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Taint } from 'kubernetes-types/core/v1.js';
import type { Transport } from '../client/transport.js';
import { exitAfterAnnotation, parseKeyValue, parseResource, parseTaint } from '../sim/options.js';
import { parseQuantity } from '../api/quantity.js';

function wholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number >= 0');
  return n;
}

function fraction(v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
}

function quantity(v: string): string {
  if (!parseQuantity(v)) throw new InvalidArgumentError('must be a quantity such as 8, 500m or 16Gi');
  return v;
}

/** Wraps a parser of repeatable `--flag value` options, turning its errors into commander's. */
function repeatable<T>(parse: (v: string) => T): (v: string, prev: T[]) => T[] {
  return (v, prev) => {
    try {
      return [...prev, parse(v)];
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** kubectl's order: the flag, then the first file of $KUBECONFIG, then ~/.kube/config. */
export function kubeconfigPath(flag: string | undefined, env = process.env): string {
  if (flag) return flag;
  const fromEnv = env.KUBECONFIG?.split(':').find(Boolean);
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

interface SimFlags {
  kubeconfig?: string;
  nodes: number;
  namePrefix: string;
  cpu: string;
  memory: string;
  pods: string;
  ephemeralStorage: string;
  capacity: [string, string][];
  allocatable: [string, string][];
  label: [string, string][];
  taint: Taint[];
  zones: number;
  kubeletVersion: string;
  startDelay: number;
  startJitter: number;
  failureRate: number;
  concurrency: number;
  nodeLeaseDurationSeconds: number;
  deleteNodesOnExit: boolean;
}

export function simCommand(): Command {
  return new Command('sim')
    .description('Run simulated nodes (like KWOK): registered, heartbeating, running the pods bound to them without containers')
    .addHelpText(
      'after',
      `
Nodes are named <name-prefix><i>, i = 0 … N-1, and labelled skiff.dev/sim=true. Existing nodes of
those names are adopted. A pod with restartPolicy Never or OnFailure and the annotation
  ${exitAfterAnnotation}: <duration>   (a Go duration: 5s, 1m30s)
succeeds that long after it started running.
`,
    )
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: $KUBECONFIG, then ~/.kube/config)')
    .option('-n, --nodes <n>', 'number of nodes', wholeNumber, 1)
    .option('--name-prefix <prefix>', 'node names are <prefix><i>, zero-based', 'sim-node-')
    .option('--cpu <qty>', 'CPU capacity of each node', quantity, '32')
    .option('--memory <qty>', 'memory capacity of each node', quantity, '256Gi')
    .option('--pods <n>', 'pod capacity of each node', quantity, '110')
    .option('--ephemeral-storage <qty>', 'ephemeral-storage capacity of each node', quantity, '100Gi')
    .option('--capacity <name=qty>', 'extra capacity, e.g. nvidia.com/gpu=8 (repeatable)', repeatable(parseResource), [])
    .option('--allocatable <name=qty>', 'allocatable lower than capacity for one resource (repeatable)', repeatable(parseResource), [])
    .option('--label <key=value>', 'label on every node (repeatable)', repeatable((v) => parseKeyValue(v, 'label')), [])
    .option('--taint <key=value:Effect>', 'taint on every new node (repeatable)', repeatable(parseTaint), [])
    .option('--zones <n>', 'spread nodes over n zones: topology.kubernetes.io/zone=zone-<i mod n>', wholeNumber, 0)
    .option('--kubelet-version <v>', 'status.nodeInfo.kubeletVersion', 'v1.31.0')
    .option('--start-delay <ms>', 'time from a pod being bound to it running', wholeNumber, 0)
    .option('--start-jitter <ms>', 'random extra start delay, uniform in [0, ms)', wholeNumber, 0)
    .option('--failure-rate <f>', 'fraction of pods that fail instead of running (Never: Failed; else CrashLoopBackOff)', fraction, 0)
    .option('--node-lease-duration-seconds <s>', "duration of the nodes' Leases; they are renewed every quarter of it (as the kubelet)", wholeNumber, 40)
    .option('--concurrency <n>', 'pod status writes in flight at once', wholeNumber, 32)
    .option('--delete-nodes-on-exit', 'delete the nodes on SIGINT/SIGTERM (their Leases follow by garbage collection)', false)
    .action(async (f: SimFlags) => {
      const { Client } = await import('../client/client.js');
      const { Transport } = await import('../client/transport.js');
      const { startSim } = await import('../sim/sim.js');
      const path = kubeconfigPath(f.kubeconfig);
      let transport: Transport;
      try {
        transport = Transport.fromKubeconfig(path);
      } catch (e) {
        throw new Error(`cannot use kubeconfig ${path}: ${(e as Error).message}; give --kubeconfig or set KUBECONFIG`);
      }
      const sim = startSim({
        client: new Client(transport),
        nodes: f.nodes,
        namePrefix: f.namePrefix,
        cpu: f.cpu,
        memory: f.memory,
        pods: f.pods,
        ephemeralStorage: f.ephemeralStorage,
        capacity: Object.fromEntries(f.capacity),
        allocatable: Object.fromEntries(f.allocatable),
        labels: Object.fromEntries(f.label),
        taints: f.taint,
        zones: f.zones,
        kubeletVersion: f.kubeletVersion,
        startDelayMs: f.startDelay,
        startJitterMs: f.startJitter,
        failureRate: f.failureRate,
        podConcurrency: Math.max(1, f.concurrency),
        leaseDurationSeconds: Math.max(1, f.nodeLeaseDurationSeconds),
        deleteNodesOnStop: f.deleteNodesOnExit,
      });
      // Timers are unref'd and a watch may be between retries: hold the process open until a signal.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      try {
        let sig = await Promise.race([sim.ready.then(() => undefined), stopped]);
        if (sig === undefined) {
          process.stderr.write(`skiff sim ready: ${sim.nodes.length} nodes (${sim.nodes[0] ?? ''} … ${sim.nodes[sim.nodes.length - 1] ?? ''}) against ${transport.server}\n`);
          sig = await stopped;
        }
        process.stderr.write(`skiff sim: ${sig}: stopping heartbeats${f.deleteNodesOnExit ? ' and deleting nodes' : ''}\n`);
      } finally {
        await sim.stop();
        clearInterval(keepAlive);
        transport.close();
      }
    });
}
