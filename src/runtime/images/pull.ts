// Pulling an image: reference → endpoints (mirrors, then the registry) → manifest (an index is
// narrowed to linux/amd64) → config and layer blobs into the content store → image record.
//
// Contract:
// - Idempotent: a blob already in the store is not downloaded again (the manifest is always asked
//   for, since a tag may have moved). Concurrent pulls in this process share one download per blob.
// - Every stored byte is verified against its digest (content.ts); a corrupt or short blob fails
//   the pull with ImageError('DigestMismatch') and leaves nothing behind.
// - Endpoints are tried in order for the manifest; blobs are fetched from the endpoint that served
//   the manifest first, then from the others. When every endpoint fails, the error lists each
//   endpoint's failure and carries the most telling code (see `combine`).
// - Layers download in parallel, at most `concurrency` (default 3) at a time; the first failure
//   cancels the others and is the one thrown.

import { ContentStore } from './content.js';
import { ImageRecords } from './image-records.js';
import {
  DEFAULT_PLATFORM,
  MediaType,
  isIndexMediaType,
  isManifestMediaType,
  parseImageConfig,
  parseIndex,
  parseManifest,
  platformString,
  selectPlatform,
  type Descriptor,
  type ImageConfig,
  type Platform,
  type PlatformWanted,
} from './oci-image.js';
import { digestName, formatReference, manifestReference, parseReference, tagName, type ImageReference } from './reference.js';
import { ImageError, errorCode, type ImageErrorCode } from './registry-errors.js';
import { RegistryClient, type FetchedManifest } from './registry.js';
import { resolveEndpoints, type RegistriesConfig, type RegistryCredentials, type RegistryEndpoint } from './registries-config.js';

export interface PullProgress {
  /** The normalised reference being pulled. */
  reference: string;
  digest: string;
  kind: 'config' | 'layer';
  mediaType: string;
  /** Bytes stored so far, and the blob's size from the manifest. */
  done: number;
  total: number;
  /** `exists`: already in the store, nothing downloaded. */
  status: 'exists' | 'downloading' | 'done';
}

export interface PullOptions {
  /** Runtime root: blobs under `<root>/content`, the image index at `<root>/images.json`. */
  root: string;
  registries?: RegistriesConfig;
  /** Credentials from the request (CRI AuthConfig); they apply to every endpoint tried. */
  auth?: RegistryCredentials;
  onProgress?: (p: PullProgress) => void;
  signal?: AbortSignal;
  /** Parallel blob downloads; default 3. */
  concurrency?: number;
  platform?: PlatformWanted;
  /**
   * Told as soon as the image's config is stored (its layers still downloading), and of each
   * layer once its blob is stored and verified (by index in the manifest): what lets the caller
   * unpack lower layers while upper ones download. Calls may come in any layer order.
   */
  onConfig?: (config: ImageConfig, descriptor: Descriptor, layers: readonly Descriptor[]) => void;
  onLayerStored?: (index: number) => void;
  /** Shared instances (connections, tokens, the index lock); created per pull when absent. */
  client?: RegistryClient;
  store?: ContentStore;
  images?: ImageRecords;
}

export interface PulledImage {
  /** The normalised reference pulled, e.g. `docker.io/library/busybox:latest`. */
  name: string;
  /** Every name the image record now has (tags and repo digests). */
  names: string[];
  /** The digest the registry served for the reference (an index's for multi-platform images). */
  digest: string;
  /** The linux/amd64 image manifest's digest (equals `digest` for single-platform images). */
  manifestDigest: string;
  mediaType: string;
  /** The image ID: the config blob's digest. */
  id: string;
  config: ImageConfig;
  configDescriptor: Descriptor;
  layers: Descriptor[];
  platform?: Platform;
  /** Manifest + config + layers, compressed, in bytes. */
  size: number;
  /** What this pull actually downloaded (zero blobs when everything was present). */
  fetched: { blobs: number; bytes: number };
}

/** Blob downloads in progress, by store and digest; resolves true when it downloaded, false when present. */
const inflight = new Map<string, Promise<boolean>>();

