// What `skiff images import|export|ls|pull|rm` do (flags in images.ts, which imports this module
// only when one of them runs): image management on a runtime root without a running runtime.
// See image-store.ts for what each operation does to the root.

import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import cliProgress from 'cli-progress';
import type { PullProgress } from '../runtime/images/pull.js';
import { emptyRegistriesConfig, loadRegistriesConfig, type RegistriesConfig } from '../runtime/images/registries-config.js';
import { authFromFlags } from './crictl/containers.js';
import { humanSize, renderTable, truncateId } from './crictl/format.js';
import { repoAndDigest, repoTagPairs } from './crictl/images.js';
import { LocalImageStore, imageId, splitNames } from './image-store.js';
import type { ImageRecord } from '../runtime/images/image-records.js';
import { DEFAULT_REGISTRIES_FILE } from '../runtime/defaults.js';
import { type ExportFlags, type ImportFlags, type ListFlags, type PullFlags, type RootFlags } from './images.js';

/** The registries config: `--registries FILE` (must exist), else the default file if present. */
export async function registriesFrom(path: string | undefined): Promise<RegistriesConfig> {
  if (path !== undefined) {
    if (!existsSync(path)) throw new Error(`registries file ${path} does not exist`);
    return loadRegistriesConfig(path);
  }
  return existsSync(DEFAULT_REGISTRIES_FILE) ? loadRegistriesConfig(DEFAULT_REGISTRIES_FILE) : emptyRegistriesConfig();
}

/** `skiff images ls`: crictl's IMAGE / TAG / [DIGEST] / IMAGE ID / SIZE table of the records. */
export function renderImageRecords(records: readonly ImageRecord[], opts: { quiet?: boolean; digests?: boolean; noTrunc?: boolean }): string {
  if (opts.quiet) return records.map((r) => `${imageId(r)}\n`).join('');
  const rows = [['IMAGE', 'TAG', ...(opts.digests ? ['DIGEST'] : []), 'IMAGE ID', 'SIZE']];
  const sorted = [...records].sort((a, b) => (a.names[0] ?? imageId(a)).localeCompare(b.names[0] ?? imageId(b)));
  for (const r of sorted) {
    const { tags, digests } = splitNames(r);
    // As crictl images, except that an image without a repo digest shows its manifest digest.
    const [repoOfDigest, digest] = digests.length > 0 ? repoAndDigest(digests) : ['<none>', r.manifestDigest];
    const id = opts.noTrunc ? imageId(r) : truncateId(imageId(r), 'sha256:');
    const shownDigest = opts.noTrunc ? digest : truncateId(digest, 'sha256:');
    for (const [repo, tag] of repoTagPairs(tags, repoOfDigest)) rows.push([repo, tag, ...(opts.digests ? [shownDigest] : []), id, humanSize(r.size, 3)]);
  }
  return renderTable(rows);
}

/** One bar per blob on a terminal; nothing otherwise (the summary line says what happened). */
function progressReporter(quiet: boolean): { onProgress?: (p: PullProgress) => void; stop: () => void } {
  if (quiet || !process.stderr.isTTY) return { stop: () => undefined };
  const multi = new cliProgress.MultiBar(
    {
      format: ' {blob} [{bar}] {percentage}% | {size} | {status}',
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  return {
    onProgress: (p) => {
      let bar = bars.get(p.digest);
      const payload = { blob: `${p.kind === 'config' ? 'config' : 'layer '} ${truncateId(p.digest, 'sha256:')}`, size: humanSize(p.total, 3), status: p.status };
      if (bar === undefined) {
        bar = multi.create(Math.max(1, p.total), 0, payload);
        bars.set(p.digest, bar);
      }
      bar.update(p.status === 'downloading' ? p.done : Math.max(1, p.total), payload);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      multi.stop();
    },
  };
}

export async function importImages(file: string, o: ImportFlags): Promise<void> {
  const store = new LocalImageStore(o.root);
  const records = await store.import(file, { ...(o.baseName !== undefined ? { baseName: o.baseName } : {}), warn: (m) => process.stderr.write(`warning: ${m}\n`) });
  for (const r of records) {
    const { tags } = splitNames(r);
    process.stdout.write(`imported ${tags.length > 0 ? tags.join(', ') : '(unnamed)'} ${imageId(r)} (${humanSize(r.size, 3)})\n`);
  }
}

export async function exportImages(refs: string[], o: ExportFlags): Promise<void> {
  const store = new LocalImageStore(o.root);
  const records: ImageRecord[] = [];
  for (const r of refs) records.push(await store.lookup(r)); // fail before creating the file
  if (o.output === '-') {
    await store.export(records, process.stdout);
    return;
  }
  const out = createWriteStream(o.output, { mode: 0o644 });
  await once(out, 'open');
  await store.export(records, out);
  process.stderr.write(`exported ${records.length} image(s) to ${o.output}\n`);
}

export async function listImages(o: ListFlags): Promise<void> {
  if (o.output !== 'table' && o.output !== 'json') throw new Error(`unsupported output format "${o.output}" (table or json)`);
  const records = await new LocalImageStore(o.root).list();
  process.stdout.write(o.output === 'json' ? `${JSON.stringify({ images: records }, null, 2)}\n` : renderImageRecords(records, { quiet: o.quiet, digests: o.digests, noTrunc: o.trunc === false }));
}

export async function pullImage(ref: string, o: PullFlags): Promise<void> {
  const registries = await registriesFrom(o.registries);
  const auth = authFromFlags(o.creds, undefined);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  const progress = progressReporter(o.quiet === true);
  const store = new LocalImageStore(o.root);
  try {
    const { pulled, record } = await store.pull(ref, {
      registries,
      signal: ac.signal,
      ...(auth?.username !== undefined ? { auth: { username: auth.username, password: auth.password ?? '' } } : {}),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
    });
    progress.stop();
    process.stdout.write(`pulled ${pulled.name} ${imageId(record)} (${humanSize(pulled.size, 3)}, ${pulled.fetched.blobs} blob(s) downloaded)\n`);
  } finally {
    progress.stop();
    store.close();
    process.off('SIGINT', onSigint);
  }
}

export async function removeImages(refs: string[], o: RootFlags): Promise<void> {
  const store = new LocalImageStore(o.root);
  for (const ref of refs) {
    const rec = await store.removeRef(ref);
    const { tags, digests } = splitNames(rec);
    for (const n of tags.length > 0 ? tags : digests.length > 0 ? digests : [imageId(rec)]) process.stdout.write(`Deleted: ${n}\n`);
  }
}
