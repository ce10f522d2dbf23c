// The `endpoints.kubernetes.io/last-change-trigger-time` value, as upstream's TriggerTimeTracker:
// the earliest of the changes not yet reflected in the endpoints, where a pod's change time is
// its Ready condition's lastTransitionTime and a Service's is its creationTimestamp. A Service
// seen for the first time reports its creation time.
//
// Contract: `compute` updates the remembered state even when the caller then writes nothing;
// it must not be called concurrently for the same Service (the workqueue guarantees it).

import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { podCondition } from '../../api/pods.js';

interface State {
  service: number;
  pods: Map<string, number>;
}

function parse(t: string | undefined): number {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

export class TriggerTimeTracker {
  private readonly states = new Map<string, State>();

  /** Milliseconds since the epoch, or undefined when nothing changed (the annotation is then removed). */
  compute(key: string, svc: Service, pods: readonly Pod[]): number | undefined {
    const prior = this.states.get(key);
    let min = 0;
    const take = (t: number) => {
      if (min === 0 || t < min) min = t;
    };
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const ready = podCondition(pod, 'Ready');
      const t = parse(ready?.lastTransitionTime);
      if (t === 0) continue;
      const name = pod.metadata?.name ?? '';
      podTimes.set(name, t);
      if (t > (prior?.pods.get(name) ?? 0)) take(t);
    }
    const svcTime = parse(svc.metadata?.creationTimestamp);
    if (svcTime > (prior?.service ?? 0)) take(svcTime);
    this.states.set(key, { service: svcTime, pods: podTimes });
    if (!prior) return svcTime || undefined;
    return min || undefined;
  }

  delete(key: string): void {
    this.states.delete(key);
  }
}
