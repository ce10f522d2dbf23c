// What every `skiff crictl` subcommand shares: the global flags (crictl's --runtime-endpoint,
// --image-endpoint, --timeout, --config), the CriClient made from them, and id-prefix resolution.
//
// Precedence, as in crictl: a flag or its environment variable (CONTAINER_RUNTIME_ENDPOINT,
// IMAGE_SERVICE_ENDPOINT), then the crictl config file (/etc/crictl.yaml, or --config /
// CRI_CONFIG_FILE: `runtime-endpoint`, `image-endpoint`, `timeout`), then skiff's default socket.
//
// --timeout bounds connecting (default 2s, as crictl) and, when given explicitly, every call;
// otherwise calls use CriClient's default (2 minutes) so a slow RunPodSandbox is not cut off.
//
// The CRI client (gRPC) is imported when a subcommand connects, not when the command tree is
// built, so that other skiff commands do not load it (see main.ts).

import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { CriClient } from '../../cri/client.js';
import type { CriError } from '../../cri/errors.js';
import { DEFAULT_RUNTIME_SOCKET } from '../../runtime/defaults.js';
import { renderStatusData, type JsonValue } from './protojson.js';

/** Where `skiff runtime`, `skiff agent` and `skiff server` serve CRI by default. */
export const DEFAULT_RUNTIME_ENDPOINT = `unix://${DEFAULT_RUNTIME_SOCKET}`;
export const DEFAULT_CRICTL_CONFIG = '/etc/crictl.yaml';
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

export interface GlobalOptions {
  runtimeEndpoint?: string;
  imageEndpoint?: string;
  timeout?: string;
  config?: string;
  debug?: boolean;
}

export interface Endpoints {
  runtime: string;
  image: string;
  connectTimeoutMs: number;
  /** Per-call deadline when --timeout was given; undefined = the client default. */
  callTimeoutMs?: number;
}

