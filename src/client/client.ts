// A small typed client over a Transport: the REST verbs of one resource, addressed by its
// ResourceInfo. Objects go out and come back as KObject; failures reject with ApiError.

import type { ResourceInfo } from '../api/resources.js';
import { groupVersion } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import type { Transport, WatchEvent } from './transport.js';

export interface KList {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: KObject[];
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
  /** Only metadata (PartialObjectMetadataList): what a garbage collector needs, at a fraction of the size. */
  metadataOnly?: boolean;
}

const metadataListAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const metadataAccept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  metadataOnly?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  signal?: AbortSignal;
}

/**
 * `/api/v1/namespaces/NS/pods/NAME/SUB` or `/apis/GROUP/VERSION/...`. A namespaced resource
 * without a namespace addresses all namespaces (lists and watches only).
 */
export function resourcePath(info: ResourceInfo, namespace?: string, name?: string, subresource?: string): string {
  let p = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  if (info.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${info.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) p += `/${subresource}`;
  return p;
}

function nsOf(info: ResourceInfo, obj: KObject, namespace?: string): string | undefined {
  if (!info.namespaced) return undefined;
  const ns = namespace ?? obj.metadata.namespace;
  if (!ns) throw new Error(`a ${info.kind} is namespaced: give metadata.namespace or a namespace`);
  return ns;
}

function nameOf(obj: KObject): string {
  const name = obj.metadata.name;
  if (!name) throw new Error(`${obj.kind} has no metadata.name`);
  return name;
}

function parseObject(body: string): KObject {
  return JSON.parse(body) as KObject;
}

export class Client {
  constructor(readonly transport: Transport) {}

  async get(info: ResourceInfo, name: string, namespace?: string, signal?: AbortSignal): Promise<KObject> {
    const res = await this.transport.request('GET', resourcePath(info, namespace, name), { ...(signal ? { signal } : {}) });
    return parseObject(res.body);
  }

  async list(info: ResourceInfo, opts: ListOptions = {}): Promise<KList> {
    const res = await this.transport.request('GET', resourcePath(info, opts.namespace), {
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue, resourceVersion: opts.resourceVersion },
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.metadataOnly ? { accept: metadataListAccept } : {}),
    });
    const list = JSON.parse(res.body) as KList;
    // Like upstream's typed clients: items carry their apiVersion and kind.
    for (const item of list.items) {
      item.apiVersion ??= groupVersion(info);
      item.kind ??= info.kind;
    }
    return list;
  }

  async create(info: ResourceInfo, obj: KObject, namespace?: string, signal?: AbortSignal): Promise<KObject> {
    const res = await this.transport.request('POST', resourcePath(info, nsOf(info, obj, namespace)), { body: obj, ...(signal ? { signal } : {}) });
    return parseObject(res.body);
  }

  /** PUT with the object's resourceVersion (if any) as the optimistic-concurrency precondition. */
  async update(info: ResourceInfo, obj: KObject, signal?: AbortSignal): Promise<KObject> {
    const res = await this.transport.request('PUT', resourcePath(info, nsOf(info, obj), nameOf(obj)), { body: obj, ...(signal ? { signal } : {}) });
    return parseObject(res.body);
  }

  /** PUT to a subresource that takes the whole object: `status` (default) or a namespace's `finalize`. */
  async updateStatus(info: ResourceInfo, obj: KObject, signal?: AbortSignal, subresource: 'status' | 'finalize' = 'status'): Promise<KObject> {
    const res = await this.transport.request('PUT', resourcePath(info, nsOf(info, obj), nameOf(obj), subresource), { body: obj, ...(signal ? { signal } : {}) });
    return parseObject(res.body);
  }

  async patch(info: ResourceInfo, name: string, patch: unknown, type: PatchType, opts: { namespace?: string; subresource?: string; fieldManager?: string; force?: boolean; signal?: AbortSignal } = {}): Promise<KObject> {
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    const res = await this.transport.request('PATCH', resourcePath(info, opts.namespace, name, opts.subresource), {
      body,
      contentType: patchContentType[type],
      query: { fieldManager: opts.fieldManager, force: opts.force },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return parseObject(res.body);
  }

  /** Resolves with what the server answers: the object (being finalized) or a Success Status. */
  async delete(info: ResourceInfo, name: string, opts: DeleteOptions = {}): Promise<KObject> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    const res = await this.transport.request('DELETE', resourcePath(info, opts.namespace, name), { body, ...(opts.signal ? { signal: opts.signal } : {}) });
    return parseObject(res.body);
  }

  /** DELETE of every object the selection matches (in `namespace`, or everywhere). */
  async deleteCollection(info: ResourceInfo, opts: DeleteOptions & { labelSelector?: string; fieldSelector?: string } = {}): Promise<void> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    await this.transport.request('DELETE', resourcePath(info, opts.namespace), {
      body,
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Streams watch events until the server ends the watch; see Transport.watch. */
  watch(info: ResourceInfo, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    return this.transport.watch(
      resourcePath(info, opts.namespace),
      {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        timeoutSeconds: opts.timeoutSeconds,
      },
      onEvent,
      signal,
      opts.metadataOnly ? metadataAccept : undefined,
    );
  }
}
