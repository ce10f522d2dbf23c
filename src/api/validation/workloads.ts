// apps/v1 Deployment, ReplicaSet, StatefulSet and DaemonSet (pkg/apis/apps/validation).

import { field, type FieldError } from '../errors.js';
import { isEmptySelector, labelSelectorMatches, validateAnnotations, validateLabelSelector, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { isValidPercent, nameIsDNSSubdomain } from './names.js';
import { validatePodSpecificAnnotations, validatePodTemplateSpec } from './podspec.js';
import { validatePersistentVolumeClaimSpec } from './storage.js';
import { child, clone, goIntOrString, goLabelSelector, goStringMap, immutable, index, isObj, isSet, nonNegative, num, obj, objList, semanticEqual, str, strMap, type Obj } from './util.js';

type Kind = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet';

/** Upstream ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(v: unknown, p: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => field.invalidRaw(p, goIntOrString(v), m));
  if (typeof v === 'number') return nonNegative(v, p);
  return [field.invalidRaw(p, goIntOrString(v), "must be an integer or percentage (e.g '5%')")];
}

/** The value of an int-or-percent ("25%" is 25); undefined when not a valid form. */
function intOrPercentValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  return undefined;
}

export function isNotMoreThan100Percent(v: unknown, p: string): FieldError[] {
  if (typeof v !== 'string') return [];
  const n = intOrPercentValue(v);
  return n !== undefined && n > 100 ? [field.invalidRaw(p, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/**
 * Selector presence and validity, selector/template label match and the pod template, as shared
 * by the four workload kinds.
 */
function validateSelectorAndTemplate(kind: Kind, spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const what = kind === 'StatefulSet' ? 'statefulset' : kind === 'DaemonSet' ? 'daemonset' : 'deployment';
  if (!isObj(spec.selector)) {
    errs.push(field.required('spec.selector', ''));
  } else {
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (isEmptySelector(spec.selector)) errs.push(field.invalidRaw('spec.selector', goLabelSelector(spec.selector), `empty selector is invalid for ${what}`));
  }
  const tpl = obj(spec.template);
  const tplMeta = obj(tpl.metadata);
  const labels = strMap(tplMeta.labels);
  const matches = labelSelectorMatches(spec.selector, labels);
  if (matches === undefined) {
    // An unusable selector: the others stop here; a DaemonSet's template is still checked.
    if (kind !== 'DaemonSet') {
      errs.push(field.invalidRaw('spec.selector', goLabelSelector(spec.selector), kind === 'StatefulSet' ? '' : 'invalid label selector'));
      return errs;
    }
  } else if (!matches && !(isObj(spec.selector) && isEmptySelector(spec.selector))) {
    errs.push(field.invalidRaw('spec.template.metadata.labels', goStringMap(tplMeta.labels), '`selector` does not match template `labels`'));
  }
  if (kind === 'StatefulSet') {
    // Upstream checks only the template's metadata for StatefulSets (its pod spec is left to pod creation).
    errs.push(...validateLabels(tplMeta.labels, 'spec.template.labels'));
    errs.push(...validateAnnotations(tplMeta.annotations, 'spec.template.annotations'));
    errs.push(...validatePodSpecificAnnotations(tplMeta.annotations, obj(tpl.spec), 'spec.template.annotations'));
  } else {
    errs.push(...validatePodTemplateSpec(tpl, 'spec.template'));
  }
  const tplSpec = obj(tpl.spec);
  const restart = str(tplSpec.restartPolicy);
  if (restart !== 'Always') errs.push(field.notSupported('spec.template.spec.restartPolicy', restart, ['Always']));
  if (isSet(tplSpec.activeDeadlineSeconds)) {
    const ads = 'spec.template.spec.activeDeadlineSeconds';
    if (kind === 'StatefulSet') errs.push(field.forbidden(ads, 'activeDeadlineSeconds in StatefulSet is not Supported'));
    else errs.push(field.invalid(ads, tplSpec.activeDeadlineSeconds, `activeDeadlineSeconds in ${kind === 'Deployment' ? 'ReplicaSet' : kind} is not Supported`));
  }
  return errs;
}

function validateDeploymentSpec(spec: Obj): FieldError[] {
  const errs = [...nonNegative(spec.replicas, 'spec.replicas'), ...validateSelectorAndTemplate('Deployment', spec)];
  const strategy = obj(spec.strategy);
  const type = str(strategy.type);
  if (type === 'Recreate') {
    if (isSet(strategy.rollingUpdate)) errs.push(field.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    if (!isObj(strategy.rollingUpdate)) {
      errs.push(field.required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
    } else {
      const ru = strategy.rollingUpdate;
      const p = 'spec.strategy.rollingUpdate';
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')));
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(field.invalidRaw(child(p, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      }
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable')));
    }
  } else {
    errs.push(field.notSupported('spec.strategy', strategy, ['Recreate', 'RollingUpdate']));
  }
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const pds = num(spec.progressDeadlineSeconds);
  if (pds !== undefined) {
    errs.push(...nonNegative(pds, 'spec.progressDeadlineSeconds'));
    if (pds <= (num(spec.minReadySeconds) ?? 0)) errs.push(field.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

function validateReplicaSetSpec(spec: Obj): FieldError[] {
  return [...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'), ...validateSelectorAndTemplate('ReplicaSet', spec)];
}

function validateStatefulSetSpec(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy);
  if (pmp === '') errs.push(field.required('spec.podManagementPolicy', ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(field.invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = obj(spec.updateStrategy);
  const type = str(us.type);
  if (type === '') {
    errs.push(field.required('spec.updateStrategy', ''));
  } else if (type === 'OnDelete') {
    if (isSet(us.rollingUpdate)) errs.push(field.invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (type === 'RollingUpdate') {
    if (isObj(us.rollingUpdate)) {
      const ru = us.rollingUpdate;
      errs.push(...nonNegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
      if (isSet(ru.maxUnavailable)) {
        const p = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
        errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, p));
        if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(field.invalidRaw(p, goIntOrString(ru.maxUnavailable), 'cannot be 0'));
        errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, p));
      }
    }
  } else {
    errs.push(field.invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  if (isObj(spec.persistentVolumeClaimRetentionPolicy)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = str(spec.persistentVolumeClaimRetentionPolicy[f]);
      if (v !== 'Retain' && v !== 'Delete') errs.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ['Retain', 'Delete']));
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  errs.push(...validateSelectorAndTemplate('StatefulSet', spec));
  objList(spec.volumeClaimTemplates).forEach((t, i) => {
    errs.push(...validatePersistentVolumeClaimSpec(t.spec, child(index('spec.volumeClaimTemplates', i), 'spec')));
  });
  return errs;
}

function validateDaemonSetSpec(spec: Obj): FieldError[] {
  const errs = validateSelectorAndTemplate('DaemonSet', spec);
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'), ...nonNegative(spec.templateGeneration, 'spec.templateGeneration'));
  const us = obj(spec.updateStrategy);
  const type = str(us.type);
  if (type === 'RollingUpdate') {
    if (!isObj(us.rollingUpdate)) {
      errs.push(field.required('spec.updateStrategy.rollingUpdate', ''));
    } else {
      const ru = us.rollingUpdate;
      const p = 'spec.updateStrategy.rollingUpdate';
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(p, 'maxUnavailable')));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, child(p, 'maxSurge')));
      const unavailable = (intOrPercentValue(ru.maxUnavailable) ?? 0) !== 0;
      const surge = (intOrPercentValue(ru.maxSurge) ?? 0) !== 0;
      if (unavailable && surge) errs.push(field.invalidRaw(child(p, 'maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      if (!unavailable && !surge) errs.push(field.required(child(p, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
    }
  } else if (type !== 'OnDelete') {
    errs.push(field.notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

const specValidators: Record<Kind, (spec: Obj) => FieldError[]> = {
  Deployment: validateDeploymentSpec,
  ReplicaSet: validateReplicaSetSpec,
  StatefulSet: validateStatefulSetSpec,
  DaemonSet: validateDaemonSetSpec,
};

export function validateWorkload(kind: Kind, o: Obj): FieldError[] {
  return [...validateObjectMeta(o.metadata, true, nameIsDNSSubdomain), ...specValidators[kind](obj(o.spec))];
}

const statefulSetUpdatable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateWorkloadUpdate(kind: Kind, n: Obj, o: Obj): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...specValidators[kind](obj(n.spec))];
  const ns = obj(n.spec);
  const os = obj(o.spec);
  if (kind === 'StatefulSet') {
    const a = clone(ns);
    const b = clone(os);
    for (const f of statefulSetUpdatable) {
      delete a[f];
      delete b[f];
    }
    if (!semanticEqual(a, b)) {
      errs.push(
        field.forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
  } else {
    errs.push(...immutable(ns.selector, os.selector, 'spec.selector', goLabelSelector));
  }
  return errs;
}

/** Status counters are non-negative and consistent (ValidateDeploymentStatus and friends). */
export function validateWorkloadStatusUpdate(kind: Kind, n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const status = obj(n.status);
  const counters =
    kind === 'DaemonSet'
      ? ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount']
      : ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'currentReplicas', 'fullyLabeledReplicas', 'observedGeneration', 'collisionCount'];
  for (const c of counters) errs.push(...nonNegative(status[c], `status.${c}`));
  if (kind !== 'DaemonSet') {
    const replicas = num(status.replicas) ?? 0;
    for (const c of ['readyReplicas', 'availableReplicas', 'updatedReplicas', 'currentReplicas', 'fullyLabeledReplicas']) {
      const v = num(status[c]);
      if (v !== undefined && v > replicas) {
        errs.push(field.invalid(`status.${c}`, v, 'cannot be greater than status.replicas'));
      }
    }
    const ready = num(status.readyReplicas) ?? 0;
    const available = num(status.availableReplicas) ?? 0;
    if (kind !== 'StatefulSet' && available > ready) errs.push(field.invalid('status.availableReplicas', available, 'cannot be greater than readyReplicas'));
  }
  const oldCollisions = num(obj(o.status).collisionCount);
  const newCollisions = num(status.collisionCount);
  if (oldCollisions !== undefined && (newCollisions === undefined || newCollisions < oldCollisions)) {
    errs.push(field.invalid('status.collisionCount', newCollisions ?? 0, 'cannot be decremented'));
  }
  return errs;
}
