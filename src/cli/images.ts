// `skiff images import|export|ls|pull|rm` flags: image management on a runtime root without a
// running runtime, for air-gapped nodes (import/export of OCI layout and docker-archive tarballs)
// and for seeding a node. What they do lives in images-run.ts, imported when one of them runs
// (see main.ts).

import { Command } from 'commander';
import { DEFAULT_REGISTRIES_FILE, DEFAULT_RUNTIME_ROOT } from '../runtime/defaults.js';


export interface RootFlags {
  root: string;
}
export interface ImportFlags extends RootFlags {
  baseName?: string;
}
export interface ExportFlags extends RootFlags {
  output: string;
}
export interface ListFlags extends RootFlags {
  quiet?: boolean;
  digests?: boolean;
  trunc?: boolean;
  output: string;
}
export interface PullFlags extends RootFlags {
  registries?: string;
  creds?: string;
  quiet?: boolean;
}

const run = (): Promise<typeof import('./images-run.js')> => import('./images-run.js');

function rootOption(cmd: Command): Command {
  return cmd.option('--root <dir>', 'runtime root holding the content store, image records and snapshots', DEFAULT_RUNTIME_ROOT);
}

export function imagesCommand(): Command {
  const images = new Command('images').description('Manage images in a runtime root: import, export, list, pull, remove (works without a running runtime)');

  rootOption(images.command('import'))
    .description('Import images from an OCI layout or docker-archive tarball (optionally gzipped) or an OCI layout directory')
    .argument('<archive>')
    .option('--base-name <repository>', 'repository for images the archive names only by tag (an OCI layout ref.name such as "latest")')
    .action(async (file: string, o: ImportFlags) => (await run()).importImages(file, o));

  rootOption(images.command('export'))
    .description('Export images as an OCI layout tarball (with a docker manifest.json, so docker load and ctr import read it too)')
    .argument('<ref...>', 'image names, image ids (or unique id prefixes) or manifest digests')
    .requiredOption('-o, --output <file>', 'the tarball to write ("-" for standard output)')
    .action(async (refs: string[], o: ExportFlags) => (await run()).exportImages(refs, o));

  rootOption(images.command('ls'))
    .alias('list')
    .description('List images')
    .option('-q, --quiet', 'only show image IDs')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'show output without truncating the ID')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (o: ListFlags) => (await run()).listImages(o));

  rootOption(images.command('pull'))
    .description('Pull an image from a registry (mirrors and credentials from registries.yaml) and unpack it')
    .argument('<ref>')
    .option('--registries <file>', `registries.yaml (k3s format; default ${DEFAULT_REGISTRIES_FILE} when present)`)
    .option('--creds <user[:password]>', 'credentials for the registry')
    .option('-q, --quiet', 'no progress bars')
    .action(async (ref: string, o: PullFlags) => (await run()).pullImage(ref, o));

  rootOption(images.command('rm'))
    .alias('remove')
    .description('Remove images (every name they have) and free the blobs and snapshots nothing else uses')
    .argument('<ref...>', 'image names, image ids (or unique id prefixes) or manifest digests')
    .action(async (refs: string[], o: RootFlags) => (await run()).removeImages(refs, o));

  return images;
}
