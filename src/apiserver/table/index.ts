// Server-side printing: converts objects of one resource to a meta.k8s.io/v1 Table, with the
// columns upstream's printers give each kind (`kubectl get` prints whatever the server returns).
// Kinds without a printer get upstream's default table: Name and Created At.

import type { ResourceInfo } from '../../api/resources.js';
import { parseTime } from '../../util/duration.js';
import { doc } from './descriptions.js';
import { col, metaOf, nameColumn, nameOf } from './common.js';
import { cronJobPrinter, jobPrinter } from './batch.js';
import { configMapPrinter, secretPrinter, serviceAccountPrinter } from './config.js';
import { eventPrinter, eventsV1Printer } from './events.js';
import { namespacePrinter, nodePrinter } from './nodes.js';
import { podPrinter } from './pods.js';
import { leasePrinter, podDisruptionBudgetPrinter, priorityClassPrinter, resourceQuotaPrinter, runtimeClassPrinter } from './policy.js';
import { clusterRoleBindingPrinter, roleBindingPrinter } from './rbac.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './services.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter } from './storage.js';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './workloads.js';
import type { IncludeObject, Obj, Printer, Table, TableRow } from './types.js';

export type { IncludeObject, Printer, Table, TableCell, TableColumnDefinition, TableRow, TableRowCondition } from './types.js';

/** Keyed by '<group>/<Kind>' ('' group for core). */
const PRINTERS: Record<string, Printer> = {
  '/Pod': podPrinter,
  '/Node': nodePrinter,
  '/Namespace': namespacePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Event': eventPrinter,
  '/PersistentVolume': persistentVolumePrinter,
  '/PersistentVolumeClaim': persistentVolumeClaimPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'events.k8s.io/Event': eventsV1Printer,
  'node.k8s.io/RuntimeClass': runtimeClassPrinter,
  'policy/PodDisruptionBudget': podDisruptionBudgetPrinter,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingPrinter,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingPrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
};

/** Go's time.RFC3339 in UTC at second precision; an unset time is Go's zero time. */
function rfc3339(v: unknown): string {
  const t = parseTime(v);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** apiserver's defaultTableConvertor. */
export const defaultPrinter: Printer = {
  columns: [nameColumn, col('Created At', 'date', doc['ObjectMeta.creationTimestamp'])],
  cells: (obj) => [nameOf(obj), rfc3339(metaOf(obj).creationTimestamp)],
};

export function printerFor(resource: Pick<ResourceInfo, 'group' | 'kind'>): Printer {
  const key = `${resource.group}/${resource.kind}`;
  return Object.hasOwn(PRINTERS, key) ? (PRINTERS[key] as Printer) : defaultPrinter;
}

export interface TableOptions {
  /** What each row carries besides its cells; upstream's default is Metadata. */
  includeObject: IncludeObject;
  /** The clock for AGE-like cells; defaults to the current time. */
  now?: Date;
  /** TableOptions.noHeaders: leave columnDefinitions empty (used for watch events after the first). */
  noHeaders?: boolean;
}

function rowObject(obj: Obj, include: IncludeObject): Obj | undefined {
  switch (include) {
    case 'Object':
      return obj;
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: metaOf(obj) };
    case 'None':
      return undefined;
  }
}

/**
 * One row per object, in the given order, with every column's cell (wide ones included: kubectl
 * hides priority-1 columns itself). Pure apart from reading `now`; never throws on odd objects.
 */
export function toTable(resource: Pick<ResourceInfo, 'group' | 'kind'>, objects: Obj[], opts: TableOptions): Table {
  const printer = printerFor(resource);
  const now = (opts.now ?? new Date()).getTime();
  const rows: TableRow[] = new Array<TableRow>(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const obj = objects[i] as Obj;
    const row: TableRow = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const o = rowObject(obj, opts.includeObject);
    if (o) row.object = o;
    rows[i] = row;
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: opts.noHeaders ? [] : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
