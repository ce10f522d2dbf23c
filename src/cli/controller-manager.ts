// `skiff controller-manager`: the controllers `skiff server` runs, alone, against any API server
// (kubeconfig from --kubeconfig or KUBECONFIG, as kubectl takes it). With leader election on
// (the default, as upstream), only one of several copies reconciles at a time.
//
// The implementation (client, controllers, leader election) is imported when the command runs,
// so that `skiff --help` and the other roles do not load it (see main.ts).

import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import type { ControllerContext } from '../controllers/context.js';
import { parseDuration } from '../util/duration.js';

/**
 * The names of controllers/all.ts's controllers, in its order, for --help without loading them.
 * A test keeps the two lists equal.
 */
export const CONTROLLER_NAMES: readonly string[] = [
  'serviceaccount',
  'root-ca-cert-publisher',
  'garbage-collector',
  'disruption',
  'namespace',
  'pod-garbage-collector',
  'endpointslice',
  'endpoint',
  'node-lifecycle',
  'taint-eviction-controller',
  'node-ipam',
  'replicaset',
  'deployment',
  'job',
  'cronjob',
  'daemonset',
  'statefulset',
];

function collect(v: string, prev: string[]): string[] {
  return [...prev, ...v.split(',').filter(Boolean)];
}

/** The kubeconfig a component uses: the flag, else $KUBECONFIG, else an error saying so. */
export function kubeconfigPath(flag: string | undefined): string {
  const path = flag ?? process.env.KUBECONFIG?.split(':')[0];
  if (!path) throw new Error('no kubeconfig: give --kubeconfig PATH or set KUBECONFIG');
  return path;
}

export function controllerManagerCommand(): Command {
  return new Command('controller-manager')
    .description('Run the controllers against an API server (as kube-controller-manager)')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: $KUBECONFIG)')
    .option('--controllers <names>', `controllers to run: '*' for all, 'name' to enable, '-name' to disable (known: ${CONTROLLER_NAMES.join(', ')})`, collect, [])
    .option('--cluster-cidr <cidr>', 'range of pod IPs nodes get their podCIDR from', '10.42.0.0/16')
    .option('--node-cidr-mask-size <bits>', 'prefix length of each node podCIDR', (v) => Number(v), 24)
    .option('--node-monitor-grace-period <duration>', 'time a node may go unheard of before it is marked NotReady', parseDuration, 40_000)
    .option('--node-monitor-period <duration>', 'how often node health is checked', parseDuration, 5_000)
    .option('--no-leader-elect', 'run without leader election (only one copy may run)')
    .action(async (o: { kubeconfig?: string; controllers: string[]; clusterCidr: string; nodeCidrMaskSize: number; leaderElect: boolean; nodeMonitorGracePeriod: number; nodeMonitorPeriod: number }) => {
      const { Client } = await import('../client/client.js');
      const { SharedInformers } = await import('../client/factory.js');
      const { runLeaderElection } = await import('../client/leader.js');
      const { loadKubeconfig, Transport } = await import('../client/transport.js');
      const { realClock } = await import('../client/workqueue.js');
      const { controllers } = await import('../controllers/all.js');
      const { newRecorderFactory } = await import('../controllers/context.js');
      const { selectControllers } = await import('../controllers/select.js');
      const selected = selectControllers(controllers, o.controllers);
      const cfg = loadKubeconfig(kubeconfigPath(o.kubeconfig));
      const client = new Client(new Transport(cfg));
      const report = (err: unknown) => process.stderr.write(`controller: ${(err as Error)?.message ?? String(err)}\n`);
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const run = (signal: AbortSignal) => {
        const ctx: ControllerContext = {
          client,
          informers: new SharedInformers(client, report),
          options: { clusterCidr: o.clusterCidr, nodeCidrMaskSize: o.nodeCidrMaskSize, caPem: cfg.ca ?? '', nodeMonitorGracePeriodMs: o.nodeMonitorGracePeriod, nodeMonitorPeriodMs: o.nodeMonitorPeriod },
          signal,
          clock: realClock,
          recorder: newRecorderFactory(client, report),
          onError: report,
        };
        for (const c of selected) c.start(ctx);
        ctx.informers.start(signal);
        process.stderr.write(`skiff controller-manager: running ${selected.map((c) => c.name).join(', ')}\n`);
      };
      if (!o.leaderElect) {
        run(stop.signal);
      } else {
        await runLeaderElection(
          {
            client,
            namespace: 'kube-system',
            name: 'kube-controller-manager',
            identity: `${hostname()}_${randomUUID()}`,
            releaseOnCancel: true,
            onStartedLeading: run,
            onNewLeader: (id) => process.stderr.write(`skiff controller-manager: leader is ${id}\n`),
            onError: report,
          },
          stop.signal,
        );
      }
      await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
    });
}
