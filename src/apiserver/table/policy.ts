// Small cluster-policy kinds: PodDisruptionBudgets, PriorityClasses, RuntimeClasses, Leases and
// ResourceQuotas.

import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { RuntimeClass } from 'kubernetes-types/node/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { doc } from './descriptions.js';
import { age, ageColumn, col, int, nameColumn, nameOf, quantity, typed } from './common.js';
import type { Obj, Printer, TableCell } from './types.js';

function intOrString(v: number | string | undefined | null): string {
  if (v === undefined || v === null) return 'N/A';
  return String(v);
}

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameColumn,
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn,
  ],
  cells: (obj, now) => {
    const pdb = typed<PodDisruptionBudget>(obj);
    return [nameOf(obj), intOrString(pdb.spec?.minAvailable), intOrString(pdb.spec?.maxUnavailable), int(pdb.status?.disruptionsAllowed), age(obj, now)];
  },
};

export const priorityClassPrinter: Printer = {
  columns: [
    nameColumn,
    col('Value', 'integer', doc['PriorityClass.value']),
    col('Global-Default', 'boolean', doc['PriorityClass.globalDefault']),
    ageColumn,
    // Not a wide column upstream: `kubectl get pc` always shows it.
    col('PreemptionPolicy', 'string', doc['PriorityClass.preemptionPolicy']),
  ],
  cells: (obj, now) => {
    const pc = typed<PriorityClass>(obj);
    return [nameOf(obj), int(pc.value), pc.globalDefault === true, age(obj, now), pc.preemptionPolicy ?? ''];
  },
};

export const runtimeClassPrinter: Printer = {
  // Upstream describes Handler with a key ObjectMeta does not have, i.e. ''.
  columns: [nameColumn, col('Handler', 'string', ''), ageColumn],
  cells: (obj, now) => [nameOf(obj), typed<RuntimeClass>(obj).handler ?? '', age(obj, now)],
};

export const leasePrinter: Printer = {
  columns: [nameColumn, col('Holder', 'string', doc['LeaseSpec.holderIdentity']), ageColumn],
  cells: (obj, now) => [nameOf(obj), typed<Lease>(obj).spec?.holderIdentity ?? '', age(obj, now)],
};

/** 'cpu: 100m/1, pods: 2/10' for requests and 'limits.cpu: 0/2' for limits, sorted by resource. */
export function quotaColumns(rq: ResourceQuota): [string, string] {
  const hard = rq.status?.hard ?? {};
  const used = rq.status?.used ?? {};
  const requests: string[] = [];
  const limits: string[] = [];
  for (const r of Object.keys(hard).sort()) {
    const pieces = r.split('.');
    const entry = `${r}: ${quantity(used[r])}/${quantity(hard[r])}`;
    (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(entry);
  }
  return [requests.join(', '), limits.join(', ')];
}

function quotaCells(obj: Obj, now: number): TableCell[] {
  const [requests, limits] = quotaColumns(typed<ResourceQuota>(obj));
  return [nameOf(obj), requests, limits, age(obj, now)];
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    nameColumn,
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ageColumn,
  ],
  cells: quotaCells,
};
