// Image commands over the CRI ImageService: images, pull, rmi, inspecti — crictl's flags and
// output.

import type { Command } from 'commander';
import type { CriClient } from '../../cri/client.js';
import type { Image } from '../../cri/types.js';
import { loadPodSandboxConfig } from './config-files.js';
import { collect, describeError, outputFormat, parseDuration, parseLabels, removeEach, withClient, write, writeStatuses } from './context.js';
import { authFromFlags } from './containers.js';
import { goMap, humanSize, renderTable, truncateId } from './format.js';
import { renderMessage, toProtoJson } from './protojson.js';

/** crictl's image order: by first repo tag, else first repo digest, else id. */
export function sortImages(images: readonly Image[]): Image[] {
  return [...images].sort((a, b) => {
    const [ta, tb] = [a.repo_tags[0], b.repo_tags[0]];
    if (ta !== undefined && tb !== undefined) return ta < tb ? -1 : ta > tb ? 1 : 0;
    const [da, db] = [a.repo_digests[0], b.repo_digests[0]];
    if (da !== undefined && db !== undefined) return da < db ? -1 : da > db ? 1 : 0;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** The repository and digest of an image's first repo digest; `<none>` for both without one. */
export function repoAndDigest(repoDigests: readonly string[]): [string, string] {
  const first = repoDigests[0];
  if (first === undefined) return ['<none>', '<none>'];
  const parts = first.split('@');
  return parts.length === 2 ? [parts[0] as string, parts[1] as string] : ['errorName', 'errorRepoDigest'];
}

/** (repository, tag) pairs: one per repo tag, or (repository from the digest, `<none>`). */
export function repoTagPairs(repoTags: readonly string[], imageName: string): [string, string][] {
  if (repoTags.length === 0) return [[imageName, '<none>']];
  return repoTags.map((t): [string, string] => {
    const i = t.lastIndexOf(':');
    if (i < 0) return ['errorRepoTag', 'errorRepoTag'];
    const name = t.slice(0, i);
    return [name === '<none>' ? imageName : name, t.slice(i + 1)];
  });
}

/** `crictl images` output in table, quiet or verbose form. */
export function renderImages(images: readonly Image[], opts: { quiet?: boolean; verbose?: boolean; digests?: boolean; noTrunc?: boolean; pinned?: boolean }): string {
  if (opts.quiet) return images.map((i) => `${i.id}\n`).join('');
  if (opts.verbose) {
    let out = '';
    for (const i of images) {
      out += `ID: ${i.id}\n`;
      for (const t of i.repo_tags) out += `RepoTags: ${t}\n`;
      for (const d of i.repo_digests) out += `RepoDigests: ${d}\n`;
      if (i.size !== 0) out += `Size: ${i.size}\n`;
      if (i.uid !== null) out += `Uid: value:${i.uid.value}\n`;
      if (i.username !== '') out += `Username: ${i.username}\n`;
      if (i.pinned) out += 'Pinned: true\n';
      out += '\n';
    }
    return out;
  }
  const header = ['IMAGE', 'TAG', ...(opts.digests ? ['DIGEST'] : []), 'IMAGE ID', 'SIZE', ...(opts.pinned ? ['PINNED'] : [])];
  const rows = [header];
  for (const i of images) {
    const [name, fullDigest] = repoAndDigest(i.repo_digests);
    const size = humanSize(i.size, 3);
    const id = opts.noTrunc ? i.id : truncateId(i.id, 'sha256:');
    const digest = opts.noTrunc ? fullDigest : truncateId(fullDigest, 'sha256:');
    for (const [repo, tag] of repoTagPairs(i.repo_tags, name)) {
      rows.push([repo, tag, ...(opts.digests ? [digest] : []), id, size, ...(opts.pinned ? [String(i.pinned)] : [])]);
    }
  }
  return renderTable(rows);
}

/**
 * The image an argument names: itself, or — for a hex id prefix (`3f57d9401f8d`, `sha256:3f57`)
 * that names no image by reference — the one image whose id starts with it.
 */
export async function resolveImageArg(client: CriClient, arg: string): Promise<string> {
  const m = /^(?:sha256:)?([0-9a-f]{3,64})$/.exec(arg);
  if (m === null) return arg;
  const images = (await client.listImages({})).images;
  const hex = m[1] as string;
  if (images.some((i) => i.repo_tags.some((t) => t.startsWith(`${arg}:`) || t.startsWith(`docker.io/library/${arg}:`)))) return arg;
  const matches = images.filter((i) => i.id.replace(/^sha256:/, '').startsWith(hex));
  if (matches.length > 1) throw new Error(`ambiguous image ID "${arg}": it is a prefix of ${matches.length} image IDs; give more characters`);
  return matches.length === 1 ? (matches[0] as Image).id : arg;
}

interface ImagesFlags {
  verbose?: boolean;
  quiet?: boolean;
  output?: string;
  digests?: boolean;
  trunc?: boolean;
  pinned?: boolean;
}

export function imageCommands(parent: Command): void {
  parent
    .command('images')
    .aliases(['image', 'img'])
    .description('List images')
    .argument('[repository[:tag]]')
    .option('-v, --verbose', 'Show verbose info for images')
    .option('-q, --quiet', 'Only show image IDs')
    .option('-o, --output <format>', 'Output format, One of: json|yaml|table', 'table')
    .option('--digests', 'Show digests')
    .option('--no-trunc', 'Show output without truncating the ID')
    .option('--pinned', 'Show whether the image is pinned or not')
    .action(async (name: string | undefined, o: ImagesFlags, cmd: Command) => {
      const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'table');
      await withClient(cmd, async (client) => {
        const res = await client.listImages({ filter: { image: { image: name ?? '' } } }).catch((e: unknown) => { throw describeError('listing images', e); });
        const images = sortImages(res.images);
        if (format !== 'table') return write(renderMessage({ images }, 'ListImagesResponse', format as 'json' | 'yaml'));
        write(renderImages(images, { quiet: o.quiet, verbose: o.verbose, digests: o.digests, noTrunc: o.trunc === false, pinned: o.pinned }));
      });
    });

  parent
    .command('pull')
    .description('Pull an image from a registry')
    .argument('<name[:tag|@digest]>')
    .option('--creds <user[:password]>', 'Use USERNAME[:PASSWORD] for accessing the registry (env CRICTL_CREDS)')
    .option('--auth <auth-string>', "Use AUTH_STRING for accessing the registry. AUTH_STRING is a base64 encoded 'USERNAME[:PASSWORD]' (env CRICTL_AUTH)")
    .option('--pod-config <file>', 'Use pod-config.[json|yaml] to override the pull context')
    .option('-a, --annotation <key=value>', 'Annotation to be set on the pulled image', collect)
    .option('--pull-timeout <duration>', 'Maximum time to be used for pulling the image, disabled if set to 0s (env CRICTL_PULL_TIMEOUT)')
    .action(async (image: string, o: { creds?: string; auth?: string; podConfig?: string; annotation?: string[]; pullTimeout?: string }, cmd: Command) => {
      if (image === '') throw new Error('image name cannot be empty');
      const auth = authFromFlags(o.creds ?? process.env.CRICTL_CREDS, o.auth ?? process.env.CRICTL_AUTH);
      const sandbox = o.podConfig !== undefined ? await loadPodSandboxConfig(o.podConfig) : undefined;
      const timeoutText = o.pullTimeout ?? process.env.CRICTL_PULL_TIMEOUT;
      const timeoutMs = timeoutText !== undefined ? parseDuration(timeoutText) : 0;
      await withClient(cmd, async (client) => {
        const res = await client
          .pullImage({ image: { image, annotations: parseLabels(o.annotation) }, ...(auth ? { auth } : {}), ...(sandbox ? { sandbox_config: sandbox } : {}) }, { timeoutMs })
          .catch((e: unknown) => { throw describeError('pulling image', e); });
        write(`Image is up to date for ${res.image_ref}\n`);
      });
    });

  parent
    .command('rmi')
    .description('Remove one or more images')
    .argument('[image-id...]')
    .option('-a, --all', 'Remove all images')
    .option('-q, --prune', 'Remove all unused images')
    .action(async (args: string[], o: { all?: boolean; prune?: boolean }, cmd: Command) => {
      await withClient(cmd, async (client) => {
        const ids = new Map<string, boolean>();
        for (const a of args) ids.set(await resolveImageArg(client, a), true);
        if (o.all || o.prune) {
          for (const img of (await client.listImages({})).images) if (!(o.prune && img.pinned)) ids.set(img.id, true);
        }
        if (o.prune) {
          for (const ref of new Set((await client.listContainers({})).containers.map((c) => c.image?.image ?? ''))) {
            const st = await client.imageStatus({ image: { image: ref } }).catch(() => undefined);
            if (st?.image) ids.set(st.image.id, false);
          }
        }
        const targets = [...ids].filter(([, remove]) => remove).map(([id]) => id);
        const all = o.all === true || o.prune === true;
        await removeEach(targets, all, { nothing: 'No images to remove', usage: 'rmi needs at least one IMAGE-ID (or --all / --prune)' }, async (id) => {
          const st = await client.imageStatus({ image: { image: id } }).catch((e: unknown) => { throw describeError(`image status request for "${id}" failed`, e); });
          if (st.image === null) throw new Error(`no such image ${id}`);
          try {
            await client.removeImage({ image: { image: id } });
          } catch (e) {
            if (o.prune) return;
            throw describeError(`error of removing image "${id}"`, e);
          }
          const names = st.image.repo_tags.length > 0 ? st.image.repo_tags : st.image.repo_digests;
          for (const n of names) write(`Deleted: ${n}\n`);
        });
      });
    });

  parent
    .command('inspecti')
    .description('Return the status of one or more images')
    .argument('[image-id...]')
    .option('-o, --output <format>', 'Output format, One of: json|yaml|table')
    .option('-q, --quiet', 'Do not show verbose information')
    .option('--name <name>', 'Filter by image name')
    .action(async (args: string[], o: { output?: string; quiet?: boolean; name?: string }, cmd: Command) => {
      const format = outputFormat(o.output, ['json', 'yaml', 'table'], 'json');
      const verbose = !o.quiet;
      await withClient(cmd, async (client) => {
        let ids = args;
        if (ids.length === 0) ids = (await client.listImages({ filter: { image: { image: o.name ?? '' } } })).images.map((i) => i.id);
        const status = async (arg: string): Promise<{ image: Image; info: Record<string, string> }> => {
          const id = await resolveImageArg(client, arg);
          const r = await client.imageStatus({ image: { image: id }, verbose }).catch((e: unknown) => { throw describeError(`image status for "${arg}" request`, e); });
          if (r.image === null) throw new Error(`no such image "${arg}" present`);
          return { image: r.image, info: r.info };
        };
        const table = ({ image, info }: { image: Image; info: Record<string, string> }): string =>
          `ID: ${image.id}\n${image.repo_tags.map((t) => `Tag: ${t}\n`).join('')}${image.repo_digests.map((d) => `Digest: ${d}\n`).join('')}` +
          `Size: ${humanSize(image.size, 3)}\n${verbose ? `Info: ${goMap(info)}\n` : ''}`;
        await writeStatuses(ids, format, status, { table, status: (r) => toProtoJson(r.image, 'Image') });
      });
    });
}
