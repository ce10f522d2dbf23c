// The disruption controller: keeps every PodDisruptionBudget's status (expectedPods,
// currentHealthy, desiredHealthy, disruptionsAllowed, observedGeneration, the DisruptionAllowed
// condition) in line with the pods its selector matches, which is what the eviction subresource
// spends. Entries the eviction path adds to status.disruptedPods are honoured for
// deletionTimeoutMs, then dropped (a recheck is queued for when the earliest one expires).
// A budget whose status cannot be computed fails safe: disruptionsAllowed 0, condition reason
// SyncFailed.
//
// It also resets stale DisruptionTarget conditions: a pod that an eviction (or anyone but the
// kubelet) marked as a disruption target but that is still not being deleted after two minutes
// gets the condition set to False, as upstream does.
//
// Keys: `namespace/name` of a budget, `pod:namespace/name` of a pod to check for a stale condition.

import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { labelSelectorFromObject, matchesLabels, formatLabelSelector } from '../../api/selectors/labels.js';
import { isPodTerminal, podCondition } from '../../api/pods.js';
import { builtinResources } from '../../api/resources.js';
import { nowRfc3339, type KObject } from '../../apiserver/object.js';
import { resourcePath } from '../../client/client.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import {
  conditionsUpToDate,
  countHealthy,
  desiredHealthyFor,
  disruptionAllowedCondition,
  disruptionsAllowedFor,
  needsControllerScale,
  pruneDisruptedPods,
  setCondition,
  withDisruptionAllowedCondition,
} from './budget.js';
import { expectedScale, NoControllersError, type ScaleReader } from './scale.js';

const pdbResource = resourceOf('policy', 'PodDisruptionBudget');
const podResource = resourceOf('', 'Pod');

/** How long a DisruptionTarget condition may stand on a pod that is not being deleted. */
export const stalePodDisruptionTimeoutMs = 2 * 60_000;

const podKeyPrefix = 'pod:';

