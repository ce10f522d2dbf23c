// The Deployment controller (upstream's deployment controller): rolls a Deployment's pod
// template out through ReplicaSets named `<deployment>-<pod-template-hash>`, by its strategy
// (RollingUpdate within maxSurge/maxUnavailable, or Recreate), honouring spec.paused, scaling
// proportionally mid-rollout, pruning old ReplicaSets beyond revisionHistoryLimit and reporting
// status and conditions that `kubectl rollout status|history|undo` read. Keys are
// `namespace/name` of Deployments; one pass is a DeploymentPass (sync.ts).

import { labelSelectorFromObject, matchesLabels } from '../../api/selectors/labels.js';
import { deepEqual, type KObject } from '../../apiserver/object.js';
import { indexFuncs, keyOf } from '../../client/indexer.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';
import { controllerRefOf, resolveControllerRef } from '../../api/ownerrefs.js';
import type { PodObj } from '../podcontrol/pods.js';
import { DeploymentPass } from './sync.js';
import type { DeploymentObj, ReplicaSetObj } from './util.js';

const deployments = resourceOf('apps', 'Deployment');
const replicaSets = resourceOf('apps', 'ReplicaSet');
const pods = resourceOf('', 'Pod');

export function startDeploymentController(ctx: ControllerContext): RunningController {
  const { client, clock, signal, onError } = ctx;
  const dInformer = ctx.informers.informer(deployments, { indexers: { namespace: indexFuncs.namespace } });
  const rsInformer = ctx.informers.informer(replicaSets, { indexers: { namespace: indexFuncs.namespace, ownerUid: indexFuncs.ownerUid } });
  const podInformer = ctx.informers.informer(pods, { indexers: { namespace: indexFuncs.namespace, ownerUid: indexFuncs.ownerUid } });
  const recorder = ctx.recorder('deployment-controller');

  const reconcile = async (key: string, sig: AbortSignal): Promise<void> => {
    const d = dInformer.store.get(key) as DeploymentObj | undefined;
    if (!d) return;
    const pass = new DeploymentPass(
      d,
      {
        client,
        recorder,
        now: () => clock.now(),
        replicaSetsIn: (ns) => rsInformer.store.byIndex('namespace', ns) as ReplicaSetObj[],
        podsIn: (ns) => podInformer.store.byIndex('namespace', ns) as PodObj[],
        requeueAfter: (ms) => (ms > 0 ? running.queue.addAfter(key, ms) : running.queue.addRateLimited(key)),
      },
      sig,
    );
    await pass.run();
  };

  const running = runController({ name: 'deployment', informers: [dInformer, rsInformer, podInformer], reconcile, workers: 4, clock, onError: (_n, _k, e) => onError(e) }, signal);
  const enqueue = (o: KObject) => running.queue.add(keyOf(o));

  const resolve = (namespace: string | undefined, ref: OwnerReference | undefined) => resolveControllerRef(dInformer.store, namespace, ref, 'Deployment', 'apps') as DeploymentObj | undefined;
  /** Deployments that might adopt an orphan ReplicaSet (empty selectors adopt nothing). */
  const enqueueMatching = (rs: KObject) => {
    for (const d of dInformer.store.byIndex('namespace', rs.metadata.namespace ?? '') as DeploymentObj[]) {
      try {
        const sel = labelSelectorFromObject(d.spec.selector);
        if (sel.requirements.length > 0 && matchesLabels(sel, rs.metadata.labels)) enqueue(d);
      } catch {
        // invalid selector: validation's business
      }
    }
  };
  const rsDeleted = (rs: KObject) => {
    const d = resolve(rs.metadata.namespace, controllerRefOf(rs));
    if (d) enqueue(d);
  };

  dInformer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  rsInformer.addHandlers({
    onAdd: (rs) => {
      if (rs.metadata.deletionTimestamp) return rsDeleted(rs);
      const ref = controllerRefOf(rs);
      if (ref) {
        const d = resolve(rs.metadata.namespace, ref);
        if (d) enqueue(d);
        return;
      }
      enqueueMatching(rs);
    },
    onUpdate: (old, cur) => {
      if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
      const curRef = controllerRefOf(cur);
      const oldRef = controllerRefOf(old);
      const refChanged = !deepEqual(curRef, oldRef);
      if (refChanged && oldRef) {
        const prev = resolve(old.metadata.namespace, oldRef);
        if (prev) enqueue(prev);
      }
      if (curRef) {
        const d = resolve(cur.metadata.namespace, curRef);
        if (d) enqueue(d);
        return;
      }
      if (refChanged || !deepEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {})) enqueueMatching(cur);
    },
    onDelete: rsDeleted,
  });
  // Recreate waits for the old pods to be gone: their deletion may unblock it.
  podInformer.addHandlers({
    onDelete: (pod) => {
      const rsRef = controllerRefOf(pod);
      if (!rsRef || rsRef.kind !== 'ReplicaSet') return;
      const rs = rsInformer.store.get(`${pod.metadata.namespace ?? ''}/${rsRef.name}`);
      if (!rs || rs.metadata.uid !== rsRef.uid) return;
      const d = resolve(rs.metadata.namespace, controllerRefOf(rs));
      if (d && d.spec.strategy?.type === 'Recreate') enqueue(d);
    },
  });
  return running;
}
