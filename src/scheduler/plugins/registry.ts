// The in-tree plugin registry: plugin name (as upstream names it in KubeSchedulerConfiguration)
// → factory. A profile instantiates each plugin it enables once, from this map.

import type { PluginFactory } from '../framework/types.js';
import { newBalancedAllocation } from './balancedallocation.js';
import { newDefaultBinder } from './defaultbinder.js';
import { newImageLocality } from './imagelocality.js';
import { newNodeAffinity } from './nodeaffinity.js';
import { newNodeName } from './nodename.js';
import { newNodePorts } from './nodeports.js';
import { newNodeResourcesFit } from './noderesourcesfit.js';
import { newNodeUnschedulable } from './nodeunschedulable.js';
import { newPrioritySort } from './prioritysort.js';
import { newSchedulingGates } from './schedulinggates.js';
import { newTaintToleration } from './tainttoleration.js';
import { podTopologySpread } from './podtopologyspread.js';
import { interPodAffinity } from './interpodaffinity.js';
import { defaultPreemption } from './defaultpreemption.js';

export type Registry = ReadonlyMap<string, PluginFactory>;

export const inTreeRegistry: Registry = new Map<string, PluginFactory>([
  ['SchedulingGates', newSchedulingGates],
  ['PrioritySort', newPrioritySort],
  ['NodeUnschedulable', newNodeUnschedulable],
  ['NodeName', newNodeName],
  ['TaintToleration', newTaintToleration],
  ['NodeAffinity', newNodeAffinity],
  ['NodePorts', newNodePorts],
  ['NodeResourcesFit', newNodeResourcesFit],
  ['NodeResourcesBalancedAllocation', newBalancedAllocation],
  ['ImageLocality', newImageLocality],
  ['DefaultBinder', newDefaultBinder],
  ['PodTopologySpread', podTopologySpread],
  ['InterPodAffinity', interPodAffinity],
  ['DefaultPreemption', defaultPreemption],
]);
