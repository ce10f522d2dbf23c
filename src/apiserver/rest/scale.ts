// The scale subresource: an autoscaling/v1 Scale view of a workload's replicas.

import { labelSelectorFromObject, selectorToString } from '../../api/selectors/labels.js';
import type { LabelSelector as MetaLabelSelector } from 'kubernetes-types/meta/v1.js';
import { errors } from '../../api/errors.js';
import type { KObject } from '../object.js';
import { isPlainObject } from '../object.js';
import type { Scope } from './scope.js';

type Rec = Record<string, unknown>;

export function toScale(s: Scope, obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as Rec;
  const status = (obj.status ?? {}) as Rec;
  const selector = spec.selector as MetaLabelSelector | undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: (spec.replicas as number | undefined) ?? 0 },
    status: {
      replicas: (status.replicas as number | undefined) ?? 0,
      ...(selector ? { selector: selectorToString(labelSelectorFromObject(selector)) } : {}),
    },
  };
}

/** Applies a desired Scale to the workload: only spec.replicas moves. */
export function fromScale(s: Scope, current: KObject, scale: unknown): KObject {
  if (!isPlainObject(scale) || (scale.kind !== undefined && scale.kind !== 'Scale')) throw errors.badRequest('expected a Scale object (autoscaling/v1)');
  const spec = isPlainObject(scale.spec) ? scale.spec : {};
  const replicas = spec.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid('Scale', 'autoscaling', current.metadata.name ?? '', [
      { type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  const meta = isPlainObject(scale.metadata) ? scale.metadata : {};
  const next: KObject = { ...current, spec: { ...((current.spec as Rec | undefined) ?? {}), replicas } };
  if (typeof meta.resourceVersion === 'string' && meta.resourceVersion) next.metadata = { ...current.metadata, resourceVersion: meta.resourceVersion };
  void s;
  return next;
}
