// Pods: NAME READY STATUS RESTARTS AGE (+ wide IP NODE NOMINATED NODE READINESS GATES), with
// STATUS and RESTARTS computed the way upstream's printPod does.

import type { ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { humanDuration, parseTime } from '../../util/duration.js';
import { doc } from './descriptions.js';
import { age, arr, col, int, nameColumn, nameOf, typed, wide } from './common.js';
import type { Obj, Printer, TableCell, TableRowCondition } from './types.js';

const columns = [
  nameColumn,
  col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  col('Status', 'string', 'The aggregate status of the containers in this pod.'),
  col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  col('Age', 'string', doc['ObjectMeta.creationTimestamp']),
  wide(col('IP', 'string', doc['PodStatus.podIP'])),
  wide(col('Node', 'string', doc['PodSpec.nodeName'])),
  wide(col('Nominated Node', 'string', doc['PodStatus.nominatedNodeName'])),
  wide(col('Readiness Gates', 'string', doc['PodSpec.readinessGates'])),
];

/** Latest lastState.terminated.finishedAt seen so far (undefined = none). */
function laterRestart(prev: number | undefined, c: ContainerStatus): number | undefined {
  if (!c.lastState?.terminated) return prev;
  const t = parseTime(c.lastState.terminated.finishedAt);
  if (t === undefined) return prev;
  return prev === undefined || t > prev ? t : prev;
}

function conditionTrue(conds: PodCondition[], type: string): boolean {
  for (const c of conds) if (c.type === type) return c.status === 'True';
  return false;
}

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  lastRestart: number | undefined;
}

/** The READY / STATUS / RESTARTS computation of upstream's printPod. */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status: PodStatus = pod.status ?? {};
  const conditions = arr(status.conditions);
  const initSpecs = arr(spec?.initContainers);
  let total = arr(spec?.containers).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const phase = status.phase ?? '';
  let reason = status.reason || phase;
  for (const c of conditions) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  // Restartable init containers (sidecars) count towards READY like regular containers.
  const sidecars = new Set<string>();
  for (const ic of initSpecs) {
    if (ic.restartPolicy === 'Always') {
      sidecars.add(ic.name);
      total++;
    }
  }

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] as ContainerStatus;
    restarts += int(c.restartCount);
    lastRestart = laterRestart(lastRestart, c);
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += int(c.restartCount);
      lastSidecarRestart = laterRestart(lastSidecarRestart, c);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && int(term.exitCode) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = int(term.signal) !== 0 ? `Init:Signal:${int(term.signal)}` : `Init:ExitCode:${int(term.exitCode)}`;
      else reason = 'Init:' + term.reason;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = 'Init:' + waiting.reason;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    // Walk backwards so the first container's state wins the STATUS column.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] as ContainerStatus;
      restarts += int(c.restartCount);
      lastRestart = laterRestart(lastRestart, c);
      const term = c.state?.terminated;
      const waiting = c.state?.waiting;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = int(term.signal) !== 0 ? `Signal:${int(term.signal)}` : `ExitCode:${int(term.exitCode)}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  const deleting = pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
  if (deleting && status.reason === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Failed' && phase !== 'Succeeded') reason = 'Terminating';

  return { ready, total, reason, restarts, lastRestart };
}

function readinessGates(pod: Pod): string {
  const gates = arr(pod.spec?.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = arr(pod.status?.conditions);
  let trueCount = 0;
  for (const g of gates) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (c?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

function podIP(pod: Pod): string {
  const ips = arr(pod.status?.podIPs);
  const ip = ips.length > 0 ? ips[0]?.ip : pod.status?.podIP;
  return ip || '<none>';
}

function cells(obj: Obj, now: number): TableCell[] {
  const pod = typed<Pod>(obj);
  const s = summarizePod(pod);
  const restarts = s.restarts !== 0 && s.lastRestart !== undefined ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : String(s.restarts);
  return [
    nameOf(obj),
    `${s.ready}/${s.total}`,
    s.reason,
    restarts,
    age(obj, now),
    podIP(pod),
    pod.spec?.nodeName || '<none>',
    pod.status?.nominatedNodeName || '<none>',
    readinessGates(pod),
  ];
}

const succeeded: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
const failed: TableRowCondition[] = [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];

function conditions(obj: Obj): TableRowCondition[] | undefined {
  const phase = typed<Pod>(obj).status?.phase;
  if (phase === 'Succeeded') return succeeded.map((c) => ({ ...c }));
  if (phase === 'Failed') return failed.map((c) => ({ ...c }));
  return undefined;
}

export const podPrinter: Printer = { columns, cells, conditions };
