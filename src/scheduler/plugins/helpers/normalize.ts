// Score normalisation shared by plugins (upstream helper.DefaultNormalizeScore).

import type { NodeScore } from '../../framework/types.js';

/**
 * Scales scores to [0, maxPriority] by the highest one (integer division, as upstream);
 * `reverse` flips them (maxPriority - score). All zero: unchanged, or all maxPriority if reversed.
 */
export function defaultNormalizeScore(maxPriority: number, reverse: boolean, scores: NodeScore[]): void {
  let max = 0;
  for (const s of scores) if (s.score > max) max = s.score;
  if (max === 0) {
    if (reverse) for (const s of scores) s.score = maxPriority;
    return;
  }
  for (const s of scores) {
    let v = Math.floor((maxPriority * s.score) / max);
    if (reverse) v = maxPriority - v;
    s.score = v;
  }
}
