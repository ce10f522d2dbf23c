// Pod statuses as the kubelet reports them at each step of a pod's life, built from the pod and
// the time: Pending (sandbox being created), Running and Ready, crash-looping, Failed, Succeeded.
// Condition types, reasons and container states follow upstream's kubelet (status package and
// kuberuntime); the sim only skips the steps in between (image pulls, probes).
//
// Every builder returns the whole status the sim owns; it is sent as a strategic-merge patch, so
// conditions written by others (DisruptionTarget, readiness gates) are kept and qosClass, which
// the sim never sends, stays as the API server set it.

import { createHash } from 'node:crypto';
import type { Container, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from './node.js';

export interface StatusContext {
  now: number;
  hostIP: string;
  /** Set once the pod has an address (Running and after). */
  podIP?: string;
}

function hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A stable fake container ID: `sim://<64 hex>`, from the pod UID and the container name. */
export function containerID(podUid: string, name: string): string {
  return `sim://${hex(`${podUid}/${name}`)}`;
}

/** What a runtime reports as imageID: the repository with a (fake, stable) digest. */
export function imageID(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  return `${repo}@sha256:${hex(image)}`;
}

function cond(type: string, status: 'True' | 'False', at: string, reason?: string, message?: string): PodCondition {
  return { type, status, lastTransitionTime: at, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** PodScheduled: kept as the scheduler wrote it if True, else (a pod created with spec.nodeName) True now. */
function scheduled(pod: Pod, at: string): PodCondition {
  const had = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True');
  return had ? { ...had } : cond('PodScheduled', 'True', at);
}

function isSidecar(c: Container): boolean {
  return (c as Container & { restartPolicy?: string }).restartPolicy === 'Always';
}

function base(pod: Pod, ctx: StatusContext): PodStatus {
  const s: PodStatus = {
    hostIP: ctx.hostIP,
    hostIPs: [{ ip: ctx.hostIP }],
    startTime: pod.status?.startTime ?? rfc3339(ctx.now),
  };
  if (ctx.podIP) {
    s.podIP = ctx.podIP;
    s.podIPs = [{ ip: ctx.podIP }];
  }
  return s;
}

function status(c: Container, fields: Partial<ContainerStatus>): ContainerStatus {
  return {
    name: c.name,
    image: c.image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    ...fields,
  };
}

function names(cs: Container[]): string {
  return `[${cs.map((c) => c.name).join(' ')}]`;
}

/** Accepted by the node, sandbox and containers being created. */
export function pendingStatus(pod: Pod, ctx: StatusContext): PodStatus {
  const at = rfc3339(ctx.now);
  const inits = pod.spec?.initContainers ?? [];
  const containers = pod.spec?.containers ?? [];
  const waiting = (reason: string) => ({ state: { waiting: { reason } } });
  return {
    ...base(pod, { now: ctx.now, hostIP: ctx.hostIP }),
    phase: 'Pending',
    conditions: [
      cond('PodReadyToStartContainers', 'False', at),
      inits.length ? cond('Initialized', 'False', at, 'ContainersNotInitialized', `containers with incomplete status: ${names(inits)}`) : cond('Initialized', 'True', at),
      cond('Ready', 'False', at, 'ContainersNotReady', `containers with unready status: ${names(containers)}`),
      cond('ContainersReady', 'False', at, 'ContainersNotReady', `containers with unready status: ${names(containers)}`),
      scheduled(pod, at),
    ],
    ...(inits.length ? { initContainerStatuses: inits.map((c) => status(c, waiting('PodInitializing'))) } : {}),
    containerStatuses: containers.map((c) => status(c, waiting(inits.length ? 'PodInitializing' : 'ContainerCreating'))),
  };
}

/** Init containers done (sidecars running), every container running (since `started`, default now) and ready. */
export function runningStatus(pod: Pod, ctx: StatusContext, started = ctx.now): PodStatus {
  const at = rfc3339(ctx.now);
  const since = rfc3339(started);
  const uid = pod.metadata?.uid ?? '';
  const running = (c: Container): ContainerStatus =>
    status(c, { imageID: imageID(c.image ?? ''), containerID: containerID(uid, c.name), ready: true, started: true, state: { running: { startedAt: since } } });
  const inits = (pod.spec?.initContainers ?? []).map((c) =>
    isSidecar(c)
      ? running(c)
      : status(c, {
          imageID: imageID(c.image ?? ''),
          containerID: containerID(uid, c.name),
          ready: true,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: since, finishedAt: since, containerID: containerID(uid, c.name) } },
        }),
  );
  return {
    ...base(pod, ctx),
    phase: 'Running',
    conditions: [cond('PodReadyToStartContainers', 'True', at), cond('Initialized', 'True', at), cond('Ready', 'True', at), cond('ContainersReady', 'True', at), scheduled(pod, at)],
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    containerStatuses: (pod.spec?.containers ?? []).map(running),
  };
}

/** When a running container started (for exit-after), from a status this sim wrote. */
export function startedAt(pod: Pod): number | undefined {
  const t = pod.status?.containerStatuses?.find((c) => c.state?.running?.startedAt)?.state?.running?.startedAt;
  return t ? Date.parse(t) : undefined;
}

/**
 * Every container has terminated (having started at `started`, default: as the status says): with exit code 0 (`Succeeded`: run-to-completion pods, and pods
 * stopped on deletion) or, for `Failed`, the first app container with exit code 1 (`Error`).
 */
export function terminatedStatus(pod: Pod, ctx: StatusContext, phase: 'Succeeded' | 'Failed', started = startedAt(pod)): PodStatus {
  const at = rfc3339(ctx.now);
  const uid = pod.metadata?.uid ?? '';
  const since = started !== undefined ? rfc3339(started) : at;
  const reason = phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
  const containers = pod.spec?.containers ?? [];
  const ended = (c: Container, exitCode: number): ContainerStatus =>
    status(c, {
      imageID: imageID(c.image ?? ''),
      containerID: containerID(uid, c.name),
      state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: since, finishedAt: at, containerID: containerID(uid, c.name) } },
    });
  const inits = (pod.spec?.initContainers ?? []).map((c) => ({ ...ended(c, 0), ready: !isSidecar(c) }));
  return {
    ...base(pod, ctx),
    phase,
    conditions: [
      cond('PodReadyToStartContainers', 'False', at),
      cond('Initialized', 'True', at, 'PodCompleted'),
      cond('Ready', 'False', at, reason),
      cond('ContainersReady', 'False', at, reason),
      scheduled(pod, at),
    ],
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    containerStatuses: containers.map((c, i) => ended(c, phase === 'Failed' && i === 0 ? 1 : 0)),
  };
}

