// The scheduler's writes to the API: bindings, the PodScheduled condition and nominatedNodeName
// of pods it could not place, preemption's deletions. Each is one request; failures reject with
// the API's error (ApiError) for the caller to judge.

import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import { resourcePath } from '../client/client.js';
import { resourceOf } from '../controllers/context.js';
import { isApiError } from '../client/transport.js';

export const podsResource = resourceOf('', 'Pod');

function nameOf(pod: Pod): { name: string; namespace: string } {
  return { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '' };
}

/** POST pods/binding (upstream DefaultBinder), with the pod's UID as precondition. */
export async function bindPod(client: Client, pod: Pod, nodeName: string): Promise<void> {
  const { name, namespace } = nameOf(pod);
  const body = { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
  await client.transport.request('POST', resourcePath(podsResource, namespace, name, 'binding'), { body });
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Sets PodScheduled=False with reason and message, and (when `nominatedNodeName` is given)
 * status.nominatedNodeName ('' clears it). Nothing is written when both already hold
 * (upstream updatePod); the transition time is kept while the status stays False.
 */
export async function markUnschedulable(client: Client, pod: Pod, reason: string, message: string, nominatedNodeName?: string): Promise<boolean> {
  const existing = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const condChanged = !existing || existing.status !== 'False' || existing.reason !== reason || existing.message !== message;
  const nnnChanged = nominatedNodeName !== undefined && (pod.status?.nominatedNodeName ?? '') !== nominatedNodeName;
  if (!condChanged && !nnnChanged) return false;
  const cond: Omit<PodCondition, 'lastProbeTime'> & { lastProbeTime: null } = {
    type: 'PodScheduled',
    status: 'False',
    reason,
    message,
    lastProbeTime: null,
    lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : now(),
  };
  const status: Record<string, unknown> = { conditions: [cond] };
  if (nnnChanged) status.nominatedNodeName = nominatedNodeName || null;
  const { name, namespace } = nameOf(pod);
  await client.patch(podsResource, name, { status }, 'strategic', { namespace, subresource: 'status' });
  return true;
}

/** Sets (or with '' clears) status.nominatedNodeName. */
export async function nominatePod(client: Client, pod: Pod, nodeName: string): Promise<void> {
  const { name, namespace } = nameOf(pod);
  await client.patch(podsResource, name, { status: { nominatedNodeName: nodeName || null } }, 'merge', { namespace, subresource: 'status' });
}

/**
 * Preemption's eviction: marks the victim DisruptionTarget=True with `reason` (upstream:
 * PreemptionByScheduler) and `message`, then deletes it (UID precondition, so a new pod of the
 * same name is never hit). A victim already gone counts as deleted.
 */
export async function deleteVictim(client: Client, pod: Pod, reason: string, message: string): Promise<void> {
  const { name, namespace } = nameOf(pod);
  const cond = { type: 'DisruptionTarget', status: 'True', reason: reason || 'PreemptionByScheduler', message, lastTransitionTime: now() };
  try {
    await client.patch(podsResource, name, { status: { conditions: [cond] } }, 'strategic', { namespace, subresource: 'status' });
    await client.delete(podsResource, name, { namespace, ...(pod.metadata?.uid ? { preconditions: { uid: pod.metadata.uid } } : {}) });
  } catch (err) {
    if (isApiError(err, 404)) return;
    throw err;
  }
}
