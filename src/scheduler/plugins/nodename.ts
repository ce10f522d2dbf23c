// NodeName: a pod that names a node (spec.nodeName) fits only that node.

import { Code, status, success, type ClusterEvent, type EnqueueExtensions, type FilterPlugin, type NodeInfo, type PluginFactory, type PodInfo, type Status } from '../framework/types.js';

export const nodeNameName = 'NodeName';
export const errReasonNodeName = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin, EnqueueExtensions {
  readonly name = nodeNameName;
  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Status {
    const want = pod.pod.spec?.nodeName;
    if (!want || want === node.name) return success;
    return status(Code.UnschedulableAndUnresolvable, errReasonNodeName);
  }
  eventsToRegister(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const newNodeName: PluginFactory = () => new NodeName();
