// ConfigMaps (DATA), Secrets (TYPE DATA) and ServiceAccounts (SECRETS).

import type { ConfigMap, Secret, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { doc } from './descriptions.js';
import { age, ageColumn, arr, col, nameColumn, nameOf, typed } from './common.js';
import type { Printer } from './types.js';

function keyCount(...maps: (Record<string, unknown> | undefined | null)[]): number {
  const keys = new Set<string>();
  for (const m of maps) if (m && typeof m === 'object') for (const k of Object.keys(m)) keys.add(k);
  return keys.size;
}

export const configMapPrinter: Printer = {
  columns: [nameColumn, col('Data', 'string', doc['ConfigMap.data']), ageColumn],
  cells: (obj, now) => {
    const cm = typed<ConfigMap>(obj);
    // data and binaryData may not share keys, so the count is their sum.
    return [nameOf(obj), keyCount(cm.data) + keyCount(cm.binaryData), age(obj, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [nameColumn, col('Type', 'string', doc['Secret.type']), col('Data', 'string', doc['Secret.data']), ageColumn],
  cells: (obj, now) => {
    const s = typed<Secret>(obj);
    // stringData is merged into data on write; counting both covers an unmerged object too.
    return [nameOf(obj), s.type ?? '', keyCount(s.data, s.stringData), age(obj, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [nameColumn, col('Secrets', 'string', doc['ServiceAccount.secrets']), ageColumn],
  cells: (obj, now) => [nameOf(obj), arr(typed<ServiceAccount>(obj).secrets).length, age(obj, now)],
};
