// podFailurePolicy: the first rule that matches a failed pod decides what its failure means
// (FailJob: the Job fails at once; Ignore: not counted against backoffLimit; Count: counted as
// usual; FailIndex needs backoffLimitPerIndex, which this controller does not implement, so it
// counts). Exit codes are read from terminated containers, then init containers; exit code 0
// never matches.

import type { Job, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyRule } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';

export interface PolicyMatch {
  action: 'FailJob' | 'Ignore' | 'Count';
  /** For FailJob: the FailureTarget/Failed condition message, worded as upstream's. */
  message: string;
}

function exitCodeMatch(req: PodFailurePolicyOnExitCodesRequirement, statuses: ContainerStatus[]): ContainerStatus | undefined {
  for (const s of statuses) {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) continue;
    if (req.containerName && req.containerName !== s.name) continue;
    const listed = req.values.includes(code);
    if ((req.operator === 'In' && listed) || (req.operator === 'NotIn' && !listed)) return s;
  }
  return undefined;
}

function ruleMessage(rule: PodFailurePolicyRule, index: number, pod: Pod): string | undefined {
  const podRef = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  if (rule.onExitCodes) {
    const c = exitCodeMatch(rule.onExitCodes, [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]);
    if (c) return `Container ${c.name} for pod ${podRef} failed with exit code ${c.state?.terminated?.exitCode ?? 0} matching ${rule.action} rule at index ${index}`;
    return undefined;
  }
  for (const pattern of rule.onPodConditions ?? []) {
    const want = pattern.status || 'True';
    if ((pod.status?.conditions ?? []).some((c) => c.type === pattern.type && c.status === want)) {
      return `Pod ${podRef} has condition ${pattern.type} matching ${rule.action} rule at index ${index}`;
    }
  }
  return undefined;
}

/** The action of the first matching rule for a failed pod; undefined when no rule matches. */
export function matchPodFailurePolicy(job: Job, pod: Pod): PolicyMatch | undefined {
  const rules = job.spec?.podFailurePolicy?.rules ?? [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const message = ruleMessage(rule, i, pod);
    if (message === undefined) continue;
    const action = rule.action === 'FailJob' || rule.action === 'Ignore' ? rule.action : 'Count';
    return { action, message };
  }
  return undefined;
}
