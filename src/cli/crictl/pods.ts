// Pod sandbox commands: runp, pods, inspectp, stopp, rmp — crictl's flags and output.

import type { Command } from 'commander';
import type { CriClient } from '../../cri/client.js';
import type { PodSandbox, PodSandboxStatusResponse } from '../../cri/types.js';
import { loadPodSandboxConfig } from './config-files.js';
import {
  collect, describeError, matchesRegex, newestFirst, outputFormat, parseDuration, parseLabels, removeEach, resolvePodFilter, resolvePodIds, withClient, write, writeStatuses,
} from './context.js';
import { ago, goMap, goTimeString, labelBlock, podState, renderTable, rfc3339Nano, truncateId } from './format.js';
import { renderMessage, toProtoJson } from './protojson.js';

export interface PodListOptions {
  id?: string;
  name?: string;
  namespace?: string;
  state?: string;
  label?: string[];
  latest?: boolean;
  last?: string;
}

/** The ListPodSandbox state filter for crictl's --state (ready / notready). */
export function podStateFilter(state: string | undefined): { state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY' } | undefined {
  if (state === undefined || state === '') return undefined;
  switch (state.toLowerCase()) {
    case 'ready': return { state: 'SANDBOX_READY' };
    case 'notready': return { state: 'SANDBOX_NOTREADY' };
    default: throw new Error('--state should be ready or notready');
  }
}

/** crictl's client-side selection: name/namespace regexps, newest first, --latest / --last. */
export function selectPods(pods: readonly PodSandbox[], opts: PodListOptions): PodSandbox[] {
  return newestFirst(
    pods.filter((p) => p.metadata !== null && matchesRegex(opts.name, p.metadata.name) && matchesRegex(opts.namespace, p.metadata.namespace)),
    opts,
  );
}

export async function listPods(client: CriClient, opts: PodListOptions): Promise<PodSandbox[]> {
  const state = podStateFilter(opts.state);
  const id = await resolvePodFilter(client, opts.id);
  const res = await client.listPodSandbox({ filter: { id, label_selector: parseLabels(opts.label), ...(state ? { state } : {}) } });
  return selectPods(res.items, opts);
}

function runtimeHandler(p: { runtime_handler: string }): string {
  return p.runtime_handler === '' ? '(default)' : p.runtime_handler;
}

/** `crictl pods` output in table, quiet or verbose form. */
export function renderPods(pods: readonly PodSandbox[], opts: { quiet?: boolean; verbose?: boolean; noTrunc?: boolean; now?: number }): string {
  if (opts.quiet) return pods.map((p) => `${p.id}\n`).join('');
  if (opts.verbose) {
    let out = '';
    for (const p of pods) {
      out += `ID: ${p.id}\n`;
      const md = p.metadata;
      if (md !== null) {
        if (md.name !== '') out += `Name: ${md.name}\n`;
        if (md.uid !== '') out += `UID: ${md.uid}\n`;
        if (md.namespace !== '') out += `Namespace: ${md.namespace}\n`;
        if (md.attempt !== 0) out += `Attempt: ${md.attempt}\n`;
      }
      out += `Status: ${podState(p.state)}\nCreated: ${goTimeString(p.created_at)}\n`;
      out += labelBlock('Labels', p.labels) + labelBlock('Annotations', p.annotations);
      out += `Runtime: ${runtimeHandler(p)}\n\n`;
    }
    return out;
  }
  const rows = [['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME']];
  for (const p of pods) {
    rows.push([
      opts.noTrunc ? p.id : truncateId(p.id),
      ago(p.created_at, opts.now),
      podState(p.state),
      p.metadata?.name ?? '',
      p.metadata?.namespace ?? '',
      String(p.metadata?.attempt ?? 0),
      runtimeHandler(p),
    ]);
  }
  return renderTable(rows);
}

/** `crictl inspectp -o table` for one response. */
export function renderPodStatusTable(r: PodSandboxStatusResponse, verbose: boolean): string {
  const s = r.status;
  if (s === null) return '';
  let out = `ID: ${s.id}\n`;
  if (s.metadata !== null) {
    if (s.metadata.name !== '') out += `Name: ${s.metadata.name}\n`;
    if (s.metadata.uid !== '') out += `UID: ${s.metadata.uid}\n`;
    if (s.metadata.namespace !== '') out += `Namespace: ${s.metadata.namespace}\n`;
    out += `Attempt: ${s.metadata.attempt}\n`;
  }
  out += `Status: ${s.state}\nCreated: ${goTimeString(s.created_at)}\n`;
  if (s.network !== null) {
    out += `IP Addresses: ${s.network.ip}\n`;
    for (const ip of s.network.additional_ips) out += `Additional IP: ${ip.ip}\n`;
  }
  out += labelBlock('Labels', s.labels) + labelBlock('Annotations', s.annotations);
  if (verbose) out += `Info: ${goMap(r.info)}\n`;
  return out;
}

/** The pod status as crictl's inspectp embeds it: protojson with createdAt as RFC 3339. */
export function podStatusJson(r: PodSandboxStatusResponse): ReturnType<typeof toProtoJson> {
  const doc = toProtoJson(r.status, 'PodSandboxStatus');
  if (r.status !== null) doc.createdAt = rfc3339Nano(r.status.created_at);
  return doc;
}

interface PodsFlags extends PodListOptions {
  verbose?: boolean;
  quiet?: boolean;
  output?: string;
  noTrunc?: boolean;
}

