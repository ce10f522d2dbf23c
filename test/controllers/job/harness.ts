// Runs controllers against an in-process API server on the memory store, with a fake clock for
// the controllers' delays, and lets a test play kubelet (pod phases and exit codes) and read
// events. Shared by the Job and CronJob controller tests.

import type { Pod } from 'kubernetes-types/core/v1.js';
import { builtinResources } from '../../../src/api/resources.js';
import type { KObject } from '../../../src/apiserver/object.js';
import { ApiServer } from '../../../src/apiserver/server.js';
import { Client } from '../../../src/client/client.js';
import { SharedInformers } from '../../../src/client/factory.js';
import { InProcessTransport } from '../../../src/client/inprocess.js';
import type { Clock } from '../../../src/client/workqueue.js';
import { newRecorderFactory, type ControllerContext } from '../../../src/controllers/context.js';
import type { RunningController } from '../../../src/controllers/runner.js';
import { MemoryStore } from '../../../src/storage/memory.js';

export const res = (group: string, kind: string) => builtinResources.find((r) => r.group === group && r.kind === kind)!;
export const podsRes = res('', 'Pod');
export const jobsRes = res('batch', 'Job');
export const cronJobsRes = res('batch', 'CronJob');
export const eventsRes = res('', 'Event');

/** A clock that moves only when told; due timers fire in time order during `advance`. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== handle);
  }

  /** The earliest pending timer's due time. */
  nextDue(): number | undefined {
    return this.timers.reduce<number | undefined>((m, x) => (m === undefined || x.at < m ? x.at : m), undefined);
  }

  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = target;
  }

  advanceTo(t: number): void {
    this.advance(Math.max(0, t - this.t));
  }
}

export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

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

export interface Harness {
  client: Client;
  clock: FakeClock;
  errors: unknown[];
  /** Live pods of namespace `ns` (optionally of one Job). */
  pods(ns: string, job?: string): Promise<Pod[]>;
  get(r: typeof jobsRes, name: string, ns: string): Promise<KObject | undefined>;
  /** Plays kubelet: the pod's phase, with the container terminated by `exitCode` when given. */
  finish(pod: Pod, phase: 'Succeeded' | 'Failed', exitCode?: number): Promise<void>;
  /** `reason: message` of the events about `name` (in time order). */
  events(ns: string, name: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startHarness(start: (ctx: ControllerContext) => RunningController | RunningController[], opts: { now?: number } = {}): Promise<Harness> {
  const store = new MemoryStore();
  const api = new ApiServer({ store, authenticator: { authenticate: () => undefined } });
  await api.start();
  const transport = new InProcessTransport(api, { name: 'system:kube-controller-manager', groups: ['system:authenticated'] });
  const client = new Client(transport);
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  const ac = new AbortController();
  // Ahead of real time, so objects the server stamps with real time are never in the fake future.
  const clock = new FakeClock(opts.now ?? Date.now() + 2000);
  const ctx: ControllerContext = {
    client,
    informers: new SharedInformers(client, onError),
    options: { clusterCidr: '10.42.0.0/16', nodeCidrMaskSize: 24, caPem: '' },
    signal: ac.signal,
    clock,
    recorder: newRecorderFactory(client, onError),
    onError,
  };
  const started = start(ctx);
  const running = Array.isArray(started) ? started : [started];
  ctx.informers.start(ac.signal);
  await Promise.all(running.map((r) => r.ready));
  return {
    client,
    clock,
    errors,
    async pods(ns, job) {
      const list = await client.list(podsRes, { namespace: ns, ...(job ? { labelSelector: `batch.kubernetes.io/job-name=${job}` } : {}) });
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
      await client.patch(podsRes, pod.metadata?.name ?? '', { status }, 'merge', { namespace: pod.metadata?.namespace ?? '', subresource: 'status' });
    },
    async events(ns, name) {
      const list = await client.list(eventsRes, { namespace: ns });
      return list.items
        .filter((e) => (e.involvedObject as { name?: string }).name === name)
        .sort((a, b) => String(a.firstTimestamp).localeCompare(String(b.firstTimestamp)))
        .map((e) => `${String(e.reason)}: ${String(e.message)}`);
    },
    async stop() {
      ac.abort();
      await Promise.all(running.map((r) => r.done));
      transport.close();
      api.stop();
      await store.close();
    },
  };
}
