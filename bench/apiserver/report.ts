// The human-readable side-by-side table of the API server benchmark: one column per backend,
// the etcd/sqlite ratio when both ran, and the target each figure is compared against.

import { cpus } from 'node:os';
import type { Options } from './phases.js';

interface Row {
  label: string;
  path: string;
  target?: string;
}

const rows: Row[] = [
  { label: 'creates/s (ConfigMap, 201)', path: 'creates.perSecond', target: '>= 3000 (sqlite)' },
  { label: '  create p50 ms', path: 'creates.p50Ms' },
  { label: '  create p99 ms', path: 'creates.p99Ms' },
  { label: '  CPU % server/bench/etcd/other', path: 'creates.serverCpuPct|creates.benchCpuPct|creates.etcdCpuPct|creates.otherCpuPct' },
  { label: '  watch cache catch-up after, ms', path: 'creates.cacheCatchUpMs' },
  { label: 'GETs/s by name', path: 'gets.perSecond', target: '>= 15000' },
  { label: '  GET p50 ms', path: 'gets.p50Ms' },
  { label: '  GET p99 ms', path: 'gets.p99Ms' },
  { label: '  CPU % server/bench/etcd/other', path: 'gets.serverCpuPct|gets.benchCpuPct|gets.etcdCpuPct|gets.otherCpuPct' },
  { label: 'list pods: count / avg bytes', path: 'list.pods|list.avgPodBytes' },
  { label: '  list JSON p50 ms', path: 'list.plain.p50Ms', target: '<= 100' },
  { label: '  list JSON p99 ms', path: 'list.plain.p99Ms' },
  { label: '  list JSON first byte p50 ms', path: 'list.plain.firstByteP50Ms' },
  { label: '  list JSON MiB', path: 'list.plain.MiB' },
  { label: '  list rv=0 p50 ms', path: 'list.rv0.p50Ms', target: '<= 100' },
  { label: '  list rv=0 p99 ms', path: 'list.rv0.p99Ms' },
  { label: '  list Table p50 ms', path: 'list.table.p50Ms', target: '<= 100' },
  { label: '  list Table p99 ms', path: 'list.table.p99Ms' },
  { label: '  list Table MiB', path: 'list.table.MiB' },
  { label: 'watch: watchers', path: 'watch.watchers' },
  { label: '  updates acked / s', path: 'watch.writes.acked|watch.writes.perSecond' },
  { label: '  deliveries expected', path: 'watch.expectedDeliveries' },
  { label: '  delivered', path: 'watch.delivered' },
  { label: '  missed', path: 'watch.missed', target: '0' },
  { label: '  events per socket read', path: 'watch.eventsPerRead' },
  { label: '  delivery p50 ms', path: 'watch.p50Ms' },
  { label: '  delivery p99 ms', path: 'watch.p99Ms', target: '<= 100' },
  { label: '  delivery max ms', path: 'watch.maxMs' },
  { label: '  update p99 ms', path: 'watch.writes.p99Ms' },
  { label: '  CPU % server/bench/etcd/other', path: 'watch.serverCpuPct|watch.benchCpuPct|watch.etcdCpuPct|watch.otherCpuPct' },
  { label: 'memory: pods in store', path: 'memory.pods' },
  { label: '  pod creates/s', path: 'memory.createsPerSecond' },
  { label: '  pod create p99 ms', path: 'memory.createP99Ms' },
  { label: '  watch cache catch-up after, ms', path: 'memory.cacheCatchUpMs' },
  { label: '  server RSS MiB', path: 'memory.rssMiB', target: '<= 2048' },
  { label: '  server peak RSS (HWM) MiB', path: 'memory.hwmMiB', target: '<= 2048' },
  { label: '  etcd RSS MiB (separate process)', path: 'memory.etcdRssMiB' },
  { label: '  cluster-wide list status / MiB', path: 'memory.clusterWideList.status|memory.clusterWideList.MiB' },
  { label: '  HWM after cluster-wide list', path: 'memory.clusterWideList.hwmMiBAfter' },
  { label: 'baseline RSS MiB', path: 'baselineRssMiB' },
  { label: 'total seconds', path: 'totalSeconds' },
];

function get(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function cell(result: Record<string, unknown>, path: string): string {
  return path
    .split('|')
    .map((p) => {
      const v = get(result, p);
      return v === undefined ? '-' : typeof v === 'number' ? String(v) : JSON.stringify(v);
    })
    .join(' / ');
}

function ratio(a: Record<string, unknown>, b: Record<string, unknown>, path: string): string {
  if (path.includes('|')) return '';
  const x = get(a, path);
  const y = get(b, path);
  if (typeof x !== 'number' || typeof y !== 'number' || x === 0) return '';
  return (y / x).toFixed(2);
}

export function printTable(unordered: Record<string, unknown>[], opts: Options): void {
  const order = (b: unknown) => ['sqlite', 'etcd', 'memory'].indexOf(String(b));
  const results = [...unordered].sort((a, b) => order(a.backend) - order(b.backend));
  const sqlite = results.find((r) => r.backend === 'sqlite');
  const etcd = results.find((r) => r.backend === 'etcd');
  const head = ['metric', ...results.map((r) => String(r.backend)), ...(sqlite && etcd ? ['etcd/sqlite'] : []), 'target'];
  const body = rows.map((row) => [
    row.label,
    ...results.map((r) => cell(r, row.path)),
    ...(sqlite && etcd ? [ratio(sqlite, etcd, row.path)] : []),
    row.target ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  const out = [
    `skiff API server benchmark${opts.quick ? ' (--quick)' : ''}: ${opts.clients} clients, ${opts.workers} load worker threads, ${opts.watchers} watchers at ${opts.watchRate} updates/s`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    `CPU %: share of one core during the phase, for the server, this benchmark (all its threads), etcd, and everything else; the machine has ${cpus().length} cores shared by all of them.`,
    'watch cache catch-up: time after the last acknowledged write until a list at its resourceVersion is served (the cache has applied it).',
    'cluster-wide list: one unpaginated GET /api/v1/pods of every pod (as kubectl get pods -A --chunk-size=0).',
  ];
  process.stdout.write(out.join('\n') + '\n');
}
