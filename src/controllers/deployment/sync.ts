// One reconcile of one Deployment (upstream's syncDeployment and the strategies), holding the
// latest copy of the Deployment as its own status writes advance it. Writes: ReplicaSets by PUT
// with the cached resourceVersion (a stale cache fails with 409 and the key is retried), the
// Deployment's status (and revision annotation, which the status endpoint keeps) by PUT /status.

import type { DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import { isEverything, labelSelectorFromObject, matchesLabels, type LabelSelector } from '../../api/selectors/labels.js';
import { clone } from '../../apiserver/object.js';
import type { Client } from '../../client/client.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf } from '../context.js';
import type { EventRecorder } from '../events.js';
import { claimObjects } from '../podcontrol/claim.js';
import { isNamespaceTerminating } from '../podcontrol/podcontrol.js';
import { controllerRefOf, isControlledBy, newControllerRef } from '../../api/ownerrefs.js';
import { isPodTerminal } from '../../api/pods.js';
import type { PodObj } from '../podcontrol/pods.js';
import { equalIgnoreHash, findNewReplicaSet, findOldReplicaSets, replicasAnnotationsNeedUpdate, setNewReplicaSetAnnotations, setReplicasAnnotations } from './annotations.js';
import { podTemplateHash } from '../hash.js';
import { newRSNewReplicas, planCleanup, planNewReplicaSet, planOldReplicaSets, planRecreateScaleDown, planScale, type ScaleStep } from './plan.js';
import { calculateStatus, getCondition, newCondition, reasons, rolloutStatus, setCondition, statusEqual } from './status.js';
import {
  actualReplicas,
  deploymentComplete,
  desiredReplicasAnnotation,
  desiredReplicas,
  filterActive,
  hasProgressDeadline,
  maxRevision,
  maxSurge,
  podTemplateHashLabel,
  replicasOf,
  revisionAnnotation,
  type DeploymentObj,
  type ReplicaSetObj,
} from './util.js';

const deployments = resourceOf('apps', 'Deployment');
const replicaSets = resourceOf('apps', 'ReplicaSet');

export interface SyncDeps {
  client: Client;
  recorder: EventRecorder;
  now(): number;
  /** Every cached ReplicaSet of a namespace. */
  replicaSetsIn(namespace: string): ReplicaSetObj[];
  /** Every cached pod of a namespace. */
  podsIn(namespace: string): PodObj[];
  /** Look at this Deployment again after `ms` (0: soon, rate-limited). */
  requeueAfter(ms: number): void;
}

export class DeploymentPass {
  private d: DeploymentObj;

  constructor(
    d: DeploymentObj,
    private readonly deps: SyncDeps,
    private readonly signal: AbortSignal,
  ) {
    this.d = clone(d);
  }

  async run(): Promise<void> {
    let selector: LabelSelector;
    try {
      selector = labelSelectorFromObject(this.d.spec.selector);
    } catch {
      return; // an invalid selector never passed validation
    }
    if (isEverything(selector)) {
      this.deps.recorder.event(this.d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((this.d.status?.observedGeneration ?? 0) < (this.d.metadata.generation ?? 0)) {
        await this.writeStatus({ ...(this.d.status ?? {}), observedGeneration: this.d.metadata.generation ?? 0 });
      }
      return;
    }
    const rsList = await claimObjects(this.deps.replicaSetsIn(this.d.metadata.namespace ?? ''), {
      client: this.deps.client,
      owner: this.d,
      ownerResource: deployments,
      resource: replicaSets,
      selector,
      signal: this.signal,
    });
    if (this.d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = await this.newAndOld(rsList, false);
      return this.syncStatus([...oldRSs, newRS], newRS);
    }
    await this.checkPausedConditions();
    if (this.d.spec.paused || (await this.isScalingEvent(rsList))) return this.scaleOnly(rsList);
    if (this.d.spec.strategy?.type === 'Recreate') return this.recreate(rsList, selector);
    return this.rolling(rsList);
  }

  private async writeStatus(status: DeploymentStatus): Promise<void> {
    this.d = (await this.deps.client.updateStatus(deployments, { ...this.d, status }, this.signal)) as DeploymentObj;
  }

  /** The status (and revision annotation) of `this.d` as edited in place, written. */
  private async flush(): Promise<void> {
    await this.writeStatus(this.d.status ?? { replicas: 0 });
  }

  private mutableStatus(): DeploymentStatus {
    this.d.status = { ...(this.d.status ?? {}) };
    return this.d.status;
  }

  private setRevision(revision: string): boolean {
    const annotations = { ...(this.d.metadata.annotations ?? {}) };
    if (annotations[revisionAnnotation] === revision) return false;
    annotations[revisionAnnotation] = revision;
    this.d.metadata.annotations = annotations;
    return true;
  }

  private async checkPausedConditions(): Promise<void> {
    if (!hasProgressDeadline(this.d)) return;
    const cond = getCondition(this.d.status, 'Progressing');
    if (cond?.reason === reasons.timedOut) return;
    const pausedCond = cond?.reason === reasons.paused;
    const now = this.deps.now();
    if (this.d.spec.paused && !pausedCond) setCondition(this.mutableStatus(), newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', now));
    else if (!this.d.spec.paused && pausedCond) setCondition(this.mutableStatus(), newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', now));
    else return;
    await this.flush();
  }

  /** getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created if asked) and the old ones. */
  private async newAndOld(rsList: ReplicaSetObj[], create: boolean): Promise<{ newRS: ReplicaSetObj | undefined; oldRSs: ReplicaSetObj[] }> {
    const oldRSs = findOldReplicaSets(this.d, rsList);
    const newRS = await this.newReplicaSet(rsList, oldRSs, create);
    return { newRS, oldRSs };
  }

  private async newReplicaSet(rsList: ReplicaSetObj[], oldRSs: ReplicaSetObj[], create: boolean): Promise<ReplicaSetObj | undefined> {
    const d = this.d;
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = clone(existing);
      const annotations = { ...(copy.metadata.annotations ?? {}) };
      const annotationsChanged = setNewReplicaSetAnnotations(d, annotations, newRevision, true);
      if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
        copy.metadata.annotations = annotations;
        copy.spec = { ...copy.spec, minReadySeconds: d.spec.minReadySeconds ?? 0 };
        return (await this.deps.client.update(replicaSets, copy, this.signal)) as ReplicaSetObj;
      }
      let dirty = this.setRevision(annotations[revisionAnnotation] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition(this.mutableStatus(), newCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${copy.metadata.name}"`, this.deps.now()));
        dirty = true;
      }
      if (dirty) await this.flush();
      return copy;
    }
    if (!create) return undefined;

    const hash = podTemplateHash(d.spec.template, d.status?.collisionCount);
    const template = clone(d.spec.template);
    template.metadata = { ...template.metadata, labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const selector = clone(d.spec.selector);
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [podTemplateHashLabel]: hash };
    const name = `${d.metadata.name}-${hash}`;
    const annotations: Record<string, string> = {};
    const rs: ReplicaSetObj = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace, ownerReferences: [newControllerRef(d)], labels: { ...template.metadata.labels }, annotations },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, annotations, newRevision, false);
    let created: ReplicaSetObj;
    let alreadyExisted = false;
    try {
      created = (await this.deps.client.create(replicaSets, rs, d.metadata.namespace, this.signal)) as ReplicaSetObj;
    } catch (e) {
      if (isApiError(e, 409) && e.reason === 'AlreadyExists') {
        const found = (await this.deps.client.get(replicaSets, name, d.metadata.namespace, this.signal)) as ReplicaSetObj;
        if (!isControlledBy(found, d) || !equalIgnoreHash(found.spec.template, d.spec.template)) {
          // A hash collision: another template took this name. A new count gives a new hash.
          this.mutableStatus().collisionCount = (d.status?.collisionCount ?? 0) + 1;
          await this.flush();
          throw e;
        }
        created = found;
        alreadyExisted = true;
      } else {
        if (isNamespaceTerminating(e)) throw e;
        const msg = `Failed to create new replica set "${name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          setCondition(this.mutableStatus(), newCondition('Progressing', 'False', reasons.failedRSCreate, msg, this.deps.now()));
          await this.flush().catch(() => undefined);
        }
        this.deps.recorder.event(this.d, 'Warning', reasons.failedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExisted && replicasOf(rs) > 0) {
      this.deps.recorder.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicasOf(rs)}`);
    }
    let dirty = this.setRevision(String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(this.d)) {
      setCondition(this.mutableStatus(), newCondition('Progressing', 'True', reasons.newRSCreated, `Created new replica set "${name}"`, this.deps.now()));
      dirty = true;
    }
    if (dirty) await this.flush();
    return created;
  }

  /** Resizes one ReplicaSet and refreshes its replica annotations; an event when the size changed. */
  private async scaleReplicaSet(rs: ReplicaSetObj, to: number, operation: string): Promise<{ scaled: boolean; rs: ReplicaSetObj }> {
    const desired = desiredReplicas(this.d);
    const max = desired + maxSurge(this.d);
    const from = replicasOf(rs);
    const sizeChanges = from !== to;
    if (!sizeChanges && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const copy = clone(rs);
    copy.spec = { ...copy.spec, replicas: to };
    const annotations = { ...(copy.metadata.annotations ?? {}) };
    setReplicasAnnotations(annotations, desired, max);
    copy.metadata.annotations = annotations;
    const updated = (await this.deps.client.update(replicaSets, copy, this.signal)) as ReplicaSetObj;
    if (sizeChanges) this.deps.recorder.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} from ${from} to ${to}`);
    return { scaled: sizeChanges, rs: updated };
  }

  /** Applies steps in order to the latest copy of each ReplicaSet; returns whether any size changed and the copies. */
  private async apply(steps: ScaleStep[]): Promise<{ scaled: boolean; latest: Map<string, ReplicaSetObj> }> {
    const latest = new Map<string, ReplicaSetObj>();
    let scaled = false;
    for (const step of steps) {
      const uid = step.rs.metadata.uid ?? '';
      const rs = latest.get(uid) ?? step.rs;
      const from = replicasOf(rs);
      if (!step.always && from === step.to) continue;
      const op = step.always ? step.always.operation : from < step.to ? 'up' : 'down';
      const r = await this.scaleReplicaSet(rs, step.to, op);
      latest.set(uid, r.rs);
      scaled ||= r.scaled;
    }
    return { scaled, latest };
  }

  private async isScalingEvent(rsList: ReplicaSetObj[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.newAndOld(rsList, false);
    return filterActive([...oldRSs, newRS]).some((rs) => {
      const v = rs.metadata.annotations?.[desiredReplicasAnnotation];
      return v !== undefined && /^-?\d+$/.test(v) && Number(v) !== desiredReplicas(this.d);
    });
  }

  /** Paused, or the replica count changed: resize (proportionally) without moving the rollout. */
  private async scaleOnly(rsList: ReplicaSetObj[]): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(rsList, false);
    const { latest } = await this.apply(planScale(this.d, newRS, oldRSs));
    const olds = oldRSs.map((rs) => latest.get(rs.metadata.uid ?? '') ?? rs);
    const fresh = newRS && (latest.get(newRS.metadata.uid ?? '') ?? newRS);
    if (this.d.spec.paused) await this.cleanup(olds);
    await this.syncStatus([...olds, fresh], fresh);
  }

  private async rolling(rsList: ReplicaSetObj[]): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(rsList, true);
    if (!newRS) return;
    const up = await this.apply(planNewReplicaSet(this.d, [...oldRSs, newRS], newRS));
    const newNow = up.latest.get(newRS.metadata.uid ?? '') ?? newRS;
    if (up.scaled) return this.syncRolloutStatus([...oldRSs, newNow], newNow);
    const down = await this.apply(planOldReplicaSets(this.d, filterActive(oldRSs), newNow));
    const olds = oldRSs.map((rs) => down.latest.get(rs.metadata.uid ?? '') ?? rs);
    if (down.scaled) return this.syncRolloutStatus([...olds, newNow], newNow);
    if (deploymentComplete(this.d, this.d.status ?? { replicas: 0 })) await this.cleanup(olds);
    return this.syncRolloutStatus([...olds, newNow], newNow);
  }

  private async recreate(rsList: ReplicaSetObj[], selector: LabelSelector): Promise<void> {
    let { newRS, oldRSs } = await this.newAndOld(rsList, false);
    const down = await this.apply(planRecreateScaleDown(oldRSs));
    oldRSs = oldRSs.map((rs) => down.latest.get(rs.metadata.uid ?? '') ?? rs);
    if (down.scaled || this.oldPodsRunning(newRS, oldRSs, selector)) return this.syncRolloutStatus([...oldRSs, newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.newAndOld(rsList, true));
    if (!newRS) return;
    const up = await this.apply([{ rs: newRS, to: desiredReplicas(this.d) }]);
    newRS = up.latest.get(newRS.metadata.uid ?? '') ?? newRS;
    if (deploymentComplete(this.d, this.d.status ?? { replicas: 0 })) await this.cleanup(oldRSs);
    return this.syncRolloutStatus([...oldRSs, newRS], newRS);
  }

  /** Old ReplicaSets still report pods, or a non-terminal pod of one still exists. */
  private oldPodsRunning(newRS: ReplicaSetObj | undefined, oldRSs: ReplicaSetObj[], selector: LabelSelector): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.deps
      .podsIn(this.d.metadata.namespace ?? '')
      .some((p) => matchesLabels(selector, p.metadata.labels) && oldUids.has(controllerRefOf(p)?.uid) && controllerRefOf(p)?.uid !== newRS?.metadata.uid && !isPodTerminal(p));
  }

  private async cleanup(oldRSs: ReplicaSetObj[]): Promise<void> {
    for (const rs of planCleanup(this.d, oldRSs)) {
      await this.deps.client.delete(replicaSets, rs.metadata.name ?? '', { namespace: rs.metadata.namespace, signal: this.signal }).catch((e: unknown) => {
        if (!isApiError(e, 404)) throw e;
      });
    }
  }

  private async syncStatus(allRSs: (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined): Promise<void> {
    const status = calculateStatus(allRSs, newRS, this.d, this.deps.now());
    if (!statusEqual(this.d.status, status)) await this.writeStatus(status);
  }

  private async syncRolloutStatus(allRSs: (ReplicaSetObj | undefined)[], newRS: ReplicaSetObj | undefined): Promise<void> {
    const { status, requeueAfterMs } = rolloutStatus(allRSs, newRS, this.d, this.deps.now());
    if (!statusEqual(this.d.status, status)) await this.writeStatus(status);
    else if (requeueAfterMs !== undefined) this.deps.requeueAfter(requeueAfterMs);
  }
}
