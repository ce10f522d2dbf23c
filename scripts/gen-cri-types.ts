// Regenerates src/cri/types.ts from src/cri/api.proto. Run after editing the .proto:
//   npx tsc -p tsconfig.json && node dist/scripts/gen-cri-types.js
// (test/cri/types.test.ts fails while the committed file is stale.)

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { criDefinition } from '../src/cri/proto.js';
import { generateCriTypes } from '../src/cri/typegen.js';

const out = fileURLToPath(new URL('../../src/cri/types.ts', import.meta.url));
writeFileSync(out, generateCriTypes(criDefinition().pkg));
console.log(`wrote ${out}`);
