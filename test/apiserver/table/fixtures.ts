// Shared helpers for the table tests: a fixed clock and one-row printing.

import { toTable } from '../../../src/apiserver/table/index.js';
import type { TableCell } from '../../../src/apiserver/table/index.js';

export const NOW = new Date('2024-06-01T12:00:00Z');

/** An RFC 3339 timestamp `ms` before NOW. */
export function ago(ms: number): string {
  return new Date(NOW.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const SEC = 1000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export function cells(group: string, kind: string, obj: Record<string, unknown>): TableCell[] {
  const t = toTable({ group, kind }, [obj], { includeObject: 'None', now: NOW });
  const row = t.rows[0];
  if (!row) throw new Error('no row');
  if (row.cells.length !== t.columnDefinitions.length) throw new Error(`${row.cells.length} cells for ${t.columnDefinitions.length} columns`);
  return row.cells;
}

/** Column headers as kubectl prints them: upper-cased, priority-1 columns marked with '*'. */
export function headers(group: string, kind: string): string[] {
  return toTable({ group, kind }, [], { includeObject: 'None', now: NOW }).columnDefinitions.map(
    (c) => c.name.toUpperCase() + (c.priority > 0 ? '*' : ''),
  );
}
