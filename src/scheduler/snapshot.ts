// The cluster as one scheduling cycle sees it. The cache refreshes one ClusterSnapshot in place
// at the start of every cycle (copying only the nodes that changed), so a snapshot is consistent
// for the cycle that took it and is overwritten by the next refresh.
//
// Node order: zones interleaved (one node of each zone in turn, zones in order of first
// appearance), as upstream's node tree, so that scoring a percentage of the nodes samples every
// zone.

import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo, Snapshot } from './framework/types.js';
import { addPod, newNodeInfo } from './framework/nodeinfo.js';
import { podInfoFrom } from './plugins/podinfo-terms.js';

export class ClusterSnapshot implements Snapshot {
  /** Node name → NodeInfo (objects keep their identity across refreshes). */
  readonly byName = new Map<string, NodeInfo>();
  list: NodeInfo[] = [];
  withAffinity: NodeInfo[] = [];
  withRequiredAnti: NodeInfo[] = [];
  /** The cache generation this snapshot reflects. */
  generation = 0;
  imageCounts = new Map<string, number>();

  nodes(): NodeInfo[] {
    return this.list;
  }

  get(nodeName: string): NodeInfo | undefined {
    return this.byName.get(nodeName);
  }

  havePodsWithAffinity(): NodeInfo[] {
    return this.withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): NodeInfo[] {
    return this.withRequiredAnti;
  }

  imageNumNodes(image: string): number {
    return this.imageCounts.get(image) ?? 0;
  }

  /** Rebuilds the node list in zone-interleaved order from `names` (the cache's node order). */
  rebuildList(names: Iterable<string>): void {
    const zones = new Map<string, NodeInfo[]>();
    for (const name of names) {
      const info = this.byName.get(name);
      if (!info) continue;
      const z = zoneOf(info.node);
      let l = zones.get(z);
      if (!l) zones.set(z, (l = []));
      l.push(info);
    }
    const lists = [...zones.values()];
    const out: NodeInfo[] = [];
    for (let i = 0; out.length < this.byName.size; i++) {
      let added = false;
      for (const l of lists) {
        const n = l[i];
        if (n) {
          out.push(n);
          added = true;
        }
      }
      if (!added) break;
    }
    this.list = out;
    this.rebuildAffinityLists();
  }

  rebuildAffinityLists(): void {
    this.withAffinity = this.list.filter((n) => n.podsWithAffinity.length > 0);
    this.withRequiredAnti = this.list.filter((n) => n.podsWithRequiredAntiAffinity.length > 0);
  }
}

/** Upstream utilnode.GetZoneKey: region and zone labels; '' when neither is set. */
export function zoneOf(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  if (!region && !zone) return '';
  return `${region}:\x00:${zone}`;
}

/** A snapshot built directly from objects (tests and what-if tools); pods count on spec.nodeName. */
export function snapshotOf(nodes: Node[], pods: Pod[] = []): ClusterSnapshot {
  const s = new ClusterSnapshot();
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    s.byName.set(name, newNodeInfo(name, n));
    for (const img of n.status?.images ?? []) for (const name of img.names ?? []) s.imageCounts.set(name, (s.imageCounts.get(name) ?? 0) + 1);
  }
  for (const p of pods) {
    const info = s.byName.get(p.spec?.nodeName ?? '');
    if (info) addPod(info, podInfoFrom(p));
  }
  s.rebuildList(s.byName.keys());
  return s;
}
