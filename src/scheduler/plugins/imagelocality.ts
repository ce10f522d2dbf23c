// ImageLocality: favours nodes that already hold the pod's images, by their size, scaled by how
// widely each image is spread (an image on every node says little about this one).
//
// PreScore normalises the image names once per pod and returns Skip when no node holds any of
// them: every node would score 0, so the totals are the same without the per-node work.

import { Code, maxNodeScore, status, success, type CycleState, type Handle, type NodeInfo, type PluginFactory, type PodInfo, type PreScorePlugin, type ScorePlugin, type Status } from '../framework/types.js';

export const imageLocalityName = 'ImageLocality';
const preScoreKey = 'PreScoreImageLocality';
const mb = 1024 * 1024;
const minThreshold = 23 * mb;
const maxContainerThreshold = 1000 * mb;

/** Adds `:latest` to an image reference without a tag (upstream normalizedImageName). */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

export function calculatePriority(sumScores: number, numContainers: number): number {
  const maxThreshold = maxContainerThreshold * numContainers;
  const s = Math.min(Math.max(sumScores, minThreshold), maxThreshold);
  return Math.floor((maxNodeScore * (s - minThreshold)) / (maxThreshold - minThreshold));
}

interface PodImages {
  /** Normalised image of every init and regular container, in order. */
  names: string[];
  /** Per name: nodes holding it / all nodes (the snapshot is fixed for the cycle). */
  spreads: number[];
}

export class ImageLocality implements PreScorePlugin, ScorePlugin {
  readonly name = imageLocalityName;
  constructor(private readonly handle: Handle) {}

  private imagesOf(pod: PodInfo): PodImages {
    const containers = [...(pod.pod.spec?.initContainers ?? []), ...(pod.pod.spec?.containers ?? [])];
    const names = containers.map((c) => normalizedImageName(c.image ?? ''));
    const snap = this.handle.snapshot();
    const total = snap.nodes().length;
    const spreads = names.map((n) => (total > 0 ? (snap.imageNumNodes?.(n) ?? 1) / total : 1));
    return { names, spreads };
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const images = this.imagesOf(pod);
    if (this.handle.snapshot().imageNumNodes && images.spreads.every((s) => s === 0)) return status(Code.Skip);
    state.write(preScoreKey, images);
    return success;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): { score: number; status: Status } {
    const images = state.read<PodImages>(preScoreKey) ?? this.imagesOf(pod);
    let sum = 0;
    for (let i = 0; i < images.names.length; i++) {
      const size = node.images.get(images.names[i] as string);
      if (size !== undefined) sum += Math.trunc(size * (images.spreads[i] as number));
    }
    return { score: calculatePriority(sum, images.names.length), status: success };
  }
}

export const newImageLocality: PluginFactory = (_args, handle) => new ImageLocality(handle);
