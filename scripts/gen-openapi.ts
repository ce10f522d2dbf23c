// Build step: writes the OpenAPI v3 component schemas of every built-in type to
// <outDir>/src/api/openapi/schemas.json, next to the compiled runtime module that loads them.
// Run after `tsc` as `node <outDir>/scripts/gen-openapi.js`; the output directory is the one this
// compiled script lives in, so private output folders (dist-NAME) work too.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { generateSchemas, kubernetesTypesDir } from '../src/api/openapi/generate.js';

const started = process.hrtime.bigint();
const schemas = generateSchemas(ts, kubernetesTypesDir(import.meta.url));
const out = fileURLToPath(new URL('../src/api/openapi/schemas.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(schemas));
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(`gen-openapi: ${Object.keys(schemas).length} definitions → ${out} (${ms.toFixed(0)} ms)\n`);
