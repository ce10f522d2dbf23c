// What a simulation is made of: the options of `startSim` (and of `skiff sim`), their defaults,
// and the parsers the CLI uses for `--label`, `--taint`, `--capacity` and durations.

import type { Taint } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { Clock } from '../client/workqueue.js';
import { parseQuantity } from '../api/quantity.js';

/** Pod annotation: a run-to-completion pod (restartPolicy Never/OnFailure) succeeds this long after it started. */
export const exitAfterAnnotation = 'skiff.dev/sim-exit-after';
/** Label every simulated node carries (KWOK's `type=kwok`). */
export const simLabel = 'skiff.dev/sim';

export interface SimOptions {
  client: Client;
  /** How many nodes: named `<namePrefix><i>` for i = 0 … nodes-1 (zero-based). */
  nodes: number;
  namePrefix?: string;
  /** Capacity; allocatable is the same unless `allocatable` overrides an entry. */
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  /** Extended (or any other) resources, e.g. { 'nvidia.com/gpu': '8' }. */
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Spread nodes over this many zones: `topology.kubernetes.io/zone=zone-<i mod zones>`. */
  zones?: number;
  kubeletVersion?: string;
  /** InternalIPs come from here (default 172.16.0.0/12). */
  nodeIpRange?: string;
  /** Fake per-node pod /24s come from here when a node has no spec.podCIDR (default 10.244.0.0/16). */
  podIpPool?: string;
  /** Delay from seeing a bound pod to its Running status (default 0) plus uniform jitter in [0, startJitterMs). */
  startDelayMs?: number;
  startJitterMs?: number;
  /** Fraction of pods that fail instead of running (default 0). */
  failureRate?: number;
  /** Lease duration (default 40 s) and renewal period (default a quarter of it: 10 s, as the kubelet). */
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  /** Unchanged node status is re-posted this often (default 5 min, upstream nodeStatusReportFrequency). */
  statusReportMs?: number;
  /** Pod status writes in flight at once (default 32); node and lease writes have their own (default 16). */
  podConcurrency?: number;
  nodeConcurrency?: number;
  /** Delete the nodes when stopping (default false). */
  deleteNodesOnStop?: boolean;
  signal?: AbortSignal;
  onError?: (err: unknown) => void;
  clock?: Clock;
  /** In [0, 1): failure draws and start jitter (tests make them deterministic). */
  random?: () => number;
}

export type ResolvedSimOptions = Required<Omit<SimOptions, 'signal' | 'taints'>> & { signal?: AbortSignal; taints: Taint[] };

export function resolveOptions(o: SimOptions, clock: Clock): ResolvedSimOptions {
  if (!Number.isInteger(o.nodes) || o.nodes < 0) throw new Error(`nodes must be a whole number >= 0, got ${o.nodes}`);
  const failureRate = o.failureRate ?? 0;
  if (!(failureRate >= 0 && failureRate <= 1)) throw new Error(`failure rate must be in [0, 1], got ${failureRate}`);
  const leaseDurationSeconds = o.leaseDurationSeconds ?? 40;
  if (!Number.isInteger(leaseDurationSeconds) || leaseDurationSeconds < 1) throw new Error(`lease duration must be a whole number of seconds >= 1, got ${leaseDurationSeconds}`);
  return {
    client: o.client,
    nodes: o.nodes,
    namePrefix: o.namePrefix ?? 'sim-node-',
    cpu: o.cpu ?? '32',
    memory: o.memory ?? '256Gi',
    pods: o.pods ?? '110',
    ephemeralStorage: o.ephemeralStorage ?? '100Gi',
    capacity: o.capacity ?? {},
    allocatable: o.allocatable ?? {},
    labels: o.labels ?? {},
    taints: o.taints ?? [],
    zones: o.zones ?? 0,
    kubeletVersion: o.kubeletVersion ?? 'v1.31.0',
    nodeIpRange: o.nodeIpRange ?? '172.16.0.0/12',
    podIpPool: o.podIpPool ?? '10.244.0.0/16',
    startDelayMs: o.startDelayMs ?? 0,
    startJitterMs: o.startJitterMs ?? 0,
    failureRate,
    leaseDurationSeconds,
    renewIntervalMs: o.renewIntervalMs ?? leaseDurationSeconds * 250,
    statusReportMs: o.statusReportMs ?? 5 * 60_000,
    podConcurrency: o.podConcurrency ?? 32,
    nodeConcurrency: o.nodeConcurrency ?? 16,
    deleteNodesOnStop: o.deleteNodesOnStop ?? false,
    ...(o.signal ? { signal: o.signal } : {}),
    onError: o.onError ?? ((e: unknown) => console.error(`skiff sim: ${e instanceof Error ? e.message : String(e)}`)),
    clock,
    random: o.random ?? Math.random,
  };
}

/** `k=v` → [k, v]. */
export function parseKeyValue(s: string, what: string): [string, string] {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`${what} ${JSON.stringify(s)} must look like key=value`);
  return [s.slice(0, eq), s.slice(eq + 1)];
}

/** `name=quantity`, the quantity checked. */
export function parseResource(s: string): [string, string] {
  const [k, v] = parseKeyValue(s, 'resource');
  if (!parseQuantity(v)) throw new Error(`resource ${JSON.stringify(s)}: ${JSON.stringify(v)} is not a quantity such as 8, 500m or 16Gi`);
  return [k, v];
}

const effects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** `key=value:Effect` or `key:Effect`, as `kubectl taint` takes them. */
export function parseTaint(s: string): Taint {
  const colon = s.lastIndexOf(':');
  const effect = colon > 0 ? s.slice(colon + 1) : '';
  if (!effects.includes(effect)) throw new Error(`taint ${JSON.stringify(s)} must look like key=value:Effect with Effect one of ${effects.join(', ')}`);
  const kv = s.slice(0, colon);
  const eq = kv.indexOf('=');
  const key = eq >= 0 ? kv.slice(0, eq) : kv;
  if (!key) throw new Error(`taint ${JSON.stringify(s)} has no key`);
  return eq >= 0 ? { key, value: kv.slice(eq + 1), effect } : { key, effect };
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`5s`, `1m30s`, `250ms`) in ms; undefined when it is not one or is negative. */
export function parseGoDuration(s: string): number | undefined {
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  if (s === '0') return 0;
  let total = 0;
  let at = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (unitMs[m[2] as string] as number);
    at = re.lastIndex;
  }
  return at === s.length && at > 0 ? total : undefined;
}
