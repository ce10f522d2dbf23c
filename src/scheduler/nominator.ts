// Pods nominated to a node by preemption and not yet bound (upstream's nominator). Filters count
// them on their node (higher or equal priority only), so the space preemption freed is not taken
// by another pod first.
//
// A nomination comes from the pod's status.nominatedNodeName or, before that status write is
// seen, from the PostFilter result held in memory; an update without the field keeps the
// in-memory one.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodInfo } from './framework/types.js';

const none: PodInfo[] = [];

export class Nominator {
  private readonly byNode = new Map<string, PodInfo[]>();
  private readonly nodeOf = new Map<string, string>();

  /** (Re)nominates the pod: to `nodeName` when given, else to status.nominatedNodeName. */
  add(pod: PodInfo, nodeName?: string): void {
    this.delete(pod.key);
    const node = nodeName ?? pod.pod.status?.nominatedNodeName;
    if (!node || pod.pod.spec?.nodeName) return;
    this.nodeOf.set(pod.key, node);
    let l = this.byNode.get(node);
    if (!l) this.byNode.set(node, (l = []));
    l.push(pod);
  }

  update(oldPod: Pod, pod: PodInfo): void {
    const keep = !oldPod.status?.nominatedNodeName && !pod.pod.status?.nominatedNodeName ? this.nodeOf.get(pod.key) : undefined;
    this.add(pod, keep);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const l = this.byNode.get(node) ?? [];
    const i = l.findIndex((p) => p.key === key);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.byNode.delete(node);
  }

  nominatedNodeOf(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  /** The pods nominated to the node (a shared empty list when none: do not mutate). */
  forNode(nodeName: string): PodInfo[] {
    if (this.nodeOf.size === 0) return none;
    return this.byNode.get(nodeName)?.slice() ?? none;
  }

  /** True when some pod is nominated anywhere (lets filters skip the lookup). */
  get size(): number {
    return this.nodeOf.size;
  }
}