/**
 * A failure under restartPolicy Always/OnFailure: the first app container exited with code 1, was
 * restarted once and is now in CrashLoopBackOff (it stays there; the sim does not keep restarting).
 */
export function crashLoopStatus(pod: Pod, ctx: StatusContext): PodStatus {
  const s = runningStatus(pod, ctx);
  const at = rfc3339(ctx.now);
  const [first, ...rest] = s.containerStatuses ?? [];
  if (!first) return s;
  const ns = pod.metadata?.namespace ?? '';
  const crashed: ContainerStatus = {
    ...first,
    ready: false,
    started: false,
    restartCount: 1,
    state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=${first.name} pod=${pod.metadata?.name ?? ''}_${ns}(${pod.metadata?.uid ?? ''})` } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: at, finishedAt: at, ...(first.containerID ? { containerID: first.containerID } : {}) } },
  };
  const msg = `containers with unready status: [${first.name}]`;
  s.containerStatuses = [crashed, ...rest];
  s.conditions = (s.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady' ? cond(c.type, 'False', at, 'ContainersNotReady', msg) : c));
  return s;
}

/** True when a container is crash-looping (a failure drawn by the sim): such a pod is never Ready. */
export function crashLooping(pod: Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
}

/** True when the pod's status was written by a sim (its containers carry `sim://` IDs). */
export function startedBySim(pod: Pod): boolean {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return all.some((c) => c.containerID?.startsWith('sim://') || c.lastState?.terminated?.containerID?.startsWith('sim://'));
}
