// Listing and inspecting containers: `ps` and `inspect` — crictl's filters, columns and output.

import type { Command } from 'commander';
import type { CriClient } from '../../cri/client.js';
import type { Container, ContainerStatusResponse } from '../../cri/types.js';
import {
  collect, describeError, matchesRegex, newestFirst, outputFormat, parseLabels, resolveContainerFilter, resolveContainerIds, resolvePodFilter, withClient, write, writeStatuses,
} from './context.js';
import { GO_ZERO_TIME_RFC3339, ago, containerState, goMap, labelBlock, renderTable, rfc3339Nano, truncateId } from './format.js';
import { renderMessage, toProtoJson, type JsonObject } from './protojson.js';

export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';

export interface ContainerListOptions {
  id?: string;
  pod?: string;
  name?: string;
  namespace?: string;
  image?: string;
  state?: string;
  label?: string[];
  all?: boolean;
  latest?: boolean;
  last?: string;
}

type ContainerStateName = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

/** The ListContainers state filter: --state, else running only unless --all; none with --latest/--last. */
export function containerStateFilter(opts: ContainerListOptions): { state: ContainerStateName } | undefined {
  if (opts.latest || (opts.last !== undefined && Number(opts.last) > 0)) return undefined;
  if (opts.state !== undefined && opts.state !== '') {
    switch (opts.state.toLowerCase()) {
      case 'created': return { state: 'CONTAINER_CREATED' };
      case 'running': return { state: 'CONTAINER_RUNNING' };
      case 'exited': return { state: 'CONTAINER_EXITED' };
      case 'unknown': return { state: 'CONTAINER_UNKNOWN' };
      default: throw new Error('--state should be one of created, running, exited or unknown');
    }
  }
  return opts.all ? undefined : { state: 'CONTAINER_RUNNING' };
}

function fromLabels(labels: Record<string, string>, key: string): string {
  return labels[key] ?? 'unknown';
}

/** crictl's client-side selection: name / pod-namespace regexps, newest first, --latest / --last. */
export function selectContainers(containers: readonly Container[], opts: ContainerListOptions): Container[] {
  return newestFirst(
    containers.filter((c) => c.metadata !== null && matchesRegex(opts.name, c.metadata.name) && matchesRegex(opts.namespace, fromLabels(c.labels, POD_NAMESPACE_LABEL))),
    opts,
  );
}

