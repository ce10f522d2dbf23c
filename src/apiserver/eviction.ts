// The eviction subresource's decision (POST pods/<name>/eviction): a pod is deleted only if its
// PodDisruptionBudget allows it, and the allowance is spent atomically. Upstream's algorithm
// (pkg/registry/core/pod/storage/eviction.go), step by step:
//
// 1. A pod that is Succeeded, Failed, Pending or already being deleted is deleted without looking
//    at budgets (a running pod is guarded by a resourceVersion precondition, so it cannot turn
//    ready in between); conflicts are retried unless the caller set a resourceVersion.
// 2. More than one budget matching the pod: 500 (returned as a Status, not an error).
// 3. An unready pod is deleted without spending the budget when the policy is AlwaysAllow, or
//    when the budget is currently met (IfHealthyBudget, the default); a resourceVersion
//    precondition makes sure it did not become ready meanwhile (else 429).
// 4. Otherwise the budget is checked and decremented: 429 while the controller has not observed
//    the budget's generation or no disruption is allowed; the decrement and the pod's entry in
//    status.disruptedPods are written with a compare-and-swap on the budget's resourceVersion,
//    re-read and retried on conflict.
// 5. The pod gets the DisruptionTarget condition (reason EvictionByEvictionAPI), then is deleted
//    with the Eviction's deleteOptions.
// dryRun changes nothing: the checks run, the writes are skipped.

import type { Status, StatusCause } from 'kubernetes-types/meta/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { errors, StatusError } from '../api/errors.js';
import { labelSelectorFromObject, matchesLabels } from '../api/selectors/labels.js';
import { isPodReady, withDisruptionAllowedCondition } from '../controllers/disruption/budget.js';
import { nowRfc3339, type KObject } from './object.js';
import type { DeleteOptions, OpContext, ResourceStore } from './registry.js';
import type { ServerContext } from './rest/scope.js';

/** Above this many unconfirmed evictions a budget refuses more (upstream's MaxDisruptedPodSize). */
export const maxDisruptedPods = 2000;

/** Attempts of each compare-and-swap loop (upstream retries 20 times). */
const conflictAttempts = 20;

const tooManyRequestsMessage = "Cannot evict pod as it would violate the pod's disruption budget.";

const success = (): Status => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });

function budgetError(cause: string, retryAfterSeconds: number): StatusError {
  const causes: StatusCause[] = [{ reason: 'DisruptionBudget', message: cause }];
  return new StatusError(429, 'TooManyRequests', tooManyRequestsMessage, { ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}), causes });
}

/** The budget's status may be behind its spec, or a pod's readiness changed under us: retry later. */
function stillProcessing(pdbName: string): StatusError {
  return budgetError(`The disruption budget ${pdbName} is still being processed by the server.`, 10);
}

function forbidden(pdbName: string, why: string): StatusError {
  return new StatusError(403, 'Forbidden', `poddisruptionbudget.policy "${pdbName}" is forbidden: ${why}`, { name: pdbName, group: 'policy', kind: 'poddisruptionbudget' });
}

const isConflict = (e: unknown) => e instanceof StatusError && e.code === 409;
const pause = () => new Promise((r) => setTimeout(r, 5 + Math.random() * 20));

function phaseOf(pod: Pod): string | undefined {
  return pod.status?.phase;
}

function canIgnoreBudget(pod: Pod): boolean {
  const phase = phaseOf(pod);
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

function shouldEnforceResourceVersion(pod: Pod): boolean {
  const phase = phaseOf(pod);
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp);
}

function withResourceVersion(opts: DeleteOptions, rv: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...opts.preconditions, ...(rv ? { resourceVersion: rv } : {}) } };
}

export interface EvictionRequest {
  namespace: string;
  name: string;
  deleteOptions: DeleteOptions;
  ctx: OpContext;
}

/**
 * Evicts the pod or refuses. Resolves with the Status to answer: Success (201), or upstream's
 * 500 Status for a pod with several budgets; every other refusal throws a StatusError.
 */
export async function evictPod(server: ServerContext, req: EvictionRequest): Promise<Status> {
  const pods = server.storeFor('', 'pods');
  const budgets = server.storeFor('policy', 'poddisruptionbudgets');
  if (!pods || !budgets) throw errors.internal('pods or poddisruptionbudgets are not served');
  const { namespace, name, ctx } = req;
  const original = req.deleteOptions;
  const rvUnset = !original.preconditions?.resourceVersion;

  let pod: Pod;
  for (let attempt = 1; ; attempt++) {
    pod = (await pods.get(namespace, name)) as unknown as Pod;
    if (!canIgnoreBudget(pod)) break;
    const opts = shouldEnforceResourceVersion(pod) && rvUnset ? withResourceVersion(original, pod.metadata?.resourceVersion) : original;
    try {
      await markAndDelete(pods, req, opts);
      return success();
    } catch (e) {
      if (!rvUnset || !isConflict(e) || attempt >= conflictAttempts) throw e;
      await pause();
    }
  }

  const matching = await budgetsFor(server, budgets, pod);
  if (matching.length > 1) {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    };
  }
  let guardReadiness = false;
  const pdb = matching[0];
  const pdbName = pdb?.metadata?.name ?? '';
  if (pdb) {
    const st = pdb.status;
    const unhealthyMayGo =
      pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((st?.currentHealthy ?? 0) >= (st?.desiredHealthy ?? 0) && (st?.desiredHealthy ?? 0) > 0);
    if (!isPodReady(pod) && unhealthyMayGo) guardReadiness = true;
    else await spendBudget(budgets, pdb, name, ctx);
  }

  const opts = guardReadiness ? withResourceVersion(original, pod.metadata?.resourceVersion) : original;
  try {
    await markAndDelete(pods, req, opts);
  } catch (e) {
    // The pod changed (perhaps became ready) since we decided it needs no budget: try again.
    if (isConflict(e) && guardReadiness && rvUnset) throw stillProcessing(pdbName);
    throw e;
  }
  return success();
}

