// `skiff server` flags (names follow k3s where k3s has one); behaviour lives in src/server/run.ts.
// The node agent's runtime options are shared with `skiff agent` (runtime-options.ts).

import { Command, InvalidArgumentError } from 'commander';
import type { ServerOptions } from '../server/run.js';
import { parseDuration } from '../util/duration.js';
import { addRuntimeOptions, runtimeFlags, runtimeOptions } from './runtime-options.js';
import { untilStopSignal } from './stop-signal.js';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

function portRange(v: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m || Number(m[1]) > Number(m[2])) throw new InvalidArgumentError('must be a range like 30000-32767');
  return [Number(m[1]), Number(m[2])];
}

function durationArg(v: string): number {
  try {
    return parseDuration(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, ...v.split(',').filter(Boolean)];
}

export function serverCommand(): Command {
  const cmd = new Command('server')
    .description('Run the control plane (API server, datastore, controllers, scheduler) and, unless --disable-agent, the node agent (the CRI container runtime) on this machine')
    .option('-d, --data-dir <dir>', 'folder for the datastore, certificates and state', '/var/lib/skiff/server')
    .option('--bind-address <ip>', 'address the API server listens on', '0.0.0.0')
    .option('--https-listen-port <port>', 'HTTPS port of the API server (0 picks a free one)', port, 6443)
    .option('--advertise-address <ip>', 'address clients and nodes use to reach the API server')
    .option('--datastore-endpoint <url>', 'sqlite://PATH (default: <data-dir>/db/state.db), etcd://HOST:PORT[,HOST:PORT], or memory://')
    .option('-o, --write-kubeconfig <file>', 'write the admin kubeconfig here (default: <data-dir>/kubeconfig.yaml)')
    .option('--write-kubeconfig-mode <mode>', 'file mode of the kubeconfig, octal (e.g. 644)', (v) => parseInt(v, 8))
    .option('--token-auth-file <file>', 'static bearer tokens, CSV lines: token,user,uid,"group1,group2"')
    .option('--tls-san <name>', 'extra host name or IP in the serving certificate (repeatable)', collect, [])
    .option('--service-cidr <cidr>', 'range of Service cluster IPs', '10.43.0.0/16')
    .option('--cluster-cidr <cidr>', 'range of pod IPs', '10.42.0.0/16')
    .option('--service-node-port-range <range>', 'range of NodePorts', portRange, [30000, 32767] as [number, number])
    .option('--disable-agent', 'run the control plane only: no node agent (container runtime) on this machine', false)
    .option('--node-monitor-grace-period <duration>', 'time a node may go unheard of before it is marked NotReady', durationArg, 40_000)
    .option('--node-monitor-period <duration>', 'how often node health is checked', durationArg, 5_000)
    .option('--disable-scheduler', 'run no scheduler in this process (run `skiff scheduler` elsewhere)', false)
    .option('--disable-controller-manager', 'run no controllers in this process (run `skiff controller-manager` elsewhere)', false);
  return addRuntimeOptions(cmd, 'embedded').action(async (o: Record<string, unknown>) => {
    const { startServer } = await import('../server/run.js');
    const opts = o as unknown as ServerOptions;
    const running = await startServer({ ...opts, ...(opts.disableAgent ? {} : { runtime: runtimeOptions(runtimeFlags(o, 'embedded')) }) });
    await untilStopSignal();
    await running.stop();
  });
}
