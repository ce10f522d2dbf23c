// TaintToleration: Filter rejects nodes with a NoSchedule / NoExecute taint the pod does not
// tolerate; Score counts the PreferNoSchedule taints it does not tolerate (fewer is better).

import type { Toleration } from 'kubernetes-types/core/v1.js';
import {
  Code,
  maxNodeScore,
  status,
  success,
  type ClusterEvent,
  type CycleState,
  type EnqueueExtensions,
  type FilterPlugin,
  type NodeInfo,
  type NodeScore,
  type PluginFactory,
  type PodInfo,
  type PreScorePlugin,
  type ScorePlugin,
  type Status,
} from '../framework/types.js';
import { findUntoleratedTaint, isDoNotScheduleTaint, tolerationsTolerateTaint } from '../../api/tolerations.js';
import { defaultNormalizeScore } from './helpers/normalize.js';

export const taintTolerationName = 'TaintToleration';
const preScoreKey = 'PreScoreTaintToleration';

export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = taintTolerationName;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    const taint = findUntoleratedTaint(node.node.spec?.taints, pod.pod.spec?.tolerations, isDoNotScheduleTaint);
    if (!taint) return success;
    return status(Code.UnschedulableAndUnresolvable, `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const tols = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    state.write(preScoreKey, tols);
    return success;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const tols = state.read<Toleration[]>(preScoreKey) ?? (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let n = 0;
    for (const taint of node.node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(tols, taint)) n++;
    }
    return { score: n, status: success };
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    defaultNormalizeScore(maxNodeScore, true, scores);
    return success;
  }

  eventsToRegister(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

export const newTaintToleration: PluginFactory = () => new TaintToleration();
