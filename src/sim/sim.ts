// `startSim`: simulated nodes against any API server, as KWOK does. Composes the node fleet
// (registration, Lease heartbeats, node status) and the pod driver (pod lifecycle) on one Timeline
// and two write limiters, so it runs as well in-process (tests, benchmarks) as in `skiff sim`.
//
// Start-up order: node informer started → nodes registered (or adopted) with their Leases → node
// informer synced (pod ranges are known) → heartbeats start → pod informer synced → `ready`.
// `stop()` (or aborting `signal`) stops heartbeats first, so the node lifecycle controller will
// see the nodes' Leases expire, then the informers and in-flight writes; with `deleteNodes`
// (default: `deleteNodesOnStop`) the nodes are deleted last.

import { setMaxListeners } from 'node:events';
import { realClock } from '../client/workqueue.js';
import { NodeFleet } from './fleet.js';
import { Limiter } from './limiter.js';
import { resolveOptions, type SimOptions } from './options.js';
import { PodDriver } from './pods.js';
import { Timeline } from './timeline.js';

export interface SimStats {
  nodes: number;
  pausedNodes: number;
  leaseRenewals: number;
  leaseErrors: number;
  /** Renewals skipped because the previous one of that node was still in flight. */
  leaseSkips: number;
  nodeStatusPosts: number;
  /** Pods on the sim's nodes that it is tracking, by where they are in their life. */
  pods: { new: number; starting: number; running: number; stopping: number; done: number };
  podsStarted: number;
  podsFailed: number;
  podsSucceeded: number;
  podsDeleted: number;
  podStatusWrites: number;
  podWriteErrors: number;
  /** Timeline entries: one per node heartbeat plus one per pod waiting for a start or an exit. */
  timers: number;
  writesInFlight: number;
  writesQueued: number;
}

export interface Sim {
  /** Resolves once the nodes are registered, heartbeating, and the pods on them are being driven; rejects if registration fails. */
  ready: Promise<void>;
  /** Node names, in index order. */
  nodes: string[];
  stats(): SimStats;
  /** Stops one node's heartbeats (Lease and status) and its pods' updates, as if its kubelet died. */
  pauseHeartbeat(nodeName: string): void;
  /** Starts them again: the Lease is renewed and status posted at once, its pods are picked up. */
  resumeHeartbeat(nodeName: string): void;
  stop(opts?: { deleteNodes?: boolean }): Promise<void>;
}

export function startSim(opts: SimOptions): Sim {
  const clock = opts.clock ?? realClock;
  const o = resolveOptions(opts, clock);
  const controller = new AbortController();
  const signal = controller.signal;
  // Every in-flight request and informer listens on it: up to both concurrencies plus two watches.
  setMaxListeners(0, signal);
  const timeline = new Timeline(clock, o.onError);
  const nodeLimiter = new Limiter(o.nodeConcurrency);
  const podLimiter = new Limiter(o.podConcurrency);
  const fleet = new NodeFleet(o, timeline, nodeLimiter, signal);
  const pods = new PodDriver(o, fleet, timeline, podLimiter, signal);

  const ready = (async () => {
    void fleet.informer.start(signal);
    await fleet.register();
    await fleet.informer.waitForSync(signal);
    fleet.startHeartbeats();
    void pods.informer.start(signal);
    await pods.informer.waitForSync(signal);
  })();
  // Callers that never await `ready` must not crash the process with an unhandled rejection.
  ready.catch(() => undefined);

  let stopping: Promise<void> | undefined;
  const stop = (s: { deleteNodes?: boolean } = {}): Promise<void> => {
    stopping ??= (async () => {
      fleet.stopHeartbeats();
      timeline.stop();
      fleet.informer.stop();
      pods.informer.stop();
      controller.abort(new Error('simulation stopped'));
      if (s.deleteNodes ?? o.deleteNodesOnStop) await fleet.deleteAll();
    })();
    return stopping;
  };
  if (opts.signal) {
    if (opts.signal.aborted) void stop();
    else opts.signal.addEventListener('abort', () => void stop(), { once: true });
  }

  return {
    ready,
    nodes: [...fleet.nodes.keys()],
    stats() {
      const f = fleet.stats;
      const p = pods.stats;
      return {
        nodes: fleet.nodes.size,
        pausedNodes: [...fleet.nodes.values()].filter((n) => n.paused).length,
        leaseRenewals: f.leaseRenewals,
        leaseErrors: f.leaseErrors,
        leaseSkips: f.leaseSkips,
        nodeStatusPosts: f.statusPosts,
        pods: pods.counts(),
        podsStarted: p.started,
        podsFailed: p.failed,
        podsSucceeded: p.succeeded,
        podsDeleted: p.deleted,
        podStatusWrites: p.statusWrites,
        podWriteErrors: p.writeErrors,
        timers: timeline.size,
        writesInFlight: nodeLimiter.inFlight + podLimiter.inFlight,
        writesQueued: nodeLimiter.queued + podLimiter.queued,
      };
    },
    pauseHeartbeat(name) {
      fleet.pause(name);
    },
    resumeHeartbeat(name) {
      fleet.resume(name);
      pods.resumeNode(name);
    },
    stop,
  };
}
