// NodePorts: a pod's hostPorts must be free on the node. A port bound on 0.0.0.0 conflicts with
// the same protocol/port on any address, and any address with 0.0.0.0.

import {
  Code,
  status,
  success,
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeInfo,
  type PluginFactory,
  type PodInfo,
  type PreFilterPlugin,
  type Status,
} from '../framework/types.js';
import { hostPortsOf } from '../framework/nodeinfo.js';

export const nodePortsName = 'NodePorts';
export const errReasonNodePorts = "node(s) didn't have free ports for the requested pod ports";
const preFilterKey = 'PreFilterNodePorts';

/** True when `want` (`ip/protocol/port`) conflicts with a port in use. */
export function portConflicts(used: ReadonlySet<string>, want: string): boolean {
  const slash = want.indexOf('/');
  const ip = want.slice(0, slash);
  const protoPort = want.slice(slash);
  if (ip === '0.0.0.0') {
    for (const u of used) if (u.endsWith(protoPort) && u.indexOf('/') === u.length - protoPort.length) return true;
    return false;
  }
  return used.has(want) || used.has(`0.0.0.0${protoPort}`);
}

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = nodePortsName;

  preFilter(state: CycleState, pod: PodInfo): { status: Status } {
    const ports = hostPortsOf(pod.pod);
    if (ports.length === 0) return { status: status(Code.Skip) };
    state.write(preFilterKey, ports);
    return { status: success };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const ports = state.read<string[]>(preFilterKey) ?? hostPortsOf(pod.pod);
    for (const p of ports) if (portConflicts(node.usedPorts, p)) return status(Code.Unschedulable, errReasonNodePorts);
    return success;
  }

  eventsToRegister(): ClusterEvent[] {
    return ['PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}

export const newNodePorts: PluginFactory = () => new NodePorts();
