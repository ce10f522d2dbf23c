// `crictl stats`: ListContainerStats sampled twice, `--seconds` apart, for a CPU percentage
// (the difference of cumulative CPU time over the difference of the samples' timestamps).

import type { Command } from 'commander';
import type { ContainerStats } from '../../cri/types.js';
import { collect, describeError, outputFormat, parseLabels, resolveContainerFilter, resolvePodFilter, withClient, write } from './context.js';
import { humanSize, renderTable, truncateId } from './format.js';
import { renderMessage } from './protojson.js';

export function sortStats(stats: readonly ContainerStats[]): ContainerStats[] {
  return [...stats].sort((a, b) => ((a.attributes?.id ?? '') < (b.attributes?.id ?? '') ? -1 : (a.attributes?.id ?? '') > (b.attributes?.id ?? '') ? 1 : 0));
}

/**
 * crictl's stats table from two samples: containers without CPU and memory use (not running)
 * are left out unless `all`, containers absent from the first sample are left out.
 */
export function renderStats(before: readonly ContainerStats[], after: readonly ContainerStats[], all: boolean): string {
  const old = new Map(before.map((s) => [s.attributes?.id ?? '', s]));
  const rows = [['CONTAINER', 'NAME', 'CPU %', 'MEM', 'DISK', 'INODES', 'SWAP']];
  for (const s of sortStats(after)) {
    const id = s.attributes?.id ?? '';
    const cpu = s.cpu?.usage_core_nano_seconds?.value ?? 0;
    const mem = s.memory?.working_set_bytes?.value ?? 0;
    if (!all && cpu === 0 && mem === 0) continue;
    const prev = old.get(id);
    if (prev === undefined) continue;
    let cpuPerc = 0;
    if (cpu !== 0) {
      const duration = (s.cpu?.timestamp ?? 0) - (prev.cpu?.timestamp ?? 0);
      if (duration === 0) throw new Error('cpu stat is not updated during sample');
      cpuPerc = ((cpu - (prev.cpu?.usage_core_nano_seconds?.value ?? 0)) / duration) * 100;
    }
    rows.push([
      truncateId(id),
      s.attributes?.metadata?.name ?? '',
      cpuPerc.toFixed(2),
      humanSize(mem),
      humanSize(s.writable_layer?.used_bytes?.value ?? 0),
      String(s.writable_layer?.inodes_used?.value ?? 0),
      humanSize(s.swap?.swap_usage_bytes?.value ?? 0),
    ]);
  }
  return renderTable(rows);
}

interface StatsFlags {
  all?: boolean;
  id?: string;
  pod?: string;
  label?: string[];
  output?: string;
  seconds: string;
  watch?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function statsCommand(parent: Command): void {
  parent
    .command('stats')
    .description('List container(s) resource usage statistics')
    .argument('[id]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--id <id>', 'Filter by container id')
    .option('-p, --pod <pod-id>', 'Filter by pod id')
    .option('--label <key=value>', 'Filter by key=value label', collect)
    .option('-o, --output <format>', 'Output format, One of: json|yaml|table')
    .option('-s, --seconds <n>', 'Sample duration for CPU usage in seconds', '1')
    .option('-w, --watch', 'Watch pod resources')
    .action(async (arg: string | undefined, o: StatsFlags, cmd: Command) => {
      const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'table');
      const seconds = Number(o.seconds);
      if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`--seconds must be a number of seconds, got "${o.seconds}"`);
      await withClient(cmd, async (client) => {
        const id = await resolveContainerFilter(client, o.id ?? arg);
        const pod = await resolvePodFilter(client, o.pod);
        const filter = { id, pod_sandbox_id: pod, label_selector: parseLabels(o.label) };
        const sample = async (): Promise<ContainerStats[]> =>
          sortStats((await client.listContainerStats({ filter }).catch((e: unknown) => { throw describeError('get container stats', e); })).stats);
        let stop = false;
        const onSigint = (): void => { stop = true; };
        if (o.watch) process.once('SIGINT', onSigint);
        try {
          do {
            const first = await sample();
            if (format !== 'table') {
              write(renderMessage({ stats: first }, 'ListContainerStatsResponse', format as 'json' | 'yaml'));
            } else {
              await sleep(seconds * 1000);
              const table = renderStats(first, await sample(), o.all === true);
              // crictl clears the screen before each table; only worth doing on a terminal.
              write((o.watch && process.stdout.isTTY ? '\x1b[2J\x1b[H' : '') + table);
            }
            if (o.watch && !stop) await sleep(500);
          } while (o.watch && !stop);
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
}