/** The budgets in the pod's namespace whose selector matches it (a missing selector matches nothing). */
async function budgetsFor(server: ServerContext, budgets: ResourceStore, pod: Pod): Promise<PodDisruptionBudget[]> {
  const ns = pod.metadata?.namespace ?? '';
  const { kvs } = await server.store.range(budgets.key(ns, ''));
  const out: PodDisruptionBudget[] = [];
  for (const kv of kvs) {
    const pdb = budgets.decode(kv) as unknown as PodDisruptionBudget;
    if (pdb.metadata?.namespace !== ns) continue;
    try {
      if (matchesLabels(labelSelectorFromObject(pdb.spec?.selector), pod.metadata?.labels)) out.push(pdb);
    } catch {
      // An invalid selector matches no pod.
    }
  }
  return out;
}

/** Checks the budget allows one more disruption and records it; re-reads and retries on conflict. */
async function spendBudget(budgets: ResourceStore, first: PodDisruptionBudget, podName: string, ctx: OpContext): Promise<void> {
  let pdb = first;
  const ns = pdb.metadata?.namespace ?? '';
  const name = pdb.metadata?.name ?? '';
  for (let attempt = 1; ; attempt++) {
    try {
      await checkAndDecrement(budgets, pdb, podName, ctx);
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
      if (attempt >= conflictAttempts) throw new StatusError(504, 'Timeout', `Timeout: couldn't update PodDisruptionBudget "${name}" due to conflicts`, { retryAfterSeconds: 10 });
      await pause();
      pdb = (await budgets.get(ns, name)) as unknown as PodDisruptionBudget;
    }
  }
}

async function checkAndDecrement(budgets: ResourceStore, pdb: PodDisruptionBudget, podName: string, ctx: OpContext): Promise<void> {
  const name = pdb.metadata?.name ?? '';
  const st: PodDisruptionBudgetStatus = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) throw stillProcessing(name);
  if (st.disruptionsAllowed < 0) throw forbidden(name, 'pdb disruptions allowed is negative');
  if (Object.keys(st.disruptedPods ?? {}).length > maxDisruptedPods) {
    throw forbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
  }
  if (st.disruptionsAllowed === 0) {
    throw budgetError(`The disruption budget ${name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently`, 0);
  }
  const now = nowRfc3339();
  let next: PodDisruptionBudgetStatus = { ...st, disruptionsAllowed: st.disruptionsAllowed - 1 };
  if (next.disruptionsAllowed === 0) next = withDisruptionAllowedCondition(next, now);
  if (ctx.dryRun) return;
  // Tells the controller this pod is about to go, so it does not count it healthy meanwhile.
  next.disruptedPods = { ...(st.disruptedPods ?? {}), [podName]: now };
  const readVersion = pdb.metadata?.resourceVersion;
  await budgets.update(
    pdb.metadata?.namespace,
    name,
    (cur) => {
      if (!cur) throw budgets.notFound(name);
      // A compare-and-swap on the version we decided on: the registry answers 409 if it moved.
      if (readVersion) cur.metadata.resourceVersion = readVersion;
      cur.status = next as unknown as Record<string, unknown>;
      return cur;
    },
    ctx,
    'status',
  );
}

/**
 * Marks the pod as a disruption target, then deletes it. The DeleteOptions' preconditions are
 * checked against the latest pod before the condition is written; a resourceVersion precondition
 * then moves to the version that write produced (it was ours).
 */
async function markAndDelete(pods: ResourceStore, req: EvictionRequest, opts: DeleteOptions): Promise<void> {
  const { namespace, name, ctx } = req;
  let options = opts;
  if (!ctx.dryRun) {
    const written = await pods.update(
      namespace,
      name,
      (cur) => {
        if (!cur) throw pods.notFound(name);
        const pre = options.preconditions;
        if (pre?.uid && pre.uid !== cur.metadata.uid) {
          throw errors.conflict('Pod', '', name, `the UID in the precondition (${pre.uid}) does not match the UID in record (${cur.metadata.uid}). The object might have been deleted and then recreated`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
          throw errors.conflict(
            'Pod',
            '',
            name,
            `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${cur.metadata.resourceVersion}). The object might have been modified`,
          );
        }
        // A pod already being deleted is disrupted already; the registry would also treat any
        // write to it as the end of its deletion.
        if (!cur.metadata.deletionTimestamp) withDisruptionTarget(cur);
        return cur;
      },
      ctx,
      'status',
    );
    if (options.preconditions?.resourceVersion) options = withResourceVersion(options, written.obj.metadata.resourceVersion);
  }
  await pods.delete(namespace, name, options, ctx);
}

/** podutil.UpdatePodCondition with DisruptionTarget=True: the transition time moves only on a status change. */
function withDisruptionTarget(pod: KObject): void {
  const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === 'DisruptionTarget');
  const cond = {
    type: 'DisruptionTarget',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: old && old.status === 'True' && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : nowRfc3339(),
    reason: 'EvictionByEvictionAPI',
    message: 'Eviction API: evicting',
  };
  status.conditions = old ? conditions.map((c) => (c === old ? cond : c)) : [...conditions, cond];
  pod.status = status;
}
