// The command definition modules main.ts imports for every skiff invocation load only what
// their flags and help need; each command's implementation is imported when it runs. Otherwise
// `skiff runtime` idles with the API server, storage, controllers and scheduler in memory, and
// `skiff --version` pays for loading them all.
//
// Checked in a fresh Node process per module with a module-load hook recording every URL loaded.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CONTROLLER_NAMES } from '../../src/cli/controller-manager.js';
import { controllers } from '../../src/controllers/all.js';

const run = promisify(execFile);
const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * The definition modules, by path under src/. server.ts and runtime.ts (and agent.ts) belong
 * here too once their actions import the implementation (see the report on branch lean).
 */
const COMMAND_MODULES = ['cli/scheduler.js', 'cli/controller-manager.js', 'cli/sim.js', 'cli/reset.js', 'cli/crictl/index.js', 'cli/images.js', 'cli/server.js', 'cli/agent.js', 'cli/runtime.js'];

/** Modules (under src/) a definition may load: the CLI itself, small parsers its flags use, the CRI descriptors crictl's output needs. */
const ALLOWED_SRC = [/^cli\//, /^util\/duration\.js$/, /^api\/quantity\.js$/, /^sim\/options\.js$/, /^cri\/proto\.js$/, /^runtime\/oci\/log\.js$/, /^runtime\/defaults\.js$/];
/** Packages that only implementations use. */
const FORBIDDEN_PACKAGES = ['@grpc/grpc-js', 'ws', 'tar-stream', 'better-sqlite3', 'etcd3', 'cli-progress', '@peculiar/x509', 'jose'];

const HOOK = `
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (process.env.LOADED_FILE) appendFileSync(process.env.LOADED_FILE, url + '\\n');
  return next(url, context);
}`;

async function modulesLoadedBy(modulePath: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-lazy-'));
  const file = join(dir, 'loaded');
  try {
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
      await import(${JSON.stringify(new URL(modulePath, `file://${srcDir}`).href)});`;
    await run(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LOADED_FILE: file } });
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const mod of COMMAND_MODULES) {
  test(`${mod} loads no command implementation`, async () => {
    const loaded = await modulesLoadedBy(mod);
    assert.ok(loaded.some((u) => u.endsWith(mod)), `the hook saw ${mod} itself`);
    const ownModules = loaded.filter((u) => u.startsWith(`file://${srcDir}`)).map((u) => u.slice(`file://${srcDir}`.length));
    assert.deepEqual(ownModules.filter((m) => !ALLOWED_SRC.some((re) => re.test(m))), [], `${mod} loads implementation modules`);
    const packages = FORBIDDEN_PACKAGES.filter((p) => loaded.some((u) => u.includes(`/node_modules/${p}/`)));
    assert.deepEqual(packages, [], `${mod} loads packages only implementations use`);
  });
}

test('controller-manager --help names the controllers controllers/all.ts runs', () => {
  assert.deepEqual(CONTROLLER_NAMES, controllers.map((c) => c.name));
});
