// The Job and CronJob controller tests' bench: the shared in-process cluster with a fake clock
// for the controllers' delays; the test plays kubelet (pod phases and exit codes) and reads events.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../../src/apiserver/object.js';
import type { ResourceInfo } from '../../../src/api/resources.js';
import { startCluster, type Cluster, type Starter } from '../../helpers/cluster.js';
import { eventually } from '../../helpers/eventually.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { res } from '../../helpers/resources.js';

/**
 * Moves `clock` by `ms`, then waits for `fn`; each poll that fails moves the clock one more second,
 * so a timer the controller arms just after the first move still fires (the test asserts what
 * happens once the time has passed, never how soon).
 */
export async function advanceUntil<T>(clock: FakeClock, ms: number, what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  clock.advance(ms);
  return eventually(what, async () => {
    const v = await fn();
    if (v === undefined || v === false) clock.advance(1000);
    return v;
  });
}

export interface Harness extends Cluster {
  clock: FakeClock;
  /** Live pods of namespace `ns` (optionally of one Job). */
  pods(ns: string, job?: string): Promise<Pod[]>;
  get(r: ResourceInfo, name: string, ns: string): Promise<KObject | undefined>;
  /** Plays kubelet: the pod's phase, with the container terminated by `exitCode` when given. */
  finish(pod: Pod, phase: 'Succeeded' | 'Failed', exitCode?: number): Promise<void>;
  /** `reason: message` of the events about `name` (in time order). */
  events(ns: string, name: string): Promise<string[]>;
}

export async function startHarness(start: Starter, opts: { now?: number } = {}): Promise<Harness> {
  // Ahead of real time, so objects the server stamps with real time are never in the fake future.
  const clock = new FakeClock(opts.now ?? Date.now() + 2000);
  const cluster = await startCluster({ clock });
  const client = cluster.client;
  await cluster.run(start);
  return {
    ...cluster,
    clock,
    async pods(ns, job) {
      const list = await client.list(res.pods, { namespace: ns, ...(job ? { labelSelector: `batch.kubernetes.io/job-name=${job}` } : {}) });
      return list.items as Pod[];
    },
    async get(r, name, ns) {
      try {
        return await client.get(r, name, ns);
      } catch {
        return undefined;
      }
    },
    async finish(pod, phase, exitCode) {
      const c = pod.spec?.containers[0];
      const code = exitCode ?? (phase === 'Succeeded' ? 0 : 1);
      const status = {
        phase,
        containerStatuses: [
          { name: c?.name ?? 'main', image: c?.image ?? '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error' } } },
        ],
      };
      await client.patch(res.pods, pod.metadata?.name ?? '', { status }, 'merge', { namespace: pod.metadata?.namespace ?? '', subresource: 'status' });
    },
    async events(ns, name) {
      const list = await client.list(res.events, { namespace: ns });
      return list.items
        .filter((e) => (e.involvedObject as { name?: string }).name === name)
        .sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)))
        .map((e) => `${String(e.reason)}: ${String(e.message)}`);
    },
  };
}
