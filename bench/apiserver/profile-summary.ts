// Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. `apiserver.bench.js --cpu-prof DIR`):
// the functions with the most self time, and the most inclusive time for skiff's own functions.
//
// Usage: node dist/bench/apiserver/profile-summary.js FILE.cpuprofile [--top 30]

import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function label(n: Node): string {
  const f = n.callFrame;
  const file = f.url.replace(/^file:\/\/.*?\/(dist[^/]*\/)?/, '').replace(/^node:/, 'node:');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

export function summarize(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = profile.endTime - profile.startTime;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id) as Node;
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
    // Each label counts once per sample stack, however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur) as Node);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`profile: ${(total / 1e6).toFixed(1)} s wall`, '', 'self time:'];
  for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${l}`);
  lines.push('', 'inclusive time (skiff code):');
  const own = [...inclusive].filter(([l]) => /\bsrc\//.test(l)).sort((a, b) => b[1] - a[1]);
  for (const [l, us] of own.slice(0, top)) lines.push(`${pct(us)}  ${l}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile-summary.js FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  const top = i > 0 ? Number(process.argv[i + 1]) : 30;
  process.stdout.write(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, top) + '\n');
}
