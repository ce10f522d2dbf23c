// DefaultPreemption (PostFilter): when no node fits, find a node where evicting lower-priority
// pods lets the pod fit, evict them, and nominate that node (upstream's preemption.Evaluator).
//
// 1. The pod may preempt unless preemptionPolicy is Never, or a lower-priority pod on its
//    nominated node is already terminating because of an earlier preemption.
// 2. Candidates are the nodes whose filter status is Unschedulable (UnschedulableAndUnresolvable
//    ones cannot be helped; nodes absent from the status map count as such). Starting at a random
//    offset, nodes are dry-run until enough candidates are found: max(minCandidateNodesAbsolute,
//    minCandidateNodesPercentage% of the nodes), capped at the node count, and at least one
//    that violates no PodDisruptionBudget if any exists.
// 3. One node is chosen (see pickOneNode), its victims deleted with a `Preempted` event each,
//    lower-priority pods nominated to it lose their nomination, and the pod is nominated to it.
//
// The returned status on failure carries upstream's `preemption: ...` message as its one reason.

import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Code,
  status,
  success,
  type CycleState,
  type Handle,
  type NodeInfo,
  type NodeToStatus,
  type PluginFactory,
  type PodInfo,
  type PostFilterPlugin,
  type PostFilterResult,
  type Status,
} from '../framework/types.js';
import { podPriority } from './podinfo-terms.js';
import { pickOneNode, selectVictimsOnNode, type Candidate } from './defaultpreemption-victims.js';
import { fitErrorMessage, preemptionNotHelpful } from './defaultpreemption-message.js';

export { preemptionMessage, fitErrorMessage } from './defaultpreemption-message.js';

export const defaultPreemptionName = 'DefaultPreemption';
/** The reason handed to handle.deletePod: upstream's DisruptionTarget condition reason. */
export const preemptionByScheduler = 'PreemptionByScheduler';

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

export interface PreemptionOptions {
  /** [0, 1) source for the starting offset (tests pin it). */
  random?: () => number;
  /** Clock for pods without status.startTime. */
  now?: () => number;
}

type Outcome = { result?: PostFilterResult; status: Status };

function validateArgs(pct: number, abs: number): void {
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`minCandidateNodesPercentage: Invalid value: ${pct}: not in valid range [0, 100]`);
  if (!Number.isInteger(abs) || abs < 0) throw new Error(`minCandidateNodesAbsolute: Invalid value: ${abs}: not in valid range [0, inf)`);
  if (pct === 0 && abs === 0) throw new Error('minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute');
}

/** A lower-priority pod already being deleted by an earlier preemption (DisruptionTarget condition). */
function terminatingByPreemption(p: Pod): boolean {
  if (!p.metadata?.deletionTimestamp) return false;
  const c = (p.status?.conditions ?? []).find((x) => x.type === 'DisruptionTarget');
  return !!c && c.status === 'True' && c.reason === preemptionByScheduler;
}

