// PrioritySort: the queue order — higher spec.priority first, then the earlier queue timestamp.

import type { PluginFactory, QueuedPodInfo, QueueSortPlugin } from '../framework/types.js';
import { podPriority } from './podinfo-terms.js';

export const prioritySortName = 'PrioritySort';

export class PrioritySort implements QueueSortPlugin {
  readonly name = prioritySortName;
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = podPriority(a.podInfo.pod);
    const pb = podPriority(b.podInfo.pod);
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}

export const newPrioritySort: PluginFactory = () => new PrioritySort();
