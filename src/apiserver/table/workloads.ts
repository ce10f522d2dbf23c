// Deployments, ReplicaSets, StatefulSets and DaemonSets.

import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import { formatLabelSelector, formatLabels, labelSelectorFromObject, selectorToString } from '../../api/selectors/labels.js';
import { doc } from './descriptions.js';
import { age, ageColumn, col, containersColumn, imagesColumn, int, layoutContainers, nameColumn, nameOf, typed, wide } from './common.js';
import type { Printer } from './types.js';

/** spec.replicas is defaulted to 1 by the API; an object stored without it reads the same. */
function desired(replicas: number | undefined | null): number {
  return replicas === undefined || replicas === null ? 1 : int(replicas);
}

/** Deployments print LabelSelectorAsSelector(...).String(): '' when missing, '<invalid>' when bad. */
function deploymentSelector(d: Deployment): string {
  try {
    return selectorToString(labelSelectorFromObject(d.spec?.selector));
  } catch {
    return '<invalid>';
  }
}

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn,
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', doc['DeploymentStatus.updatedReplicas']),
    col('Available', 'string', doc['DeploymentStatus.availableReplicas']),
    ageColumn,
    containersColumn,
    imagesColumn,
    wide(col('Selector', 'string', doc['DeploymentSpec.selector'])),
  ],
  cells: (obj, now) => {
    const d = typed<Deployment>(obj);
    const [names, images] = layoutContainers(d.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      `${int(d.status?.readyReplicas)}/${desired(d.spec?.replicas)}`,
      int(d.status?.updatedReplicas),
      int(d.status?.availableReplicas),
      age(obj, now),
      names,
      images,
      deploymentSelector(d),
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn,
    col('Desired', 'integer', doc['ReplicaSetSpec.replicas']),
    col('Current', 'integer', doc['ReplicaSetStatus.replicas']),
    col('Ready', 'integer', doc['ReplicaSetStatus.readyReplicas']),
    ageColumn,
    containersColumn,
    imagesColumn,
    wide(col('Selector', 'string', doc['ReplicaSetSpec.selector'])),
  ],
  cells: (obj, now) => {
    const rs = typed<ReplicaSet>(obj);
    const [names, images] = layoutContainers(rs.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      desired(rs.spec?.replicas),
      int(rs.status?.replicas),
      int(rs.status?.readyReplicas),
      age(obj, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [nameColumn, col('Ready', 'string', 'Number of the pod with ready state'), ageColumn, containersColumn, imagesColumn],
  cells: (obj, now) => {
    const sts = typed<StatefulSet>(obj);
    const [names, images] = layoutContainers(sts.spec?.template?.spec?.containers);
    return [nameOf(obj), `${int(sts.status?.readyReplicas)}/${desired(sts.spec?.replicas)}`, age(obj, now), names, images];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn,
    col('Desired', 'integer', doc['DaemonSetStatus.desiredNumberScheduled']),
    col('Current', 'integer', doc['DaemonSetStatus.currentNumberScheduled']),
    col('Ready', 'integer', doc['DaemonSetStatus.numberReady']),
    col('Up-to-date', 'integer', doc['DaemonSetStatus.updatedNumberScheduled']),
    col('Available', 'integer', doc['DaemonSetStatus.numberAvailable']),
    col('Node Selector', 'string', doc['PodSpec.nodeSelector']),
    ageColumn,
    containersColumn,
    imagesColumn,
    wide(col('Selector', 'string', doc['DaemonSetSpec.selector'])),
  ],
  cells: (obj, now) => {
    const ds = typed<DaemonSet>(obj);
    const st = ds.status;
    const [names, images] = layoutContainers(ds.spec?.template?.spec?.containers);
    return [
      nameOf(obj),
      int(st?.desiredNumberScheduled),
      int(st?.currentNumberScheduled),
      int(st?.numberReady),
      int(st?.updatedNumberScheduled),
      int(st?.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(obj, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

/** CONTROLLER reads `<kind>.<group>/<name>` in lower case (e.g. `daemonset.apps/web`), or `<none>`. */
export const controllerRevisionPrinter: Printer = {
  columns: [nameColumn, col('Controller', 'string', 'Controller of the object'), col('Revision', 'integer', 'Revision indicates the revision of the state represented by Data.'), ageColumn],
  cells: (obj, now) => {
    const cr = typed<ControllerRevision>(obj);
    const ref = (cr.metadata?.ownerReferences ?? []).find((r) => r.controller);
    let controller = '<none>';
    if (ref) {
      const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
      controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
    }
    return [nameOf(obj), controller, int(cr.revision), age(obj, now)];
  },
};
