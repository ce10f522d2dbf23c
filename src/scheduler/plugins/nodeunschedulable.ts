// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods tolerating the
// `node.kubernetes.io/unschedulable:NoSchedule` taint.

import { Code, status, success, type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type NodeInfo, type PluginFactory, type PodInfo, type Status } from '../framework/types.js';
import { tolerationsTolerateTaint } from '../../api/tolerations.js';

export const nodeUnschedulableName = 'NodeUnschedulable';
export const errReasonUnschedulable = 'node(s) were unschedulable';

const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = nodeUnschedulableName;
  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Status {
    if (!node.node.spec?.unschedulable) return success;
    if (tolerationsTolerateTaint(pod.pod.spec?.tolerations, unschedulableTaint)) return success;
    return status(Code.UnschedulableAndUnresolvable, errReasonUnschedulable);
  }
  eventsToRegister(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const newNodeUnschedulable: PluginFactory = () => new NodeUnschedulable();
