// Completion indexes of Indexed Jobs, in the compressed text form upstream writes to
// status.completedIndexes: ascending, comma-separated, runs of consecutive indexes as `a-b`
// (e.g. `1,3-5,7`). Parsing is lenient like upstream's: malformed parts and indexes at or beyond
// the limit (spec.completions) are skipped, so a bad status never stops the controller.

export class IndexSet {
  private readonly members = new Set<number>();

  static parse(text: string | undefined, limit = Number.MAX_SAFE_INTEGER): IndexSet {
    const set = new IndexSet();
    for (const part of (text ?? '').split(',')) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
      if (!m) continue;
      const first = Number(m[1]);
      const last = Math.min(m[2] === undefined ? first : Number(m[2]), limit - 1);
      for (let i = first; i <= last; i++) set.add(i);
    }
    return set;
  }

  has(i: number): boolean {
    return this.members.has(i);
  }

  add(i: number): void {
    this.members.add(i);
  }

  get size(): number {
    return this.members.size;
  }

  sorted(): number[] {
    return [...this.members].sort((a, b) => a - b);
  }

  toString(): string {
    return formatIndexes(this.sorted());
  }
}

/** `[1,3,4,5,7]` → `1,3-5,7`; the input must be ascending without duplicates. */
export function formatIndexes(sorted: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