export function podCommands(parent: Command): void {
  parent
    .command('runp')
    .description('Run a new pod')
    .argument('<pod-config>', 'pod-config.[json|yaml]')
    .option('-r, --runtime <handler>', 'Runtime handler to use. Available options are defined by the container runtime.')
    .option('-T, --cancel-timeout <duration>', 'Seconds to wait for a run pod sandbox request to complete before cancelling the request')
    .action(async (file: string, o: { runtime?: string; cancelTimeout?: string }, cmd: Command) => {
      const config = await loadPodSandboxConfig(file);
      await withClient(cmd, async (client) => {
        const timeoutMs = o.cancelTimeout !== undefined ? parseDuration(o.cancelTimeout) : undefined;
        const res = await client
          .runPodSandbox({ config, runtime_handler: o.runtime ?? '' }, timeoutMs !== undefined && timeoutMs > 0 ? { timeoutMs } : {})
          .catch((e: unknown) => { throw describeError('run pod sandbox', e); });
        write(`${res.pod_sandbox_id}\n`);
      });
    });

  parent
    .command('pods')
    .description('List pods')
    .option('--id <id>', 'filter by pod id')
    .option('--name <regexp>', 'Filter by pod name regular expression pattern')
    .option('--namespace <regexp>', 'Filter by pod namespace regular expression pattern')
    .option('-s, --state <state>', 'Filter by pod state')
    .option('--label <key=value>', 'Filter by key=value label', collect)
    .option('-v, --verbose', 'Show verbose info for pods')
    .option('-q, --quiet', 'List only pod IDs')
    .option('-o, --output <format>', 'Output format, One of: json|yaml|table', 'table')
    .option('-l, --latest', 'Show the most recently created pod')
    .option('-n, --last <n>', 'Show last n recently created pods. Set 0 for unlimited')
    .option('--no-trunc', 'Show output without truncating the ID')
    .action(async (o: PodsFlags & { trunc?: boolean }, cmd: Command) => {
      const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'table');
      await withClient(cmd, async (client) => {
        const pods = await listPods(client, o).catch((e: unknown) => { throw describeError('listing pod sandboxes', e); });
        if (format === 'json' || format === 'yaml') write(renderMessage({ items: pods }, 'ListPodSandboxResponse', format));
        else write(renderPods(pods, { quiet: o.quiet, verbose: o.verbose, noTrunc: o.trunc === false }));
      });
    });

  parent
    .command('inspectp')
    .description('Display the status of one or more pods')
    .argument('[pod-id...]')
    .option('-o, --output <format>', 'Output format, One of: json|yaml|table')
    .option('-q, --quiet', 'Do not show verbose information')
    .option('--name <regexp>', 'Filter by pod name regular expression pattern')
    .option('--namespace <regexp>', 'Filter by pod namespace regular expression pattern')
    .option('-s, --state <state>', 'Filter by pod state')
    .option('--label <key=value>', 'Filter by key=value label', collect)
    .option('-l, --latest', 'Show the most recently created pod')
    .option('-n, --last <n>', 'Show last n recently created pods. Set 0 for unlimited')
    .action(async (args: string[], o: PodsFlags, cmd: Command) => {
      const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'json');
      const verbose = !o.quiet;
      await withClient(cmd, async (client) => {
        const ids = args.length > 0 ? await resolvePodIds(client, args) : (await listPods(client, o)).map((p) => p.id);
        await writeStatuses(
          ids,
          format,
          (id) => client.podSandboxStatus({ pod_sandbox_id: id, verbose }).catch((e: unknown) => { throw describeError(`get pod sandbox status of ${id}`, e); }),
          { table: (r) => renderPodStatusTable(r, verbose), status: podStatusJson },
        );
      });
    });

  parent
    .command('stopp')
    .description('Stop one or more running pods')
    .argument('<pod-id...>')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const ids = await resolvePodIds(client, args);
        for (const [i, id] of ids.entries()) {
          await client.stopPodSandbox({ pod_sandbox_id: id }).catch((e: unknown) => { throw describeError(`stopping the pod sandbox "${args[i]}"`, e); });
          write(`Stopped sandbox ${args[i]}\n`);
        }
      });
    });

  parent
    .command('rmp')
    .description('Remove one or more pods')
    .argument('[pod-id...]')
    .option('-f, --force', 'Force removal of the pod sandbox, disregarding if running')
    .option('-a, --all', 'Remove all pods')
    .action(async (args: string[], o: { force?: boolean; all?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const ids = o.all ? (await client.listPodSandbox({})).items.map((p) => p.id) : await resolvePodIds(client, args);
        await removeEach(ids, o.all === true, { nothing: 'No pods to remove', usage: 'rmp needs at least one POD-ID (or --all)' }, async (id, i) => {
          const shown = o.all ? id : (args[i] as string);
          const st = await client.podSandboxStatus({ pod_sandbox_id: id }).catch((e: unknown) => { throw describeError(`getting sandbox status of pod "${shown}"`, e); });
          if (st.status?.state === 'SANDBOX_READY') {
            if (!o.force) throw new Error(`pod sandbox "${shown}" is running, please stop it first`);
            await client.stopPodSandbox({ pod_sandbox_id: id }).catch((e: unknown) => { throw describeError(`stopping the pod sandbox "${shown}" failed`, e); });
            write(`Stopped sandbox ${shown}\n`);
          }
          await client.removePodSandbox({ pod_sandbox_id: id }).catch((e: unknown) => { throw describeError(`removing the pod sandbox "${shown}"`, e); });
          write(`Removed sandbox ${shown}\n`);
        });
      });
    });
}
