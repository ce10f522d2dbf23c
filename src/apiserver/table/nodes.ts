// Nodes (NAME STATUS ROLES AGE VERSION + wide addresses and system info) and namespaces.

import type { Namespace, Node } from 'kubernetes-types/core/v1.js';
import { doc } from './descriptions.js';
import { age, ageColumn, arr, col, nameColumn, nameOf, typed, wide } from './common.js';
import type { Obj, Printer, TableCell } from './types.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** Ready / NotReady / Unknown from the Ready condition, then SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  let ready: string | undefined;
  // Upstream indexes conditions by type, so a later duplicate wins.
  for (const c of arr(node.status?.conditions)) {
    if (c.type === 'Ready') ready = c.status === 'True' ? 'Ready' : 'NotReady';
  }
  const parts = [ready ?? 'Unknown'];
  if (node.spec?.unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Sorted roles from node-role.kubernetes.io/<role> keys and the kubernetes.io/role value. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  const labels = node.metadata?.labels ?? {};
  for (const k of Object.keys(labels)) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && labels[k]) {
      roles.add(labels[k] as string);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function address(node: Node, type: string): string {
  for (const a of arr(node.status?.addresses)) if (a.type === type) return a.address;
  return '<none>';
}

const nodeColumns = [
  nameColumn,
  col('Status', 'string', 'The status of the node'),
  col('Roles', 'string', 'The roles of the node'),
  ageColumn,
  col('Version', 'string', doc['NodeSystemInfo.kubeletVersion']),
  wide(col('Internal-IP', 'string', doc['NodeStatus.addresses'])),
  wide(col('External-IP', 'string', doc['NodeStatus.addresses'])),
  wide(col('OS-Image', 'string', doc['NodeSystemInfo.osImage'])),
  wide(col('Kernel-Version', 'string', doc['NodeSystemInfo.kernelVersion'])),
  wide(col('Container-Runtime', 'string', doc['NodeSystemInfo.containerRuntimeVersion'])),
];

function nodeCells(obj: Obj, now: number): TableCell[] {
  const node = typed<Node>(obj);
  const info = node.status?.nodeInfo;
  return [
    nameOf(obj),
    nodeStatus(node),
    nodeRoles(node),
    age(obj, now),
    info?.kubeletVersion ?? '',
    address(node, 'InternalIP'),
    address(node, 'ExternalIP'),
    info?.osImage || '<unknown>',
    info?.kernelVersion || '<unknown>',
    info?.containerRuntimeVersion || '<unknown>',
  ];
}

export const nodePrinter: Printer = { columns: nodeColumns, cells: nodeCells };

export const namespacePrinter: Printer = {
  columns: [nameColumn, col('Status', 'string', 'The status of the namespace'), ageColumn],
  cells: (obj, now) => [nameOf(obj), typed<Namespace>(obj).status?.phase ?? '', age(obj, now)],
};
