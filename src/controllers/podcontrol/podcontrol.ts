// Creating and deleting a controller's pods (upstream's RealPodControl), with the events
// `kubectl describe` shows on the owner:
//   Normal  SuccessfulCreate  Created pod: <name>
//   Warning FailedCreate      Error creating: <error>      (not when the namespace is terminating)
//   Normal  SuccessfulDelete  Deleted pod: <name>
//   Warning FailedDelete      Error deleting: <error>
// plus slowStartBatch, upstream's way to create many pods without flooding a failing API.

import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KObject } from '../../apiserver/object.js';
import { clone } from '../../apiserver/object.js';
import type { Client } from '../../client/client.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf } from '../context.js';
import type { EventRecorder } from '../events.js';
import { newControllerRef } from '../../api/ownerrefs.js';
import type { PodObj } from './pods.js';

const pods = resourceOf('', 'Pod');

/** The pod a template describes for `owner`: template labels, annotations, finalizers and spec. */
export function podFromTemplate(template: PodTemplateSpec, owner: KObject, controllerRef?: OwnerReference): PodObj {
  const meta = template.metadata ?? {};
  const metadata: KObject['metadata'] = { generateName: `${owner.metadata.name ?? ''}-` };
  if (meta.labels) metadata.labels = { ...meta.labels };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) metadata.finalizers = [...meta.finalizers];
  if (controllerRef) metadata.ownerReferences = [controllerRef];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: clone(template.spec ?? { containers: [] }) };
}

/** The create failed because the namespace is being deleted: nothing to report or retry. */
export function isNamespaceTerminating(e: unknown): boolean {
  if (!isApiError(e, 403)) return false;
  const causes = e.status.details?.causes ?? [];
  return causes.some((c) => c.reason === 'NamespaceTerminating') || /because it is being terminated/.test(e.message);
}

export class PodControl {
  constructor(
    private readonly client: Client,
    private readonly recorder: EventRecorder,
  ) {}

  /** Creates one pod from `template` in `owner`'s namespace, controlled by `owner`. */
  async createPod(template: PodTemplateSpec, owner: KObject, signal?: AbortSignal): Promise<PodObj> {
    const pod = podFromTemplate(template, owner, newControllerRef(owner));
    if (!pod.metadata.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
    let created: PodObj;
    try {
      created = (await this.client.create(pods, pod, owner.metadata.namespace, signal)) as PodObj;
    } catch (e) {
      if (!isNamespaceTerminating(e)) this.recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
    this.recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name ?? ''}`);
    return created;
  }

  /** Deletes one pod of `owner`. A pod already gone rejects with the 404 (callers usually ignore it). */
  async deletePod(pod: PodObj, owner: KObject, signal?: AbortSignal): Promise<void> {
    const name = pod.metadata.name ?? '';
    try {
      await this.client.delete(pods, name, { namespace: pod.metadata.namespace, ...(signal ? { signal } : {}) });
    } catch (e) {
      if (!isApiError(e, 404)) this.recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
      throw e;
    }
    this.recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
  }
}

/**
 * Calls `fn` `count` times in batches of 1, 2, 4, … (starting at `initialBatchSize`), the calls of
 * one batch concurrently. Stops after the first batch with a failure: a quota or admission error
 * then costs one request, not hundreds. Resolves with the successes and the first error.
 */
export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<unknown>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initialBatchSize); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    let error: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else error ??= r.reason;
    }
    if (error !== undefined) return { successes, error };
    remaining -= batch;
  }
  return { successes };
}