export function startDisruptionController(ctx: ControllerContext): RunningController {
  const { client, clock, signal, onError } = ctx;
  const recorder = ctx.recorder('controllermanager');
  const byNamespace = { namespace: indexFuncs.namespace };
  const pdbInf = ctx.informers.informer(pdbResource, { indexers: byNamespace });
  const podInf = ctx.informers.informer(podResource, { indexers: byNamespace });
  // ReplicationControllers are found only when the server has them.
  const rcResource = builtinResources.find((r) => r.group === '' && r.kind === 'ReplicationController');
  const rcInf = rcResource && ctx.informers.informer(rcResource);
  const rsInf = ctx.informers.informer(resourceOf('apps', 'ReplicaSet'));
  const deployInf = ctx.informers.informer(resourceOf('apps', 'Deployment'));
  const ssInf = ctx.informers.informer(resourceOf('apps', 'StatefulSet'));
  const workloadInformers = [rsInf, deployInf, ssInf, ...(rcInf ? [rcInf] : [])];
  const caches = { ...(rcInf ? { replicationControllers: rcInf.store } : {}), replicaSets: rsInf.store, deployments: deployInf.store, statefulSets: ssInf.store };

  const now = () => clock.now();
  const nowTime = () => nowRfc3339(new Date(now()));

  const readScale: ScaleReader = async (resource, namespace, name) => {
    try {
      const res = await client.transport.request('GET', resourcePath(resource, namespace, name, 'scale'), { signal });
      return JSON.parse(res.body) as KObject;
    } catch (e) {
      if (isApiError(e, 404)) return undefined;
      throw e;
    }
  };

  const budgetsMatching = (pod: KObject): PodDisruptionBudget[] => {
    const out: PodDisruptionBudget[] = [];
    for (const obj of pdbInf.store.byIndex('namespace', pod.metadata.namespace ?? '')) {
      const pdb = obj as unknown as PodDisruptionBudget;
      try {
        if (matchesLabels(labelSelectorFromObject(pdb.spec?.selector), pod.metadata.labels)) out.push(pdb);
      } catch {
        // An invalid selector matches no pod.
      }
    }
    return out;
  };

  const podsFor = (pdb: PodDisruptionBudget): Pod[] => {
    const sel = labelSelectorFromObject(pdb.spec?.selector);
    return podInf.store.byIndex('namespace', pdb.metadata?.namespace ?? '').filter((p) => matchesLabels(sel, p.metadata.labels)) as unknown as Pod[];
  };

  const writeStatus = async (pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus, sig: AbortSignal) => {
    // The cached resourceVersion makes this a compare-and-swap: a concurrent eviction wins and we
    // are retried (409) with the newer object.
    await client.updateStatus(pdbResource, { ...(pdb as unknown as KObject), status: status as unknown as Record<string, unknown> }, sig);
  };

  const expectedCounts = async (pdb: PodDisruptionBudget, pods: Pod[]) => {
    if (!needsControllerScale(pdb.spec)) {
      return { expectedPods: pods.length, desiredHealthy: desiredHealthyFor(pdb.spec, pods.length), unmanaged: [] as string[] };
    }
    const { expectedPods, unmanaged } = await expectedScale(pods, caches, readScale);
    return { expectedPods, desiredHealthy: desiredHealthyFor(pdb.spec, expectedPods), unmanaged };
  };

  const trySync = async (key: string, pdb: PodDisruptionBudget, sig: AbortSignal) => {
    const obj = pdb as unknown as KObject;
    let pods: Pod[];
    try {
      pods = podsFor(pdb);
    } catch (e) {
      recorder.event(obj, 'Warning', 'NoPods', `Failed to get pods: ${(e as Error).message}`);
      throw e;
    }
    if (pods.length === 0) recorder.event(obj, 'Normal', 'NoPods', 'No matching pods found');
    let counts: Awaited<ReturnType<typeof expectedCounts>>;
    try {
      counts = await expectedCounts(pdb, pods);
    } catch (e) {
      if (e instanceof NoControllersError) recorder.event(obj, 'Warning', 'NoControllers', e.message);
      recorder.event(obj, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(e as Error).message}`);
      throw e;
    }
    if (counts.unmanaged.length > 0) {
      recorder.event(
        obj,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${formatLabelSelector(pdb.spec?.selector)}) were found to be unmanaged. ` +
          'As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
          'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
      );
    }
    const at = now();
    const disrupted = pruneDisruptedPods(pods, pdb.status?.disruptedPods, at);
    for (const pod of disrupted.expired) {
      recorder.event(pod as unknown as KObject, 'Warning', 'NotDeleted', `Pod was expected by PDB ${pdb.metadata?.namespace}/${pdb.metadata?.name} to be deleted but it wasn't`);
    }
    const currentHealthy = countHealthy(pods, disrupted.kept, at);
    const { expectedPods, desiredHealthy } = counts;
    const disruptionsAllowed = disruptionsAllowedFor(currentHealthy, desiredHealthy, expectedPods);
    const generation = pdb.metadata?.generation ?? 0;
    const old = pdb.status;
    const unchanged =
      old !== undefined &&
      old.currentHealthy === currentHealthy &&
      old.desiredHealthy === desiredHealthy &&
      old.expectedPods === expectedPods &&
      old.disruptionsAllowed === disruptionsAllowed &&
      sameTimes(old.disruptedPods, disrupted.kept) &&
      old.observedGeneration === generation &&
      conditionsUpToDate(old, generation);
    if (!unchanged) {
      const status: PodDisruptionBudgetStatus = {
        observedGeneration: generation,
        ...(Object.keys(disrupted.kept).length ? { disruptedPods: disrupted.kept } : {}),
        disruptionsAllowed,
        currentHealthy,
        desiredHealthy,
        expectedPods,
        conditions: old?.conditions ?? [],
      };
      await writeStatus(pdb, withDisruptionAllowedCondition(status, nowTime()), sig);
    }
    if (disrupted.recheckAtMs !== undefined) running.queue.addAfter(key, disrupted.recheckAtMs - at);
  };

  /** Upstream's failSafe: whatever went wrong, no eviction is approved until a sync succeeds. */
  const failSafe = async (pdb: PodDisruptionBudget, err: unknown, sig: AbortSignal) => {
    const old = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0, disruptionsAllowed: 0 };
    const conditions = setCondition(
      (old.conditions ?? []) as Condition[],
      {
        type: disruptionAllowedCondition,
        status: 'False',
        reason: 'SyncFailed',
        message: (err as Error)?.message ?? String(err),
        ...(old.observedGeneration !== undefined ? { observedGeneration: old.observedGeneration } : {}),
      },
      nowTime(),
    );
    await writeStatus(pdb, { ...old, disruptionsAllowed: 0, conditions }, sig);
  };

  const syncBudget = async (key: string, sig: AbortSignal) => {
    const pdb = pdbInf.store.get(key) as unknown as PodDisruptionBudget | undefined;
    if (!pdb) return;
    try {
      await trySync(key, pdb, sig);
    } catch (e) {
      // A conflict only means our cache is behind: retry with the newer object, no fail-safe.
      if (isApiError(e, 409) || sig.aborted) throw e;
      onError(e);
      await failSafe(pdb, e, sig);
    }
  };

  /** When a pod's DisruptionTarget condition becomes stale (ms from now), if it has one that can. */
  const staleConditionIn = (pod: Pod): number | undefined => {
    if (pod.metadata?.deletionTimestamp) return undefined;
    const c = podCondition(pod, 'DisruptionTarget');
    if (!c || c.status !== 'True' || c.reason === 'TerminationByKubelet' || isPodTerminal(pod)) return undefined;
    const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : now();
    return Math.max(0, stalePodDisruptionTimeoutMs - (now() - since));
  };

  const syncStalePod = async (podKey: string, sig: AbortSignal) => {
    const pod = podInf.store.get(podKey) as unknown as Pod | undefined;
    if (!pod) return;
    const wait = staleConditionIn(pod);
    if (wait === undefined) return;
    if (wait > 0) {
      running.queue.addAfter(podKeyPrefix + podKey, wait);
      return;
    }
    const conditions: PodCondition[] = (pod.status?.conditions ?? []).map((c) =>
      c.type === 'DisruptionTarget' ? { type: 'DisruptionTarget', status: 'False', lastTransitionTime: nowTime() } : c,
    );
    await client.updateStatus(podResource, { ...(pod as unknown as KObject), status: { ...pod.status, conditions } }, sig);
  };

  const running = runController(
    {
      name: 'disruption',
      informers: workloadInformers.concat(pdbInf, podInf),
      clock,
      reconcile: (key, sig) => (key.startsWith(podKeyPrefix) ? syncStalePod(key.slice(podKeyPrefix.length), sig) : syncBudget(key, sig)),
      onError: (_n, _k, e) => onError(e),
    },
    signal,
  );

  const enqueueBudget = (o: KObject) => running.queue.add(keyOf(o));
  pdbInf.addHandlers({ onAdd: enqueueBudget, onUpdate: (_o, n) => enqueueBudget(n), onDelete: enqueueBudget });

  const onPod = (pod: KObject, checkStale: boolean) => {
    const budgets = budgetsMatching(pod);
    for (const b of budgets) running.queue.add(keyOf(b as unknown as KObject));
    if (budgets.length > 1) {
      const names = budgets.map((b) => b.metadata?.name ?? '');
      // Recorded here, where upstream records it; the recorder only queues the write.
      recorder.event(pod, 'Warning', 'MultiplePodDisruptionBudgets', `Pod "${pod.metadata.namespace}"/"${pod.metadata.name}" matches multiple PodDisruptionBudgets.  Chose "${names[0]}" arbitrarily.`);
    }
    if (!checkStale) return;
    const wait = staleConditionIn(pod as unknown as Pod);
    if (wait !== undefined) running.queue.addAfter(podKeyPrefix + keyOf(pod), wait);
  };
  podInf.addHandlers({ onAdd: (p) => onPod(p, true), onUpdate: (_o, n) => onPod(n, true), onDelete: (p) => onPod(p, false) });

  // A controller's scale feeds expectedPods of percentage and maxUnavailable budgets; a controller
  // that appears can also end a "found no controllers" failure.
  const onWorkload = (o: KObject) => {
    for (const b of pdbInf.store.byIndex('namespace', o.metadata.namespace ?? '')) running.queue.add(keyOf(b));
  };
  const replicasChanged = (a: KObject, b: KObject) => (a.spec as { replicas?: number } | undefined)?.replicas !== (b.spec as { replicas?: number } | undefined)?.replicas;
  for (const inf of workloadInformers) {
    inf.addHandlers({ onAdd: onWorkload, onUpdate: (o, n) => replicasChanged(o, n) && onWorkload(n), onDelete: onWorkload });
  }
  return running;
}

function sameTimes(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const old = a ?? {};
  const keys = Object.keys(old);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => b[k] !== undefined && Date.parse(old[k] ?? '') === Date.parse(b[k]));
}
