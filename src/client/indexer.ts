// The informer's local cache: objects by `namespace/name` key (or `name` for cluster-scoped ones)
// plus secondary indexes computed by named index functions, as client-go's Indexer.
//
// Contract: the store holds the objects it was given (callers must not mutate them); every
// index is kept consistent with the objects on each add/update/delete/replace.

import type { KObject } from '../apiserver/object.js';

/** The values an object is indexed under; [] leaves it out of the index. */
export type IndexFunc = (obj: KObject) => string[];

export function keyOf(obj: KObject): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : (obj.metadata.name ?? '');
}

/** Ready-made index functions. */
export const indexFuncs = {
  namespace: ((obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : [])) as IndexFunc,
  nodeName: ((obj) => {
    const spec = obj.spec as { nodeName?: unknown } | undefined;
    return typeof spec?.nodeName === 'string' && spec.nodeName !== '' ? [spec.nodeName] : [];
  }) as IndexFunc,
  ownerUid: ((obj) => (obj.metadata.ownerReferences ?? []).map((o) => o.uid)) as IndexFunc,
  /** Objects without a controller reference, by namespace: what a controller may adopt. */
  orphanNamespace: ((obj) => ((obj.metadata.ownerReferences ?? []).some((o) => o.controller) ? [] : [obj.metadata.namespace ?? ''])) as IndexFunc,
  /** Indexes by the value of one label. */
  label(name: string): IndexFunc {
    return (obj) => {
      const v = obj.metadata.labels?.[name];
      return v === undefined ? [] : [v];
    };
  },
};

export class Indexer {
  private readonly items = new Map<string, KObject>();
  /** index name → value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  private readonly indexers: Record<string, IndexFunc>;

  constructor(indexers: Record<string, IndexFunc> = {}) {
    this.indexers = { ...indexers };
    for (const name of Object.keys(indexers)) this.indices.set(name, new Map());
  }

  /** Adds indexes (a name already present must be the same function) and indexes what is held. */
  addIndexers(indexers: Record<string, IndexFunc>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const have = this.indexers[name] as IndexFunc | undefined;
      if (have === fn) continue;
      if (have) throw new Error(`index ${JSON.stringify(name)} is already defined by another function`);
      this.indexers[name] = fn;
      const idx = new Map<string, Set<string>>();
      this.indices.set(name, idx);
      for (const [key, obj] of this.items) {
        for (const v of fn(obj)) {
          let set = idx.get(v);
          if (!set) idx.set(v, (set = new Set()));
          set.add(key);
        }
      }
    }
  }

  get(key: string): KObject | undefined {
    return this.items.get(key);
  }

  list(): KObject[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects whose index function `index` yields `value`. */
  byIndex(index: string, value: string): KObject[] {
    const idx = this.indices.get(index);
    if (!idx) throw new Error(`no index named ${JSON.stringify(index)}: give it in the informer's indexers`);
    return [...(idx.get(value) ?? [])].map((k) => this.items.get(k) as KObject);
  }

  /** Adds or replaces; returns the previous object under the key. */
  upsert(obj: KObject): KObject | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  delete(key: string): KObject | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  replace(objs: KObject[]): void {
    this.items.clear();
    for (const idx of this.indices.values()) idx.clear();
    for (const o of objs) this.upsert(o);
  }

  private index(key: string, obj: KObject): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name) as Map<string, Set<string>>;
      for (const v of fn(obj)) {
        let set = idx.get(v);
        if (!set) idx.set(v, (set = new Set()));
        set.add(key);
      }
    }
  }

  private unindex(key: string, obj: KObject): void {
    for (const [name, fn] of Object.entries(this.indexers)) {
      const idx = this.indices.get(name) as Map<string, Set<string>>;
      for (const v of fn(obj)) {
        const set = idx.get(v);
        set?.delete(key);
        if (set?.size === 0) idx.delete(v);
      }
    }
  }
}
