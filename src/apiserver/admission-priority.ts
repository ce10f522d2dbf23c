// The Priority admission plugin (upstream plugin/pkg/admission/priority): a new pod's
// spec.priorityClassName resolves to spec.priority and spec.preemptionPolicy from its
// PriorityClass; without a name the globalDefault class applies (its name is written to the pod),
// else priority 0 and PreemptLowerPriority. Values the client set itself must agree. At most one
// PriorityClass may be the global default. The two system classes exist from bootstrap on.

import { StatusError } from '../api/errors.js';
import type { KObject } from './object.js';

type Rec = Record<string, unknown>;

export interface PriorityClassInfo {
  name: string;
  value: number;
  globalDefault: boolean;
  preemptionPolicy?: string;
}

/** Reads PriorityClasses consistently (the store, not a cache: a class created just before a pod counts). */
export interface PriorityClassSource {
  get(name: string): Promise<PriorityClassInfo | undefined>;
  list(): Promise<PriorityClassInfo[]>;
}

/** Upstream's bootstrap classes (scheduling.SystemPriorityClasses). */
export const systemPriorityClasses: KObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-node-critical' },
    value: 2000001000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'system-cluster-critical' },
    value: 2000000000,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

export function priorityClassInfo(o: KObject): PriorityClassInfo {
  const r = o as unknown as Rec;
  return {
    name: o.metadata.name ?? '',
    value: typeof r.value === 'number' ? r.value : 0,
    globalDefault: r.globalDefault === true,
    preemptionPolicy: typeof r.preemptionPolicy === 'string' ? r.preemptionPolicy : undefined,
  };
}

/**
 * admission.NewForbidden. Upstream admits before a generateName is expanded and so names the
 * generateName; hooks here run after it, so a name that is the generateName plus the 5-character
 * suffix is reported as the generateName.
 */
function forbidden(resource: string, group: string, obj: KObject, msg: string): StatusError {
  const { name: actual, generateName: gen } = obj.metadata;
  const generated = !!gen && !!actual && actual.startsWith(gen) && actual.length === gen.length + 5;
  const name = (generated ? gen : actual) || gen || 'Unknown';
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(403, 'Forbidden', `${qualified} "${name}" is forbidden: ${msg}`, { name, group, kind: resource });
}

/** With several defaults (a race), the lowest value wins, as upstream. */
async function defaultClass(src: PriorityClassSource): Promise<PriorityClassInfo | undefined> {
  let best: PriorityClassInfo | undefined;
  for (const pc of await src.list()) if (pc.globalDefault && (!best || pc.value < best.value)) best = pc;
  return best;
}

/** Create: resolves and checks spec.priority / spec.preemptionPolicy. */
export async function admitPodCreate(pod: KObject, src: PriorityClassSource): Promise<void> {
  const spec = ((pod as unknown as Rec).spec ?? {}) as Rec;
  const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  let cls: PriorityClassInfo | undefined;
  if (name === '') {
    cls = await defaultClass(src);
  } else {
    cls = (await src.get(name)) ?? systemPriorityClasses.map(priorityClassInfo).find((c) => c.name === name);
    if (!cls) throw forbidden('pods', '', pod, `no PriorityClass with name ${name} was found`);
  }
  const priority = cls?.value ?? 0;
  const policy = cls ? (cls.preemptionPolicy ?? 'PreemptLowerPriority') : 'PreemptLowerPriority';
  if (cls) spec.priorityClassName = cls.name;
  if (typeof spec.priority === 'number' && spec.priority !== priority) {
    throw forbidden('pods', '', pod, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
  }
  spec.priority = priority;
  if (typeof spec.preemptionPolicy === 'string' && spec.preemptionPolicy !== policy) {
    throw forbidden('pods', '', pod, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
  }
  spec.preemptionPolicy = policy;
  (pod as unknown as Rec).spec = spec;
}

/** Update: an update that omits the priority fields keeps the ones admission set at create. */
export function admitPodUpdate(pod: KObject, old: KObject): void {
  const spec = (pod as unknown as Rec).spec as Rec | undefined;
  const oldSpec = (old as unknown as Rec).spec as Rec | undefined;
  if (!spec || !oldSpec) return;
  if (spec.priority === undefined && oldSpec.priority !== undefined) spec.priority = oldSpec.priority;
  if (spec.preemptionPolicy === undefined && oldSpec.preemptionPolicy !== undefined) spec.preemptionPolicy = oldSpec.preemptionPolicy;
}

/** PriorityClass create/update: only one globalDefault class. */
export async function admitPriorityClass(pc: KObject, src: PriorityClassSource, op: 'create' | 'update'): Promise<void> {
  if ((pc as unknown as Rec).globalDefault !== true) return;
  const dpc = await defaultClass(src);
  if (dpc && (op === 'create' || dpc.name !== pc.metadata.name)) {
    throw forbidden('priorityclasses', 'scheduling.k8s.io', pc, `PriorityClass ${dpc.name} is already marked as default. Only one default can exist`);
  }
}
