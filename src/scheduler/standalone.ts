// `skiff scheduler`: the scheduler as its own process against an API server, from a kubeconfig.
// With leader election (a coordination.k8s.io Lease `kube-system/kube-scheduler`, as upstream)
// only the leader schedules; losing the lease stops scheduling.

import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { Client } from '../client/client.js';
import { SharedInformers } from '../client/factory.js';
import { runLeaderElection } from '../client/leader.js';
import { Transport } from '../client/transport.js';
import { EventRecorder } from '../controllers/events.js';
import { defaultConfig, loadConfigFile, type SchedulerConfig } from './config.js';
import { startScheduler, validateConfig } from './scheduler.js';

export interface StandaloneOptions {
  kubeconfig?: string;
  config?: string;
  leaderElect?: boolean;
}

/** --kubeconfig, else the first existing file of $KUBECONFIG (as kubectl reads it). */
export function resolveKubeconfig(flag: string | undefined, env = process.env.KUBECONFIG): string {
  if (flag) return flag;
  const first = (env ?? '').split(':').find((p) => p !== '' && existsSync(p));
  if (!first) throw new Error('no kubeconfig: give --kubeconfig PATH or set KUBECONFIG');
  return first;
}

export async function runStandaloneScheduler(opts: StandaloneOptions, signal: AbortSignal, log: (m: string) => void): Promise<void> {
  const kubeconfig = resolveKubeconfig(opts.kubeconfig);
  const config: SchedulerConfig = opts.config ? loadConfigFile(opts.config) : defaultConfig();
  validateConfig(config);
  const transport = Transport.fromKubeconfig(kubeconfig);
  const client = new Client(transport);
  const report = (err: unknown) => log(`scheduler: ${(err as Error)?.message ?? String(err)}`);
  const identity = `${hostname()}_${randomBytes(4).toString('hex')}`;
  const recorders = new Map<string, EventRecorder>();
  const recorder = (component: string) => {
    let r = recorders.get(component);
    if (!r) recorders.set(component, (r = new EventRecorder(client, component, { host: hostname(), onError: report })));
    return r;
  };
  const run = async (sig: AbortSignal) => {
    // One listener per informer, queue and cache timer: a fixed number.
    setMaxListeners(64, sig);
    const informers = new SharedInformers(client, report);
    const sched = startScheduler({ client, informers, recorder, signal: sig, config, onError: report });
    informers.start(sig);
    await sched.ready.catch(() => undefined);
    if (!sig.aborted) log(`skiff scheduler ready: profiles ${[...sched.frameworks.keys()].join(', ')} (kubeconfig ${kubeconfig})`);
    await sched.done;
  };
  try {
    if (!opts.leaderElect) {
      await run(signal);
      return;
    }
    const lost = new AbortController();
    const stop = () => lost.abort();
    signal.addEventListener('abort', stop, { once: true });
    let running: Promise<void> | undefined;
    await runLeaderElection(
      {
        client,
        namespace: 'kube-system',
        name: 'kube-scheduler',
        identity,
        releaseOnCancel: true,
        onStartedLeading: (sig) => {
          log(`leading as ${identity}`);
          running = run(sig);
        },
        onStoppedLeading: () => {
          if (!signal.aborted) log('lost the kube-scheduler lease: stopping');
          stop();
        },
        onError: report,
      },
      lost.signal,
    );
    await running;
    if (!signal.aborted) throw new Error('leader election lost');
  } finally {
    await Promise.all([...recorders.values()].map((r) => r.flush()));
    transport.close();
  }
}
