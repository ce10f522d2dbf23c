// Runtime-wide commands: `version` (Version) and `info` (Status), printed as crictl prints them.

import type { Command } from 'commander';
import type { RuntimeFeatures, RuntimeHandler, StatusResponse, VersionResponse } from '../../cri/types.js';
import { describeError, outputFormat, withClient, write } from './context.js';
import { renderStatusData, toProtoJson, type JsonObject, type JsonValue } from './protojson.js';

/** crictl's version lines (Go's Println puts two spaces after each colon). */
export function renderVersion(v: VersionResponse): string {
  return `Version:  ${v.version}\nRuntimeName:  ${v.runtime_name}\nRuntimeVersion:  ${v.runtime_version}\nRuntimeApiVersion:  ${v.runtime_api_version}\n`;
}

/**
 * A value as Go's encoding/json writes the generated CRI structs: snake_case names, `omitempty`
 * (false, 0, "", empty lists and maps, and nil messages left out). Null for a nil message.
 */
export function goStructJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.length === 0 ? null : v.map(goStructJson);
  if (typeof v === 'object') {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === null || x === undefined || x === false || x === 0 || x === '') continue;
      if (Array.isArray(x) && x.length === 0) continue;
      if (typeof x === 'object' && !Array.isArray(x) && Object.keys(x as object).length === 0 && !isMessage(k)) continue;
      out[k] = goStructJson(x);
    }
    return out;
  }
  return v as JsonValue;
}

// Message-typed fields survive omitempty even when all their fields are zero (a non-nil pointer).
const MESSAGE_FIELDS = new Set(['features']);
function isMessage(key: string): boolean {
  return MESSAGE_FIELDS.has(key);
}

/** `crictl info` output (status data: status, runtimeHandlers, features, info keys). */
export function renderInfo(r: StatusResponse, format: 'json' | 'yaml'): string {
  const handlers: RuntimeHandler[] = r.runtime_handlers;
  const features: RuntimeFeatures | null = r.features;
  return renderStatusData(
    [{ status: toProtoJson(r.status, 'RuntimeStatus'), runtimeHandlers: goStructJson(handlers), features: goStructJson(features), info: r.info }],
    format,
  );
}

export function runtimeCommands(parent: Command): void {
  parent
    .command('version')
    .description('Display runtime version information')
    .action(async (_o: unknown, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const v = await client.version({ version: 'v1' }).catch((e: unknown) => { throw describeError('getting the runtime version', e); });
        write(renderVersion(v));
      });
    });

  parent
    .command('info')
    .description('Display information of the container runtime')
    .option('-o, --output <format>', 'Output format, One of: json|yaml', 'json')
    .option('-q, --quiet', 'Do not show verbose information')
    .action(async (o: { output?: string; quiet?: boolean }, cmd: Command) => {
      const format = outputFormat(o.output, ['json', 'yaml'], 'json') as 'json' | 'yaml';
      await withClient(cmd, async (client) => {
        const r = await client.status({ verbose: !o.quiet }).catch((e: unknown) => { throw describeError('getting status of runtime', e); });
        write(renderInfo(r, format));
      });
    });
}
