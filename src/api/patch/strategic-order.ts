// Element order of merged lists in a strategic merge patch, after upstream's rules
// (design proposal "preserve order in strategic merge patch"): items named by the patch (or by
// its `$setElementOrder` list) keep the patch's order, items only on the server keep their
// order, and the two runs are interleaved by the items' positions in the server's list.

/** Identity of a list item: the merge key's value for lists of objects, the value otherwise. */
export function identity(item: unknown, mergeKey: string | undefined): unknown {
  if (mergeKey && typeof item === 'object' && item !== null && !Array.isArray(item)) {
    return (item as Record<string, unknown>)[mergeKey];
  }
  return item;
}

export function indexIn(list: readonly unknown[], item: unknown, mergeKey: string | undefined): number {
  const id = identity(item, mergeKey);
  return list.findIndex((x) => identity(x, mergeKey) === id);
}

/** Splits `merged` into items present in `by` and items that are not, keeping order. */
export function partition(merged: unknown[], by: readonly unknown[], mergeKey: string | undefined): [unknown[], unknown[]] {
  const present: unknown[] = [];
  const absent: unknown[] = [];
  for (const item of merged) (indexIn(by, item, mergeKey) >= 0 ? present : absent).push(item);
  return [present, absent];
}

/** `items` sorted by their position in `order` (stable); items not in `order` follow, in their own order. */
function sortBy(items: unknown[], order: readonly unknown[], mergeKey: string | undefined): unknown[] {
  const placed = items.map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey) }));
  const found = placed.filter((x) => x.at >= 0).sort((a, b) => a.at - b.at || a.i - b.i);
  return [...found, ...placed.filter((x) => x.at < 0)].map((x) => x.item);
}

/**
 * Orders `patchItems` by `patchOrder` and `serverOnly` by `serverOrder`, then interleaves them:
 * a server-only item goes before a patch item only when both are in the server's list and it
 * comes first there; otherwise the patch item goes first.
 */
export function normalizeOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string | undefined,
): unknown[] {
  const right = sortBy(patchItems, patchOrder, mergeKey);
  const left = sortBy(serverOnly, serverOrder, mergeKey);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey);
      const ri = indexIn(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