/**
 * A Go-style duration ("2s", "500ms", "1m30s", "1h") in milliseconds; a bare number is seconds.
 * Throws naming the text when it is neither.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    total += Number(m[1]) * (unit[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) throw new Error(`invalid duration "${text}": use a number of seconds or units like 500ms, 2s, 1m30s`);
  return total;
}

interface CrictlConfigFile {
  'runtime-endpoint'?: string;
  'image-endpoint'?: string;
  timeout?: number | string;
}

function readConfigFile(path: string, explicit: boolean): CrictlConfigFile {
  if (!existsSync(path)) {
    if (explicit) throw new Error(`crictl config file ${path} does not exist`);
    return {};
  }
  try {
    const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
    return doc !== null && typeof doc === 'object' ? (doc as CrictlConfigFile) : {};
  } catch (err) {
    throw new Error(`crictl config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
}

/** Resolves the endpoints and timeouts from the global options (see the file comment). */
export function resolveEndpoints(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Endpoints {
  const configPath = opts.config ?? env.CRI_CONFIG_FILE ?? DEFAULT_CRICTL_CONFIG;
  const file = readConfigFile(configPath, opts.config !== undefined || env.CRI_CONFIG_FILE !== undefined);
  const runtime = opts.runtimeEndpoint ?? file['runtime-endpoint'] ?? DEFAULT_RUNTIME_ENDPOINT;
  if (runtime === '') throw new Error('--runtime-endpoint is not set');
  const image = opts.imageEndpoint ?? file['image-endpoint'] ?? runtime;
  const timeoutText = opts.timeout ?? (file.timeout !== undefined ? String(file.timeout) : undefined);
  const explicitMs = timeoutText !== undefined ? parseDuration(timeoutText) : undefined;
  // crictl: "0 or less is set to default".
  const connectTimeoutMs = explicitMs !== undefined && explicitMs > 0 ? explicitMs : DEFAULT_CONNECT_TIMEOUT_MS;
  return { runtime, image: image === '' ? runtime : image, connectTimeoutMs, ...(explicitMs !== undefined && explicitMs > 0 ? { callTimeoutMs: explicitMs } : {}) };
}

/** The global options of the `crictl` command a subcommand belongs to. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/**
 * Runs `fn` with a connected CriClient and closes it afterwards. An endpoint that does not
 * answer within the connect timeout fails with a message naming it and how to choose another.
 */
export async function withClient<T>(cmd: Command, fn: (client: CriClient, ep: Endpoints) => Promise<T>): Promise<T> {
  const ep = resolveEndpoints(globalsOf(cmd));
  const { CriClient } = await import('../../cri/client.js');
  const client = new CriClient(ep.runtime, { imageEndpoint: ep.image, ...(ep.callTimeoutMs !== undefined ? { timeoutMs: ep.callTimeoutMs } : {}) });
  try {
    try {
      await client.waitForReady(ep.connectTimeoutMs);
    } catch {
      throw new Error(
        `cannot connect to the CRI runtime at ${ep.runtime} within ${ep.connectTimeoutMs} ms: is it running? ` +
          '(choose another with --runtime-endpoint or CONTAINER_RUNTIME_ENDPOINT)',
      );
    }
    return await fn(client, ep);
  } finally {
    client.close();
  }
}

/** Whether `err` is a CriError, told by the name it gives itself (no import of cri/errors.ts). */
function isCriError(err: unknown): err is CriError {
  return err instanceof Error && err.name === 'CriError' && typeof (err as { code?: unknown }).code === 'number';
}

/** "what: message" for a failed CRI call, keeping the gRPC code name readable. */
export function describeError(what: string, err: unknown): Error {
  if (isCriError(err)) return new Error(`${what}: rpc error: code = ${grpcCodeName(err.code)} desc = ${err.message}`, { cause: err });
  return new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** gRPC's status codes by number, named as Go's codes.Code String() spells them (google.golang.org/grpc/codes). */
const GO_CODE_NAMES: readonly string[] = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

/** A gRPC code's name as crictl prints it (NotFound, InvalidArgument, ...; Code(99) for an unknown one). */
export function grpcCodeName(code: number): string {
  return GO_CODE_NAMES[code] ?? `Code(${code})`;
}

export type IdKind = 'container' | 'pod sandbox';

/**
 * The full id an argument names: itself when some object has exactly that id, else the one id
 * it is a prefix of. An ambiguous prefix is an error listing the candidates; a prefix of nothing
 * is returned unchanged, so the runtime answers for it (NotFound, or its own resolution).
 */
export function resolveIdPrefix(arg: string, ids: readonly string[], kind: IdKind): string {
  if (arg === '') throw new Error('ID cannot be empty');
  if (ids.includes(arg)) return arg;
  const matches = ids.filter((id) => id.startsWith(arg));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    throw new Error(`ambiguous ${kind} ID "${arg}": it is a prefix of ${matches.length} ${kind} IDs (${matches.map((m) => m.slice(0, 16)).join(', ')}); give more characters`);
  }
  return arg;
}

/** Full ids (64 hex digits) need no listing to resolve. */
const FULL_ID = /^[0-9a-f]{64}$/;

async function resolveIds(args: readonly string[], kind: IdKind, listIds: () => Promise<string[]>): Promise<string[]> {
  if (args.every((a) => FULL_ID.test(a))) return [...args];
  const ids = await listIds();
  return args.map((a) => resolveIdPrefix(a, ids, kind));
}

/** Resolves container id prefixes by listing every container. */
export function resolveContainerIds(client: CriClient, args: readonly string[]): Promise<string[]> {
  return resolveIds(args, 'container', async () => (await client.listContainers({})).containers.map((c) => c.id));
}

/** Resolves pod sandbox id prefixes by listing every sandbox. */
export function resolvePodIds(client: CriClient, args: readonly string[]): Promise<string[]> {
  return resolveIds(args, 'pod sandbox', async () => (await client.listPodSandbox({})).items.map((p) => p.id));
}

/** An optional filter flag's container id resolved ('' stays '': no filter). */
export async function resolveContainerFilter(client: CriClient, id: string | undefined): Promise<string> {
  return id === undefined || id === '' ? '' : ((await resolveContainerIds(client, [id]))[0] as string);
}

/** An optional filter flag's pod sandbox id resolved ('' stays '': no filter). */
export async function resolvePodFilter(client: CriClient, id: string | undefined): Promise<string> {
  return id === undefined || id === '' ? '' : ((await resolvePodIds(client, [id]))[0] as string);
}

/** crictl's aggregate of several failures: the one message, or `[a, b]` for several. */
export function aggregateErrors(messages: readonly string[]): Error | undefined {
  if (messages.length === 0) return undefined;
  return new Error(messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`);
}

/** Runs `fn` for each id in turn, collecting failures into one error (crictl's aggregate). */
export async function forEachId(ids: readonly string[], fn: (id: string, index: number) => Promise<void>): Promise<void> {
  const errors: string[] = [];
  for (const [i, id] of ids.entries()) {
    try {
      await fn(id, i);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  const err = aggregateErrors(errors);
  if (err) throw err;
}

/**
 * crictl's rm, rmp and rmi: `remove` for each id (see forEachId). No ids is said on stderr when
 * they came from --all (nothing to remove), and is an error (`usage`) when none was given.
 */
export async function removeEach(
  ids: readonly string[],
  all: boolean,
  messages: { nothing: string; usage: string },
  remove: (id: string, index: number) => Promise<void>,
): Promise<void> {
  if (ids.length === 0) {
    if (!all) throw new Error(messages.usage);
    process.stderr.write(`${messages.nothing}\n`);
    return;
  }
  await forEachId(ids, remove);
}

/**
 * crictl's inspect, inspectp and inspecti: each id's status, fetched in turn, written as the
 * table text `table` makes of it or as crictl's status data (`status` and the verbose info).
 */
export async function writeStatuses<R extends { info: Record<string, string> }>(
  ids: readonly string[],
  format: string,
  fetch: (id: string) => Promise<R>,
  view: { table: (r: R) => string; status: (r: R) => JsonValue },
): Promise<void> {
  if (ids.length === 0) throw new Error('No IDs provided or nothing found per filter');
  const responses: R[] = [];
  for (const id of ids) responses.push(await fetch(id));
  if (format === 'table') write(responses.map(view.table).join(''));
  else write(renderStatusData(responses.map((r) => ({ status: view.status(r), info: r.info })), format as 'json' | 'yaml'));
}

/** key=value labels from repeated --label flags (crictl's parseLabelStringSlice). */
export function parseLabels(pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const parts = p.split('=');
    if (parts.length !== 2) throw new Error(`incorrectly specified label: ${p}`);
    out[parts[0] as string] = parts[1] as string;
  }
  return out;
}

/** Commander collector for repeatable flags. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** An output format flag's value, checked. */
export function outputFormat(value: string | undefined, allowed: readonly string[], fallback: string): string {
  const v = value ?? fallback;
  if (!allowed.includes(v)) throw new Error(`unsupported output format "${v}" (one of: ${allowed.join('|')})`);
  return v;
}

/** crictl's order and cut for listings: newest first, then only the newest (--latest) or the newest N (--last N). */
export function newestFirst<T extends { created_at: number }>(items: readonly T[], opts: { latest?: boolean; last?: string }): T[] {
  const sorted = [...items].sort((a, b) => b.created_at - a.created_at);
  let n = sorted.length;
  if (opts.latest) n = 1;
  const last = opts.last !== undefined ? Number(opts.last) : 0;
  if (last > 0) n = last;
  return sorted.slice(0, Math.min(n, sorted.length));
}

/** Regular expression filter as crictl's matchesRegex: empty matches all, a bad pattern matches none. */
export function matchesRegex(pattern: string | undefined, target: string): boolean {
  if (pattern === undefined || pattern === '') return true;
  try {
    return new RegExp(pattern).test(target);
  } catch {
    return false;
  }
}

export function write(text: string): void {
  process.stdout.write(text);
}
