// Loads the component schemas of every built-in type once: from schemas.json, written next to
// this module by the build step (scripts/gen-openapi.ts), or, when that step did not run (e.g.
// sources run through a TypeScript loader), generated in memory from kubernetes-types (~1 s).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { generateSchemas, kubernetesTypesDir } from './generate.js';
import type { Schemas } from './schema.js';

let cached: Schemas | undefined;

/** The component schemas, keyed by definition name (`io.k8s.api.core.v1.Pod`). Do not mutate. */
export function loadSchemas(): Schemas {
  if (cached) return cached;
  const file = fileURLToPath(new URL('./schemas.json', import.meta.url));
  if (existsSync(file)) {
    cached = JSON.parse(readFileSync(file, 'utf8')) as Schemas;
  } else {
    const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
    cached = generateSchemas(ts, kubernetesTypesDir(import.meta.url));
  }
  return cached;
}
