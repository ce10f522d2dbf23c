// What every benchmark's command line shares: `--name value` flags, `--quick` for a short run,
// progress on stderr, the results file (`--results FILE`, default bench/results/<kind>-<date>.json)
// and a main that prints the stack and exits 1 on failure.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const quick = process.argv.includes('--quick');

/** A numeric flag: its value, else `small` with --quick, else `full`. */
export const num = (name: string, full: number, small = full): number => Number(arg(name) ?? (quick ? small : full));

export const log = (m: string): void => void process.stderr.write(`[bench] ${new Date().toISOString().slice(11, 19)} ${m}\n`);

/** Writes the results document (pretty JSON) and says where; returns the path. */
export function writeResults(kind: string, doc: object, defaultDir = join('bench', 'results')): string {
  const out = arg('results') ?? join(defaultDir, `${kind}-${new Date().toISOString().slice(0, 10)}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(doc, null, 2) + '\n');
  log(`results written to ${out}`);
  return out;
}

/** Runs the benchmark; on failure prints the stack, runs `cleanup`, and exits 1. */
export function runMain(main: () => Promise<void>, cleanup: () => Promise<void> = async () => undefined): void {
  main().catch(async (err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    await cleanup().catch(() => undefined);
    process.exit(1);
  });
}