export async function listContainers(client: CriClient, opts: ContainerListOptions): Promise<Container[]> {
  const state = containerStateFilter(opts);
  const id = await resolveContainerFilter(client, opts.id);
  const pod = await resolvePodFilter(client, opts.pod);
  const res = await client.listContainers({ filter: { id, pod_sandbox_id: pod, label_selector: parseLabels(opts.label), ...(state ? { state } : {}) } });
  let list = res.containers;
  if (opts.image !== undefined && opts.image !== '') {
    const want = (await client.imageStatus({ image: { image: opts.image } })).image?.id;
    const ids = new Map<string, string | undefined>();
    for (const c of list) {
      const ref = c.image?.image ?? '';
      if (!ids.has(ref)) ids.set(ref, (await client.imageStatus({ image: { image: ref } })).image?.id);
    }
    list = want === undefined ? [] : list.filter((c) => ids.get(c.image?.image ?? '') === want);
  }
  return selectContainers(list, opts);
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** `crictl ps` output in table, quiet or verbose form. `images` maps image refs to names (-r). */
export function renderContainers(
  containers: readonly Container[],
  opts: { quiet?: boolean; verbose?: boolean; noTrunc?: boolean; now?: number; images?: ReadonlyMap<string, string> },
): string {
  if (opts.quiet) return containers.map((c) => `${c.id}\n`).join('');
  const rows = [['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD', 'NAMESPACE']];
  let verbose = '';
  for (const c of containers) {
    const created = ago(c.created_at, opts.now);
    const namespace = fromLabels(c.labels, POD_NAMESPACE_LABEL);
    if (opts.verbose) {
      verbose += `ID: ${c.id}\nPodID: ${c.pod_sandbox_id}\nNamespace: ${namespace}\n`;
      if (c.metadata !== null) {
        if (c.metadata.name !== '') verbose += `Name: ${c.metadata.name}\n`;
        verbose += `Attempt: ${c.metadata.attempt}\n`;
      }
      verbose += `State: ${containerState(c.state)}\n`;
      if (c.image !== null) verbose += `Image: ${c.image.image}\n`;
      verbose += `Created: ${created}\n${labelBlock('Labels', c.labels)}${labelBlock('Annotations', c.annotations)}\n`;
      continue;
    }
    let image = c.image?.image ?? '';
    let id = c.id;
    let podId = c.pod_sandbox_id;
    if (!opts.noTrunc) {
      id = truncateId(id);
      podId = truncateId(podId);
      if (DIGEST.test(image)) image = truncateId(image, 'sha256:');
    }
    image = opts.images?.get(c.image?.image ?? '') ?? image;
    rows.push([id, image, created, containerState(c.state), c.metadata?.name ?? '', String(c.metadata?.attempt ?? 0), podId, fromLabels(c.labels, POD_NAME_LABEL), namespace]);
  }
  return opts.verbose ? verbose : renderTable(rows);
}

/** `crictl inspect -o table` for one response. */
export function renderContainerStatusTable(r: ContainerStatusResponse, verbose: boolean, now: number = Date.now()): string {
  const s = r.status;
  if (s === null) return '';
  let out = `ID: ${s.id}\n`;
  if (s.metadata !== null) {
    if (s.metadata.name !== '') out += `Name: ${s.metadata.name}\n`;
    if (s.metadata.attempt !== 0) out += `Attempt: ${s.metadata.attempt}\n`;
  }
  out += `State: ${s.state}\nCreated: ${ago(s.created_at, now)}\n`;
  if (s.state !== 'CONTAINER_CREATED') out += `Started: ${ago(s.started_at, now)}\n`;
  if (s.state === 'CONTAINER_EXITED') {
    if (s.finished_at > 0) out += `Finished: ${ago(s.finished_at, now)}\n`;
    out += `Exit Code: ${s.exit_code}\n`;
  }
  out += labelBlock('Labels', s.labels) + labelBlock('Annotations', s.annotations);
  if (verbose) out += `Info: ${goMap(r.info)}\n`;
  return out;
}

/** The status as crictl's inspect embeds it: protojson with readable created/started/finished times. */
export function containerStatusJson(r: ContainerStatusResponse): JsonObject {
  const doc = toProtoJson(r.status, 'ContainerStatus');
  const s = r.status;
  if (s === null) return doc;
  doc.createdAt = rfc3339Nano(s.created_at);
  doc.startedAt = s.state !== 'CONTAINER_CREATED' ? rfc3339Nano(s.started_at) : GO_ZERO_TIME_RFC3339;
  const finished = s.state === 'CONTAINER_EXITED' || (s.state === 'CONTAINER_UNKNOWN' && s.finished_at > 0);
  doc.finishedAt = finished ? rfc3339Nano(s.finished_at) : GO_ZERO_TIME_RFC3339;
  return doc;
}

interface PsFlags extends ContainerListOptions {
  verbose?: boolean;
  quiet?: boolean;
  output?: string;
  trunc?: boolean;
  resolveImagePath?: boolean;
}

/** The container-selection flags shared by ps, inspect and exec. */
export function containerFilterFlags(cmd: Command, withAll = true, stateShort = true): Command {
  cmd
    .option('--name <regexp>', 'Filter by container name regular expression pattern')
    .option('--namespace <regexp>', 'Filter by pod namespace regular expression pattern')
    .option('-p, --pod <pod-id>', 'Filter by pod id')
    .option('--image <image>', 'Filter by container image')
    .option(stateShort ? '-s, --state <state>' : '--state <state>', 'Filter by container state')
    .option('--label <key=value>', 'Filter by key=value label', collect)
    .option('-l, --latest', 'Show the most recently created container (includes all states)')
    .option('-n, --last <n>', 'Show last n recently created containers (includes all states). Set 0 for unlimited.');
  if (withAll) cmd.option('-a, --all', 'Show all containers');
  return cmd;
}

export function psCommands(parent: Command): void {
  containerFilterFlags(
    parent
      .command('ps')
      .description('List containers')
      .option('-v, --verbose', 'Show verbose information for containers')
      .option('--id <id>', 'Filter by container id')
      .option('-q, --quiet', 'Only display container IDs')
      .option('-o, --output <format>', 'Output format, One of: json|yaml|table', 'table')
      .option('--no-trunc', 'Show output without truncating the ID')
      .option('-r, --resolve-image-path', 'Show image path instead of image id'),
  ).action(async (o: PsFlags, cmd: Command) => {
    const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'table');
    await withClient(cmd, async (client) => {
      const list = await listContainers(client, o).catch((e: unknown) => { throw describeError('listing containers', e); });
      if (format !== 'table') return write(renderMessage({ containers: list }, 'ListContainersResponse', format as 'json' | 'yaml'));
      let images: Map<string, string> | undefined;
      if (o.resolveImagePath) {
        images = new Map();
        for (const ref of new Set(list.map((c) => c.image?.image ?? ''))) {
          const st = await client.imageStatus({ image: { image: ref } }).catch((e: unknown) => { throw describeError('failed to fetch repo image', e); });
          images.set(ref, st.image?.repo_tags[0] ?? ref);
        }
      }
      write(renderContainers(list, { quiet: o.quiet, verbose: o.verbose, noTrunc: o.trunc === false, ...(images ? { images } : {}) }));
    });
  });

  containerFilterFlags(
    parent
      .command('inspect')
      .description('Display the status of one or more containers')
      .argument('[container-id...]')
      .option('-o, --output <format>', 'Output format, One of: json|yaml|table')
      .option('-q, --quiet', 'Do not show verbose information')
      .option('-v, --verbose', 'Show verbose information (the default; kept for older crictl usage)'),
  ).action(async (args: string[], o: PsFlags, cmd: Command) => {
    const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'json');
    const verbose = !o.quiet;
    await withClient(cmd, async (client) => {
      const ids = args.length > 0 ? await resolveContainerIds(client, args) : (await listContainers(client, o)).map((c) => c.id);
      await writeStatuses(
        ids,
        format,
        (id) => client.containerStatus({ container_id: id, verbose }).catch((e: unknown) => { throw describeError(`get container status of ${id}`, e); }),
        { table: (r) => renderContainerStatusTable(r, verbose), status: containerStatusJson },
      );
    });
  });
}
