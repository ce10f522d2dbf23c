// Values computed from one node's pods (counts of pods a selector or term matches), remembered
// until the node changes. NodeInfo's generation rises on every change (see nodeinfo.ts), so a
// memo entry is valid exactly while the generation it was computed at is current: a scheduling
// cycle then re-computes only the nodes changed since the last one, not every pod in the cluster.
//
// Keys identify what the value depends on besides the node (a selector, an incoming pod's terms);
// a node sees a handful of distinct keys, and a bound keeps a churn of them from growing its map.

import type { NodeInfo } from './types.js';

export class NodeMemo<T> {
  private readonly memo = new WeakMap<NodeInfo, { generation: number; byKey: Map<string, T> }>();

  constructor(private readonly maxKeysPerNode = 64) {}

  get(ni: NodeInfo, key: string, compute: () => T): T {
    let m = this.memo.get(ni);
    if (!m || m.generation !== ni.generation) {
      m = { generation: ni.generation, byKey: new Map() };
      this.memo.set(ni, m);
    }
    let v = m.byKey.get(key);
    if (v === undefined) {
      v = compute();
      if (m.byKey.size >= this.maxKeysPerNode) m.byKey.clear();
      m.byKey.set(key, v);
    }
    return v;
  }
}
