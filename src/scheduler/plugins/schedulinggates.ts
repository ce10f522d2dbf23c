// SchedulingGates: a pod with spec.schedulingGates stays out of the active queue until every gate
// is removed.

import { Code, status, success, type ClusterEvent, type EnqueueExtensions, type PluginFactory, type PodInfo, type PreEnqueuePlugin, type Status } from '../framework/types.js';

export const schedulingGatesName = 'SchedulingGates';

export class SchedulingGates implements PreEnqueuePlugin, EnqueueExtensions {
  readonly name = schedulingGatesName;
  preEnqueue(pod: PodInfo): Status {
    const gates = pod.pod.spec?.schedulingGates ?? [];
    if (gates.length === 0) return success;
    return status(Code.UnschedulableAndUnresolvable, `waiting for scheduling gates: [${gates.map((g) => g.name).join(' ')}]`);
  }
  eventsToRegister(): ClusterEvent[] {
    return ['PodUpdate'];
  }
}

export const newSchedulingGates: PluginFactory = () => new SchedulingGates();
