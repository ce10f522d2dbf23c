// `skiff images import|export|ls|pull|rm`: image management on a runtime root without a running
// runtime, for air-gapped nodes (import/export of OCI layout and docker-archive tarballs) and
// for seeding a node. See image-store.ts for what each operation does to the root.

import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import type { PullProgress } from '../runtime/images/pull.js';
import { emptyRegistriesConfig, loadRegistriesConfig, type RegistriesConfig } from '../runtime/images/registries-config.js';
import { authFromFlags } from './crictl/containers.js';
import { humanSize, renderTable, truncateId } from './crictl/format.js';
import { DEFAULT_RUNTIME_ROOT, LocalImageStore, imageId, splitNames } from './image-store.js';
import type { ImageRecord } from '../runtime/images/image-records.js';

export const DEFAULT_REGISTRIES_FILE = '/etc/skiff/registries.yaml';

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
    const firstDigest = digests[0];
    const repoOfDigest = firstDigest !== undefined ? firstDigest.slice(0, firstDigest.indexOf('@')) : '<none>';
    const digest = firstDigest !== undefined ? firstDigest.slice(firstDigest.indexOf('@') + 1) : r.manifestDigest;
    const id = opts.noTrunc ? imageId(r) : truncateId(imageId(r), 'sha256:');
    const shownDigest = opts.noTrunc ? digest : truncateId(digest, 'sha256:');
    const pairs: [string, string][] = tags.length === 0 ? [[repoOfDigest, '<none>']] : tags.map((t) => [t.slice(0, t.lastIndexOf(':')), t.slice(t.lastIndexOf(':') + 1)]);
    for (const [repo, tag] of pairs) rows.push([repo, tag, ...(opts.digests ? [shownDigest] : []), id, humanSize(r.size, 3)]);
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

function rootOption(cmd: Command): Command {
  return cmd.option('--root <dir>', 'runtime root holding the content store, image records and snapshots', DEFAULT_RUNTIME_ROOT);
}

export function imagesCommand(): Command {
  const images = new Command('images').description('Manage images in a runtime root: import, export, list, pull, remove (works without a running runtime)');

  rootOption(images.command('import'))
    .description('Import images from an OCI layout or docker-archive tarball (optionally gzipped) or an OCI layout directory')
    .argument('<archive>')
    .option('--base-name <repository>', 'repository for images the archive names only by tag (an OCI layout ref.name such as "latest")')
    .action(async (file: string, o: { root: string; baseName?: string }) => {
      const store = new LocalImageStore(o.root);
      const records = await store.import(file, { ...(o.baseName !== undefined ? { baseName: o.baseName } : {}), warn: (m) => process.stderr.write(`warning: ${m}\n`) });
      for (const r of records) {
        const { tags } = splitNames(r);
        process.stdout.write(`imported ${tags.length > 0 ? tags.join(', ') : '(unnamed)'} ${imageId(r)} (${humanSize(r.size, 3)})\n`);
      }
    });

  rootOption(images.command('export'))
    .description('Export images as an OCI layout tarball (with a docker manifest.json, so docker load and ctr import read it too)')
    .argument('<ref...>', 'image names, image ids (or unique id prefixes) or manifest digests')
    .requiredOption('-o, --output <file>', 'the tarball to write ("-" for standard output)')
    .action(async (refs: string[], o: { root: string; output: string }) => {
      const store = new LocalImageStore(o.root);
      for (const r of refs) await store.lookup(r); // fail before creating the file
      if (o.output === '-') {
        await store.export(refs, process.stdout);
        return;
      }
      const out = createWriteStream(o.output, { mode: 0o644 });
      await once(out, 'open');
      const records = await store.export(refs, out);
      process.stderr.write(`exported ${records.length} image(s) to ${o.output}\n`);
    });

  rootOption(images.command('ls'))
    .alias('list')
    .description('List images')
    .option('-q, --quiet', 'only show image IDs')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'show output without truncating the ID')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (o: { root: string; quiet?: boolean; digests?: boolean; trunc?: boolean; output: string }) => {
      if (o.output !== 'table' && o.output !== 'json') throw new Error(`unsupported output format "${o.output}" (table or json)`);
      const records = await new LocalImageStore(o.root).list();
      process.stdout.write(o.output === 'json' ? `${JSON.stringify({ images: records }, null, 2)}\n` : renderImageRecords(records, { quiet: o.quiet, digests: o.digests, noTrunc: o.trunc === false }));
    });

  rootOption(images.command('pull'))
    .description('Pull an image from a registry (mirrors and credentials from registries.yaml) and unpack it')
    .argument('<ref>')
    .option('--registries <file>', `registries.yaml (k3s format; default ${DEFAULT_REGISTRIES_FILE} when present)`)
    .option('--creds <user[:password]>', 'credentials for the registry')
    .option('-q, --quiet', 'no progress bars')
    .action(async (ref: string, o: { root: string; registries?: string; creds?: string; quiet?: boolean }) => {
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
    });

  rootOption(images.command('rm'))
    .alias('remove')
    .description('Remove images (every name they have) and free the blobs and snapshots nothing else uses')
    .argument('<ref...>', 'image names, image ids (or unique id prefixes) or manifest digests')
    .action(async (refs: string[], o: { root: string }) => {
      const store = new LocalImageStore(o.root);
      for (const ref of refs) {
        const rec = await store.removeRef(ref);
        const { tags, digests } = splitNames(rec);
        for (const n of tags.length > 0 ? tags : digests.length > 0 ? digests : [imageId(rec)]) process.stdout.write(`Deleted: ${n}\n`);
      }
    });

  return images;
}