export async function pullImage(reference: string | ImageReference, opts: PullOptions): Promise<PulledImage> {
  const ref = typeof reference === 'string' ? parseForPull(reference) : reference;
  const name = formatReference(ref);
  const store = opts.store ?? new ContentStore(opts.root);
  const images = opts.images ?? new ImageRecords(opts.root);
  const client = opts.client ?? new RegistryClient();
  const want = opts.platform ?? DEFAULT_PLATFORM;
  const signal = opts.signal;
  try {
    const endpoints = resolveEndpoints(ref, opts.registries, opts.auth);
    const top = await withFallback(endpoints, `pull ${name}: resolve`, (ep) => client.fetchManifest(ep, manifestReference(ref), signal));
    const order = [top.ep, ...endpoints.filter((e) => e !== top.ep)];
    let current: FetchedManifest = top.value;
    await storeManifest(store, current);

    let platform: Platform | undefined;
    for (let depth = 0; isIndexMediaType(current.mediaType); depth++) {
      if (depth >= 4) throw new ImageError('InvalidManifest', `pull ${name}: image indexes nested more than 4 deep`);
      const index = parseIndex(current.bytes, current.mediaType, `image index ${current.digest}`);
      const entry = selectPlatform(index, want);
      if (entry === undefined) {
        const has = [...new Set(index.manifests.map((m) => platformString(m.platform)))].join(', ') || 'nothing';
        throw new ImageError('NotFound', `pull ${name}: no ${platformString(want)} image in index ${current.digest} (it has: ${has})`);
      }
      platform = entry.platform;
      const child = await withFallback(order, `pull ${name}: ${platformString(want)} manifest`, (ep) => client.fetchManifest(ep, entry.digest, signal));
      current = child.value;
      await storeManifest(store, current);
    }
    if (!isManifestMediaType(current.mediaType)) {
      const why = current.mediaType === MediaType.dockerSchema1 || current.mediaType === MediaType.dockerSchema1Signed
        ? 'Docker schema 1 images are not supported; push the image again with a current client'
        : 'expected an OCI or Docker schema 2 image manifest';
      throw new ImageError('InvalidManifest', `pull ${name}: manifest ${current.digest} has media type ${current.mediaType}: ${why}`);
    }
    const manifest = parseManifest(current.bytes, current.mediaType, `image manifest ${current.digest}`);
    if (manifest.config.mediaType !== MediaType.ociConfig && manifest.config.mediaType !== MediaType.dockerConfig) {
      throw new ImageError('InvalidManifest', `pull ${name}: ${current.digest} is not a container image (config media type ${manifest.config.mediaType})`);
    }

    const fetched = { blobs: 0, bytes: 0 };
    const jobs = [
      { desc: manifest.config, kind: 'config' as const, index: -1 },
      ...manifest.layers.map((desc, index) => ({ desc, kind: 'layer' as const, index })),
    ];
    let config: ImageConfig | undefined;
    const stored = async (kind: 'config' | 'layer', index: number): Promise<void> => {
      if (kind === 'layer') return opts.onLayerStored?.(index);
      config = parseImageConfig(await store.get(manifest.config.digest), manifest.layers.length, `image config ${manifest.config.digest}`);
      opts.onConfig?.(config, manifest.config, manifest.layers);
    };
    await runBounded(jobs, opts.concurrency ?? 3, signal, async ({ desc, kind, index }, jobSignal) => {
      const progress = (done: number, status: PullProgress['status']): void =>
        opts.onProgress?.({ reference: name, digest: desc.digest, kind, mediaType: desc.mediaType, done, total: desc.size, status });
      // One promise per blob and store, set synchronously: a concurrent pull of the same blob
      // waits for it instead of checking the store in the middle of the other's write.
      const key = `${store.blobsDir}\0${desc.digest}`;
      let job = inflight.get(key);
      const mine = job === undefined;
      if (job === undefined) {
        job = (async (): Promise<boolean> => {
          if (await store.has(desc.digest, desc.size)) return false;
          await withFallback(order, `pull ${name}: ${kind}`, async (ep) => {
            const { body } = await client.openBlob(ep, desc, jobSignal);
            try {
              await store.put(body, desc.digest, desc.size, { onData: (n) => progress(n, 'downloading') });
            } finally {
              body.destroy();
            }
          });
          return true;
        })().finally(() => inflight.delete(key));
        inflight.set(key, job);
      }
      if (!(await job)) {
        progress(desc.size, 'exists');
        return stored(kind, index);
      }
      if (mine) {
        fetched.blobs++;
        fetched.bytes += desc.size;
      }
      progress(desc.size, 'done');
      return stored(kind, index);
    });
    if (config === undefined) throw new Error(`pull ${name}: the config ${manifest.config.digest} was not read`);
    const names = [...(tagName(ref) !== undefined ? [tagName(ref) as string] : []), digestName(ref, top.value.digest)];
    const size = current.bytes.length + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    const rec = await images.add(
      {
        manifestDigest: current.digest,
        mediaType: current.mediaType,
        config: manifest.config,
        layers: manifest.layers,
        size,
        ...(platform !== undefined ? { platform } : {}),
        pulledAt: new Date().toISOString(),
      },
      names,
    );
    return {
      name,
      names: rec.names,
      digest: top.value.digest,
      manifestDigest: current.digest,
      mediaType: current.mediaType,
      id: manifest.config.digest,
      config,
      configDescriptor: manifest.config,
      layers: manifest.layers,
      ...(platform !== undefined ? { platform } : {}),
      size,
      fetched,
    };
  } finally {
    if (opts.client === undefined) client.close();
  }
}

