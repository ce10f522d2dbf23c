// Helpers shared by the printers: column builders and the small cell formatters upstream's
// printers reuse (age, container layout, '+ N more...' lists, pointer booleans).

import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import { canonicalQuantity } from '../../api/quantity.js';
import { timeSince } from '../../util/duration.js';
import { doc } from './descriptions.js';
import type { Obj, TableColumnDefinition } from './types.js';

export function col(name: string, type: string, description: string, opts: { format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type, format: opts.format ?? '', description, priority: opts.priority ?? 0 };
}

/** The same column shown only with -o wide. */
export function wide(c: TableColumnDefinition): TableColumnDefinition {
  return { ...c, priority: 1 };
}

export const nameColumn = col('Name', 'string', doc['ObjectMeta.name'], { format: 'name' });
export const ageColumn = col('Age', 'string', doc['ObjectMeta.creationTimestamp']);
export const containersColumn = col('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
export const imagesColumn = col('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });

/**
 * Views a stored object as its kubernetes-types interface. Every field of those interfaces is
 * optional, so printers still guard each read; this only names the shape.
 */
export function typed<T>(o: Obj): T {
  return o as unknown as T;
}

export function metaOf(o: Obj): ObjectMeta {
  const m = o.metadata;
  return typeof m === 'object' && m !== null ? (m as ObjectMeta) : {};
}

export function nameOf(o: Obj): string {
  return metaOf(o).name ?? '';
}

/** translateTimestampSince(creationTimestamp). */
export function age(o: Obj, now: number): string {
  return timeSince(metaOf(o).creationTimestamp, now);
}

export function isDeleting(o: Obj): boolean {
  const ts = metaOf(o).deletionTimestamp;
  return ts !== undefined && ts !== null;
}

/** An integer field as Go sees it: absent (zero value) is 0. */
export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** layoutContainerCells: names and images, each comma-joined. */
export function layoutContainers(containers: Container[] | undefined): [string, string] {
  const list = Array.isArray(containers) ? containers : [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/** printBoolPtr: 'True' / 'False', '<unset>' for a nil pointer. */
export function boolPtr(v: boolean | undefined | null): string {
  if (v === undefined || v === null) return '<unset>';
  return v ? 'True' : 'False';
}

/** listWithMoreString: at most `max` entries then ' + N more...'; '<unset>' for none. */
export function listWithMore(all: string[], max = 3): string {
  const shown = all.slice(0, max).join(',');
  if (all.length > max) return `${shown} + ${all.length - max} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** Quantity.String(): canonical form ('1.5Gi' prints '1536Mi'); unset is '0', unparsable as stored. */
export function quantity(v: unknown): string {
  const canonical = canonicalQuantity(v);
  if (canonical !== undefined) return canonical;
  return typeof v === 'string' && v !== '' ? v : '0';
}

/** net.JoinHostPort: IPv6 addresses are bracketed. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function arr<T>(v: T[] | undefined | null): T[] {
  return Array.isArray(v) ? v : [];
}
