// What every controller is started with: a client, the process's shared informers, an event
// recorder per component, options from the command line, the stop signal and an error sink.
// `skiff server` builds one context for all controllers (in-process transport); a controller run
// alone gets the same from a kubeconfig.

import type { ResourceInfo } from '../api/resources.js';
import { builtinResources } from '../api/resources.js';
import type { Client } from '../client/client.js';
import type { SharedInformers } from '../client/factory.js';
import type { Clock } from '../client/workqueue.js';
import type { RunningController } from './runner.js';
import { EventRecorder } from './events.js';

export interface ControllerOptions {
  /** Pod range nodes get their podCIDR from (`--cluster-cidr`, default 10.42.0.0/16). */
  clusterCidr: string;
  /** Prefix length of each node's podCIDR (default 24). */
  nodeCidrMaskSize: number;
  /** The cluster CA (PEM) published as kube-root-ca.crt. */
  caPem: string;
  /** Node lifecycle (upstream flags of the same names): unheard-of time before NotReady (40 s), check period (5 s), startup grace (60 s). */
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  nodeStartupGracePeriodMs?: number;
  /** EndpointSlice controller: endpoints per slice (100) and batching of pod changes (0 ms). */
  maxEndpointsPerSlice?: number;
  endpointUpdatesBatchPeriodMs?: number;
  /** Prefix length of IPv6 podCIDRs (64). */
  nodeCidrMaskSizeIPv6?: number;
}

export interface ControllerContext {
  client: Client;
  informers: SharedInformers;
  options: ControllerOptions;
  signal: AbortSignal;
  clock: Clock;
  recorder(component: string): EventRecorder;
  onError(err: unknown): void;
}

export interface ControllerDescriptor {
  /** As upstream's kube-controller-manager names it (`--controllers`), e.g. `deployment`. */
  name: string;
  start(ctx: ControllerContext): RunningController | RunningController[] | void;
}

export function newRecorderFactory(client: Client, onError: (err: unknown) => void): (component: string) => EventRecorder {
  const recorders = new Map<string, EventRecorder>();
  return (component) => {
    let r = recorders.get(component);
    if (!r) recorders.set(component, (r = new EventRecorder(client, component, { onError })));
    return r;
  };
}

/** The built-in resource of `group` and `kind` (throws for a typo: a programming error). */
export function resourceOf(group: string, kind: string): ResourceInfo {
  const r = builtinResources.find((x) => x.group === group && x.kind === kind);
  if (!r) throw new Error(`no built-in resource ${group || 'core'}/${kind}`);
  return r;
}
