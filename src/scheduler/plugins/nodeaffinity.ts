// NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred terms score
// them (sum of matching weights, normalised to 0..100). PreFilter narrows the nodes to those
// named by `matchFields metadata.name In` when every required term names some. The `addedAffinity`
// arg adds affinity the scheduler enforces on every pod of the profile.

import type { NodeAffinity as V1NodeAffinity, Node } from 'kubernetes-types/core/v1.js';
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
  type PreFilterPlugin,
  type PreFilterResult,
  type PreScorePlugin,
  type ScorePlugin,
  type Status,
} from '../framework/types.js';
import { compileNodeSelector, compilePreferred, requiredNodeAffinity, type NodeMatcher } from '../../api/nodeaffinity.js';
import { defaultNormalizeScore } from './helpers/normalize.js';

export const nodeAffinityName = 'NodeAffinity';
export const errReasonPod = "node(s) didn't match Pod's node affinity/selector";
export const errReasonEnforced = "node(s) didn't match scheduler-enforced node affinity";
export const errReasonConflict = 'pod affinity terms conflict';
const preFilterKey = 'PreFilterNodeAffinity';
const preScoreKey = 'PreScoreNodeAffinity';

export interface NodeAffinityArgs {
  addedAffinity?: V1NodeAffinity;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  readonly name = nodeAffinityName;
  private readonly addedRequired: NodeMatcher | undefined;
  private readonly addedPreferred: ((n: Node) => number) | undefined;

  constructor(args: NodeAffinityArgs = {}) {
    const req = args.addedAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    this.addedRequired = req ? compileNodeSelector(req) : undefined;
    this.addedPreferred = compilePreferred(args.addedAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  }

  preFilter(state: CycleState, pod: PodInfo): { result?: PreFilterResult; status: Status } {
    const required = pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (!required && !this.addedRequired && !pod.pod.spec?.nodeSelector) return { status: status(Code.Skip) };
    state.write(preFilterKey, requiredNodeAffinity(pod.pod));
    const terms = required?.nodeSelectorTerms ?? [];
    if (terms.length === 0) return { status: success };
    let names: Set<string> | undefined;
    for (const t of terms) {
      let termNames: Set<string> | undefined;
      for (const r of t.matchFields ?? []) {
        if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
        const s = new Set(r.values ?? []);
        termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
      }
      // A term without a name requirement admits every node: the terms are ORed.
      if (!termNames) return { status: success };
      names = new Set([...(names ?? []), ...termNames]);
    }
    if (names && names.size === 0) return { status: status(Code.UnschedulableAndUnresolvable, errReasonConflict) };
    return names ? { result: { nodeNames: names }, status: success } : { status: success };
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    if (this.addedRequired && !this.addedRequired(node.node)) return status(Code.UnschedulableAndUnresolvable, errReasonEnforced);
    const match = state.read<NodeMatcher>(preFilterKey) ?? requiredNodeAffinity(pod.pod);
    if (!match(node.node)) return status(Code.UnschedulableAndUnresolvable, errReasonPod);
    return success;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): Status {
    if (nodes.length === 0) return success;
    const preferred = compilePreferred(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    if (!preferred && !this.addedPreferred) return status(Code.Skip);
    state.write(preScoreKey, preferred ?? null);
    return success;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    let preferred = state.read<((n: Node) => number) | null>(preScoreKey);
    if (preferred === undefined) preferred = compilePreferred(pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution) ?? null;
    let n = this.addedPreferred ? this.addedPreferred(node.node) : 0;
    if (preferred) n += preferred(node.node);
    return { score: n, status: success };
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): Status {
    defaultNormalizeScore(maxNodeScore, false, scores);
    return success;
  }

  eventsToRegister(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}

/** Args: `addedAffinity` (a core/v1 NodeAffinity). */
export const newNodeAffinity: PluginFactory = (args) => {
  const added = args?.addedAffinity;
  if (added !== undefined && (typeof added !== 'object' || added === null || Array.isArray(added))) {
    throw new Error(`addedAffinity: Invalid value: ${JSON.stringify(added)}: must be a NodeAffinity object`);
  }
  const req = (added as V1NodeAffinity | undefined)?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req && !Array.isArray(req.nodeSelectorTerms)) throw new Error('addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value');
  return new NodeAffinity({ ...(added ? { addedAffinity: added as V1NodeAffinity } : {}) });
};