class DefaultPreemption implements PostFilterPlugin {
  readonly name = defaultPreemptionName;
  private readonly pct: number;
  private readonly abs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    args: DefaultPreemptionArgs,
    private readonly handle: Handle,
    opts: PreemptionOptions,
  ) {
    this.pct = args.minCandidateNodesPercentage ?? 10;
    this.abs = args.minCandidateNodesAbsolute ?? 100;
    validateArgs(this.pct, this.abs);
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** How many candidates to look for among `n` potential nodes. */
  numCandidates(n: number): number {
    return Math.min(n, Math.max(Math.floor((n * this.pct) / 100), this.abs));
  }

  async postFilter(state: CycleState, pi: PodInfo, filtered: NodeToStatus): Promise<Outcome> {
    const out = await this.preempt(state, pi, filtered);
    const msg = out.status.reasons.join(', ');
    return msg ? { ...out, status: { ...out.status, reasons: [`preemption: ${msg}`] } } : out;
  }

  private async preempt(state: CycleState, pi: PodInfo, filtered: NodeToStatus): Promise<Outcome> {
    const pod = pi.pod;
    const notEligible = this.notEligible(pod, filtered);
    if (notEligible) return { status: status(Code.Unschedulable, notEligible) };
    const all = this.handle.snapshot().nodes();
    if (!all.length) return { status: status(Code.Error, 'no nodes available') };
    const potential = all.filter((n) => filtered.get(n.name)?.code === Code.Unschedulable);
    if (!potential.length) {
      if (pod.status?.nominatedNodeName) await this.handle.nominate(pod, '').catch(() => undefined);
      return { result: { nominatedNodeName: '' }, status: status(Code.Unschedulable, this.fitError(all.length, new Map())) };
    }
    const now = this.now();
    const { candidates, statuses, errors } = this.dryRun(state, pi, potential, now);
    if (!candidates.length) {
      if (errors.length) return { status: status(Code.Error, ...errors) };
      return { result: { nominatedNodeName: '' }, status: status(Code.Unschedulable, this.fitError(all.length, statuses)) };
    }
    const best = pickOneNode(candidates, now);
    if (!best) return { status: status(Code.Unschedulable, 'no candidate node for preemption') };
    const prepared = await this.prepare(best, pod);
    if (prepared.code !== Code.Success) return { status: prepared };
    await this.handle.nominate(pod, best.name).catch(() => undefined);
    return { result: { nominatedNodeName: best.name }, status: success };
  }

  /** Why the pod may not preempt, or undefined when it may. */
  private notEligible(pod: Pod, filtered: NodeToStatus): string | undefined {
    if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
    const nominated = pod.status?.nominatedNodeName;
    if (!nominated) return undefined;
    // A nominated node that filters now rule out for good is no reason to wait.
    const st = filtered.get(nominated);
    if (!st || st.code === Code.UnschedulableAndUnresolvable) return undefined;
    const ni = this.handle.snapshot().get(nominated);
    const prio = podPriority(pod);
    if (ni?.pods.some((p) => podPriority(p.pod) < prio && terminatingByPreemption(p.pod))) return 'not eligible due to a terminating pod on the nominated node.';
    return undefined;
  }

  /** The FitError of the dry run; postFilter adds the `preemption: ` prefix (as preemptionMessage does). */
  private fitError(numAllNodes: number, statuses: NodeToStatus): string {
    return fitErrorMessage(numAllNodes, statuses, { absent: status(Code.UnschedulableAndUnresolvable, preemptionNotHelpful) });
  }

  private dryRun(state: CycleState, pi: PodInfo, potential: NodeInfo[], now: number): { candidates: Candidate[]; statuses: NodeToStatus; errors: string[] } {
    const want = this.numCandidates(potential.length);
    const offset = Math.floor(this.random() * potential.length) % potential.length;
    const pdbs = this.handle.podDisruptionBudgets?.() ?? [];
    const clean: Candidate[] = [];
    const violating: Candidate[] = [];
    const statuses: NodeToStatus = new Map();
    const errors: string[] = [];
    for (let i = 0; i < potential.length; i++) {
      const ni = potential[(offset + i) % potential.length]!;
      const r = selectVictimsOnNode(this.handle, state.clone(), pi, ni, pdbs, now);
      if (r.status.code === Code.Success && r.victims.length) {
        (r.numPDBViolations ? violating : clean).push({ name: ni.name, victims: r.victims, numPDBViolations: r.numPDBViolations });
        if (clean.length && clean.length + violating.length >= want) break;
        continue;
      }
      const st = r.status.code === Code.Success ? status(Code.Error, `expected at least one victim pod on node "${ni.name}"`) : r.status;
      if (st.code === Code.Error) errors.push(...st.reasons);
      statuses.set(ni.name, st);
    }
    return { candidates: [...clean, ...violating], statuses, errors };
  }

  /** Deletes the victims, then clears lower-priority nominations on the chosen node. */
  private async prepare(c: Candidate, preemptor: Pod): Promise<Status> {
    const uid = preemptor.metadata?.uid ?? '';
    try {
      await Promise.all(
        c.victims.map(async (v) => {
          await this.handle.deletePod(v.pod, preemptionByScheduler);
          this.handle.event({ apiVersion: 'v1', kind: 'Pod', metadata: v.pod.metadata }, 'Normal', 'Preempted', `Preempted by pod ${uid} on node ${c.name}`);
        }),
      );
    } catch (err) {
      return status(Code.Error, (err as Error).message ?? String(err));
    }
    const prio = podPriority(preemptor);
    for (const np of this.handle.nominatedPodsFor(c.name)) {
      if (podPriority(np.pod) < prio) await this.handle.nominate(np.pod, '').catch(() => undefined);
    }
    return success;
  }
}

/** The plugin with injectable randomness and clock (the factory uses Math.random and Date.now). */
export function newDefaultPreemption(args: DefaultPreemptionArgs, handle: Handle, opts: PreemptionOptions = {}): PostFilterPlugin & { numCandidates(n: number): number } {
  return new DefaultPreemption(args, handle, opts);
}

export const defaultPreemption: PluginFactory = (args, handle) => newDefaultPreemption((args ?? {}) as DefaultPreemptionArgs, handle);