/** parseReference, with the reference named in the error (its own message does not, as docker's). */
function parseForPull(reference: string): ImageReference {
  try {
    return parseReference(reference);
  } catch (e) {
    if (e instanceof ImageError) throw new ImageError(e.code, `pull "${reference}": ${e.message}`, { cause: e });
    throw e;
  }
}

async function storeManifest(store: ContentStore, m: FetchedManifest): Promise<void> {
  if (!(await store.has(m.digest, m.bytes.length))) await store.putBytes(m.bytes, m.digest);
}

/** Tries `fn` on each endpoint in order; the first success wins. Aborts are rethrown at once. */
async function withFallback<T>(endpoints: RegistryEndpoint[], what: string, fn: (ep: RegistryEndpoint) => Promise<T>): Promise<{ value: T; ep: RegistryEndpoint }> {
  const errors: unknown[] = [];
  for (const ep of endpoints) {
    try {
      return { value: await fn(ep), ep };
    } catch (e) {
      if (errorCode(e) === 'Aborted') throw e;
      errors.push(e);
    }
  }
  throw combine(what, errors);
}

/** Priority of codes when endpoints failed differently: the most specific cause wins. */
const PRIORITY: ImageErrorCode[] = ['DigestMismatch', 'Unauthorized', 'InvalidManifest', 'InvalidConfig', 'NotFound', 'Unavailable'];

function combine(what: string, errors: unknown[]): ImageError {
  const codes = errors.map(errorCode);
  const code = PRIORITY.find((c) => codes.includes(c)) ?? 'Unavailable';
  const messages = errors.map((e) => (e instanceof Error ? e.message : String(e)));
  return new ImageError(code, `${what}: ${messages.join('; ')}`, { cause: errors[0] });
}

/**
 * Runs `fn` over `items`, at most `limit` at once. The first failure aborts the others (through
 * the signal each gets), waits for them to settle, and is thrown.
 */
async function runBounded<T>(items: T[], limit: number, outer: AbortSignal | undefined, fn: (item: T, signal: AbortSignal) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined && !ac.signal.aborted) {
      const item = items[next++] as T;
      try {
        await fn(item, ac.signal);
      } catch (e) {
        if (failure === undefined) failure = { e };
        ac.abort(e);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure.e;
  if (outer?.aborted) throw outer.reason instanceof Error ? outer.reason : new ImageError('Aborted', 'pull cancelled');
}
