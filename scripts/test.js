#!/usr/bin/env node
// Runs every compiled test file under dist/test with node's test runner. Unit tests run in
// parallel; integration suites (real servers, kubectl, etcd) and runtime suites (real runc,
// containerd, registries, network namespaces) run one file at a time so their processes do not
// compete for this machine's two cores or for host-wide resources.

import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = 'dist/test';
function find(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
const only = process.argv.slice(2);
const files = find(root).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const serial = files.filter((f) => f.includes('/integration/') || f.includes('/e2e/') || f.includes('/runtime/'));
const parallel = files.filter((f) => !serial.includes(f));
let failed = false;
for (const [group, concurrency] of [[parallel, 2], [serial, 1]]) {
  if (group.length === 0) continue;
  const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...group], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
