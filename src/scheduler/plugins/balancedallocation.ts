// NodeResourcesBalancedAllocation: favours nodes whose resources would be used evenly after
// placing the pod (1 - standard deviation of the requested fractions). Uses actual requests
// (no non-zero defaults); pods requesting nothing are not scored (PreScore returns Skip).

import { Code, status, success, type CycleState, type NodeInfo, type PluginFactory, type PodInfo, type PreScorePlugin, type ScorePlugin, type Status } from '../framework/types.js';
import { balancedScorer, parseResources, podRequestList, scoreNode, type ResourceSpec } from './helpers/resource-allocation.js';

export const balancedAllocationName = 'NodeResourcesBalancedAllocation';
const preScoreKey = 'PreScoreNodeResourcesBalancedAllocation';

export class BalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = balancedAllocationName;
  constructor(private readonly resources: ResourceSpec[]) {}

  preScore(state: CycleState, pod: PodInfo): Status {
    const reqs = podRequestList(pod, this.resources, true);
    if (reqs.every((r) => r === 0)) return status(Code.Skip);
    state.write(preScoreKey, reqs);
    return success;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const reqs = state.read<number[]>(preScoreKey) ?? podRequestList(pod, this.resources, true);
    return { score: scoreNode(node, this.resources, reqs, true, balancedScorer), status: success };
  }
}

/** Args: `resources` (default cpu and memory, weight 1). */
export const newBalancedAllocation: PluginFactory = (args) => new BalancedAllocation(parseResources(args?.resources, 'resources'));
