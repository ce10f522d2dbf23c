// Generic storage of one resource: the create / update / delete pipeline every write goes through
// (the in-process client included): system metadata, status/spec split, generation, defaults,
// kind hooks (admission and allocation), validation, then a compare-and-swap write.
//
// Reads of single objects go to the store (consistent); lists and watches are served by the
// watch cache (see rest/list.ts and rest/watch.ts).

import { randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../api/resources.js';
import { groupVersion } from '../api/resources.js';
import { errors, StatusError, type FieldError } from '../api/errors.js';
import { applyDefaults } from '../api/defaults/index.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../api/validation/index.js';
import { isStoreError, type KeyValue, type Store } from '../storage/store.js';
import { objectKey } from './watch-cache.js';
import { clone, deepEqual, injectResourceVersion, nowRfc3339, type KObject } from './object.js';

export interface OpContext {
  dryRun: boolean;
  user?: { name: string; groups: string[] };
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

/** Per-kind behaviour layered on the generic pipeline (registered in kinds.ts). */
export interface KindHooks {
  /** Mutating admission and allocation on create (e.g. pod status, service cluster IPs). */
  beforeCreate?(obj: KObject, ctx: OpContext): Promise<void> | void;
  /** On update of the main resource (subresource undefined) or of a subresource. */
  beforeUpdate?(obj: KObject, old: KObject, ctx: OpContext, subresource: string | undefined): Promise<void> | void;
  /** Seconds of grace a delete gets (pods); 0 or undefined deletes at once unless finalizers hold it. */
  gracePeriod?(obj: KObject, opts: DeleteOptions): number;
  /** Something besides metadata.finalizers that keeps a marked object (a namespace's spec.finalizers). */
  holdsDeletion?(obj: KObject): boolean;
  /** Called when an object is marked for deletion (e.g. namespace phase Terminating). */
  onMarkDeleted?(obj: KObject): void;
  /** Return the deleted object instead of a success Status from DELETE. */
  returnDeletedObject?: boolean;
  /** A PUT of a missing object creates it (endpoints, leases, events). */
  allowCreateOnUpdate?: boolean;
  /** metadata.generation is kept and bumped on spec changes. */
  generation?: boolean;
  /** Create keeps a client-supplied status (nodes). */
  keepStatusOnCreate?: boolean;
}

export interface NamespaceChecker {
  /** Throws 404 if the namespace is missing, 403 if it is terminating. */
  checkCreateAllowed(namespace: string, resource: ResourceInfo): Promise<void>;
}

const generateNameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += generateNameAlphabet[Math.floor(Math.random() * generateNameAlphabet.length)];
  return s;
}

export class ResourceStore {
  readonly apiVersion: string;

  constructor(
    readonly info: ResourceInfo,
    private readonly store: Store,
    private readonly hooks: KindHooks,
    private readonly namespaces: NamespaceChecker,
  ) {
    this.apiVersion = groupVersion(info);
  }

  get returnsDeletedObject(): boolean {
    return !!this.hooks.returnDeletedObject;
  }

  key(namespace: string | undefined, name: string): string {
    return objectKey(this.info, namespace, name);
  }

  decode(kv: KeyValue): KObject {
    let obj = JSON.parse(kv.value) as KObject;
    if (this.info.storage) obj = this.info.storage.fromStorage(obj) as KObject;
    obj.metadata.resourceVersion = String(kv.modRevision);
    return obj;
  }

  /**
   * Stored form: apiVersion, kind, metadata first (without resourceVersion, which is the store's
   * revision), so readers can add the resourceVersion without parsing (injectResourceVersion).
   */
  private encode(obj: KObject): string {
    const stored = this.info.storage ? (this.info.storage.toStorage(obj) as KObject) : obj;
    const { resourceVersion: _rv, ...meta } = stored.metadata;
    const { apiVersion, kind, metadata: _m, ...rest } = stored;
    return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
  }

  /** The object's JSON with its resourceVersion, read from the store without a parse. */
  async getJson(namespace: string | undefined, name: string): Promise<string> {
    const kv = await this.store.get(this.key(namespace, name));
    if (!kv) throw this.notFound(name);
    return this.info.storage ? JSON.stringify(this.decode(kv)) : injectResourceVersion(kv.value, kv.modRevision);
  }

  notFound(name: string): StatusError {
    return errors.notFound(this.info.plural, this.info.group, name);
  }

  private invalid(name: string, causes: FieldError[]): StatusError {
    return errors.invalid(this.info.kind, this.info.group, name, causes);
  }

  async get(namespace: string | undefined, name: string): Promise<KObject> {
    const kv = await this.store.get(this.key(namespace, name));
    if (!kv) throw this.notFound(name);
    return this.decode(kv);
  }

  async create(namespace: string | undefined, obj: KObject, ctx: OpContext): Promise<KObject> {
    const meta = obj.metadata;
    if (this.info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
    } else {
      delete meta.namespace;
    }
    const generated = !meta.name && !!meta.generateName;
    for (let attempt = 0; ; attempt++) {
      const o = attempt === 0 ? obj : clone(obj);
      if (generated) o.metadata.name = o.metadata.generateName + randomSuffix();
      this.prepareForCreate(o);
      applyDefaults(this.info, o);
      if (this.info.namespaced && o.metadata.namespace) await this.namespaces.checkCreateAllowed(o.metadata.namespace, this.info);
      await this.hooks.beforeCreate?.(o, ctx);
      const errs = validateCreate(this.info, o);
      if (errs.length) throw this.invalid(o.metadata.name ?? '', errs);
      const name = o.metadata.name!;
      if (ctx.dryRun) {
        const existing = await this.store.get(this.key(o.metadata.namespace, name));
        if (existing) throw errors.alreadyExists(this.info.plural, this.info.group, name);
        return o;
      }
      try {
        const kv = await this.store.create(this.key(o.metadata.namespace, name), this.encode(o));
        o.metadata.resourceVersion = String(kv.modRevision);
        return o;
      } catch (err) {
        if (isStoreError(err, 'KeyExists')) {
          if (generated && attempt < 4) continue;
          throw errors.alreadyExists(this.info.plural, this.info.group, name);
        }
        throw err;
      }
    }
  }

  private prepareForCreate(o: KObject): void {
    const meta = o.metadata;
    meta.uid = randomUUID();
    meta.creationTimestamp = nowRfc3339();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (this.hooks.generation) meta.generation = 1;
    else delete meta.generation;
    if (this.info.hasStatus && !this.hooks.keepStatusOnCreate) delete o.status;
  }

  /**
   * The read-modify-write loop behind PUT, PATCH and internal updates. `mutate` gets (a copy of)
   * the current object and returns the desired one. A desired object whose resourceVersion is
   * set and differs from the current one is a failed precondition (409); a concurrent write
   * between read and compare-and-swap makes the loop read again and re-run `mutate`, so a PUT
   * based on an older version then fails the precondition, while a patch re-applies.
   */
  async update(
    namespace: string | undefined,
    name: string,
    mutate: (current: KObject | undefined) => KObject | Promise<KObject>,
    ctx: OpContext,
    subresource?: string,
  ): Promise<{ obj: KObject; created: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) {
        if (!this.hooks.allowCreateOnUpdate || subresource) throw this.notFound(name);
        const desired = await mutate(undefined);
        if (desired.metadata.name !== name) throw errors.badRequest('the name of the object does not match the name on the URL');
        try {
          return { obj: await this.create(namespace, desired, ctx), created: true };
        } catch (err) {
          if (err instanceof StatusError && err.reason === 'AlreadyExists' && attempt < 5) continue;
          throw err;
        }
      }
      const old = this.decode(kv);
      const desired = await mutate(clone(old));
      const wantRv = desired.metadata.resourceVersion;
      if (wantRv && wantRv !== old.metadata.resourceVersion) {
        throw errors.conflict(this.info.plural, this.info.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      if (desired.metadata.name !== undefined && desired.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${desired.metadata.name}) does not match the name on the URL (${name})`);
      }
      desired.metadata.name = name;
      if (this.info.namespaced) {
        if (desired.metadata.namespace && desired.metadata.namespace !== namespace) {
          throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
        }
        desired.metadata.namespace = namespace;
      }
      this.prepareForUpdate(desired, old, subresource);
      applyDefaults(this.info, desired);
      await this.hooks.beforeUpdate?.(desired, old, ctx, subresource);
      // A binding is the scheduler's system write of spec.nodeName, checked by the binding handler.
      const errs =
        subresource === 'binding' ? [] : subresource === 'status' ? validateStatusUpdate(this.info, desired, old) : validateUpdate(this.info, desired, old);
      if (errs.length) throw this.invalid(name, errs);

      // An object being deleted goes away when an update removes its last finalizer (upstream's
      // ShouldDeleteDuringUpdate): not on other writes, and not while a grace period runs — a
      // terminating pod's status updates must not end its grace period early.
      const held = (o: KObject) => !!o.metadata.finalizers?.length || !!this.hooks.holdsDeletion?.(o);
      if (desired.metadata.deletionTimestamp && held(old) && !held(desired) && (desired.metadata.deletionGracePeriodSeconds ?? 0) === 0) {
        if (!ctx.dryRun) {
          try {
            await this.store.delete(key, kv.modRevision);
          } catch (err) {
            if (isStoreError(err, 'Conflict') && attempt < 100) continue;
            if (isStoreError(err, 'NotFound')) throw this.notFound(name);
            throw err;
          }
        }
        return { obj: desired, created: false };
      }
      desired.metadata.resourceVersion = old.metadata.resourceVersion;
      if (deepEqual(desired, old)) return { obj: old, created: false };
      if (ctx.dryRun) return { obj: desired, created: false };
      try {
        const next = await this.store.update(key, this.encode(desired), kv.modRevision);
        desired.metadata.resourceVersion = String(next.modRevision);
        return { obj: desired, created: false };
      } catch (err) {
        if (isStoreError(err, 'Conflict') && attempt < 100) continue;
        if (isStoreError(err, 'Conflict')) throw errors.conflict(this.info.plural, this.info.group, name, 'too many concurrent changes; try again');
        if (isStoreError(err, 'NotFound')) throw this.notFound(name);
        throw err;
      }
    }
  }

  /** What the server owns in an update: system metadata, and the half the endpoint may not write. */
  private prepareForUpdate(desired: KObject, old: KObject, subresource: string | undefined): void {
    const m = desired.metadata;
    const om = old.metadata;
    if (!m.uid) m.uid = om.uid;
    if (om.creationTimestamp) m.creationTimestamp = om.creationTimestamp;
    if (om.deletionTimestamp) m.deletionTimestamp = om.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (om.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (subresource === 'status') {
      // Only status (and metadata) may change through /status.
      for (const k of Object.keys(desired)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') delete desired[k];
      for (const k of Object.keys(old)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') desired[k] = clone(old[k]);
    } else if (this.info.hasStatus && subresource === undefined) {
      if (old.status === undefined) delete desired.status;
      else desired.status = clone(old.status);
    }
    if (this.hooks.generation) {
      const gen = om.generation ?? 1;
      const specChanged = subresource !== 'status' && !deepEqual(withoutMetaStatus(desired), withoutMetaStatus(old));
      m.generation = specChanged ? gen + 1 : gen;
    } else if (om.generation !== undefined) m.generation = om.generation;
    else delete m.generation;
  }

  /**
   * DELETE: immediate, or a mark (deletionTimestamp) while a grace period runs or finalizers
   * hold the object. Returns the object as it is afterwards and whether it is gone.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions, ctx: OpContext): Promise<{ obj: KObject; deleted: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < 100; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw this.notFound(name);
      const obj = this.decode(kv);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw errors.conflict(this.info.plural, this.info.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
        throw errors.conflict(
          this.info.plural,
          this.info.group,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
        );
      }
      const marked = clone(obj);
      const finalizers = new Set(marked.metadata.finalizers ?? []);
      const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
      if (policy === 'Foreground') {
        finalizers.add('foregroundDeletion');
        finalizers.delete('orphan');
      } else if (policy === 'Orphan') {
        finalizers.add('orphan');
        finalizers.delete('foregroundDeletion');
      }
      const grace = Math.max(0, this.hooks.gracePeriod?.(obj, opts) ?? 0);
      const alreadyMarked = !!obj.metadata.deletionTimestamp;
      if (finalizers.size > 0 || grace > 0 || this.hooks.holdsDeletion?.(obj)) {
        if (finalizers.size) marked.metadata.finalizers = [...finalizers];
        if (!alreadyMarked || (obj.metadata.deletionGracePeriodSeconds ?? 0) > grace) {
          marked.metadata.deletionTimestamp = nowRfc3339(new Date(Date.now() + grace * 1000));
          marked.metadata.deletionGracePeriodSeconds = grace;
        }
        if (this.hooks.generation && !alreadyMarked) marked.metadata.generation = (obj.metadata.generation ?? 1) + 1;
        this.hooks.onMarkDeleted?.(marked);
        if (deepEqual(marked, obj)) return { obj, deleted: false };
        if (ctx.dryRun) return { obj: marked, deleted: false };
        try {
          const next = await this.store.update(key, this.encode(marked), kv.modRevision);
          marked.metadata.resourceVersion = String(next.modRevision);
          return { obj: marked, deleted: false };
        } catch (err) {
          if (isStoreError(err, 'Conflict') || isStoreError(err, 'NotFound')) continue;
          throw err;
        }
      }
      if (ctx.dryRun) return { obj, deleted: true };
      try {
        const res = await this.store.delete(key, kv.modRevision);
        obj.metadata.resourceVersion = String(res.revision);
        return { obj, deleted: true };
      } catch (err) {
        if (isStoreError(err, 'Conflict')) continue;
        if (isStoreError(err, 'NotFound')) throw this.notFound(name);
        throw err;
      }
    }
    throw errors.conflict(this.info.plural, this.info.group, name, 'too many concurrent changes; try again');
  }
}

function withoutMetaStatus(o: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}
