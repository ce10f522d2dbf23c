// The CRI ImageService over the node's ImageStore (src/runtime/images/image-store.ts): pulls go
// through registries.yaml mirrors with the request's credentials and are unpacked at once;
// removal frees what no other image or container uses.

import { CriError, GrpcStatus } from '../../cri/errors.js';
import type { AuthConfig, Image, ImageFsInfoResponse, ImageSpec, Input } from '../../cri/types.js';
import { imageId, splitNames, type ResolvedImage } from '../images/image-store.js';
import type { RegistryCredentials } from '../images/registries-config.js';
import { ImageError, type ImageErrorCode } from '../images/registry-errors.js';
import type { RuntimeContext } from './context.js';
import { nowNs } from './state.js';

const CODES: Record<ImageErrorCode, GrpcStatus> = {
  InvalidReference: GrpcStatus.INVALID_ARGUMENT,
  InvalidConfig: GrpcStatus.INVALID_ARGUMENT,
  NotFound: GrpcStatus.NOT_FOUND,
  Unauthorized: GrpcStatus.PERMISSION_DENIED,
  DigestMismatch: GrpcStatus.DATA_LOSS,
  InvalidManifest: GrpcStatus.FAILED_PRECONDITION,
  Unavailable: GrpcStatus.UNAVAILABLE,
  Aborted: GrpcStatus.CANCELLED,
};

/** An image-path error as the gRPC status it stands for. */
export function imageCriError(err: unknown): unknown {
  return err instanceof ImageError ? new CriError(CODES[err.code], err.message, undefined, { cause: err }) : err;
}

function credentials(auth: AuthConfig | null): RegistryCredentials | undefined {
  if (!auth) return undefined;
  const c: RegistryCredentials = {};
  if (auth.username) c.username = auth.username;
  if (auth.password) c.password = auth.password;
  if (auth.auth) c.auth = auth.auth;
  if (auth.identity_token) c.identityToken = auth.identity_token;
  if (auth.registry_token) c.registryToken = auth.registry_token;
  return Object.keys(c).length > 0 ? c : undefined;
}

function requireImage(spec: ImageSpec | null, rpc: string): string {
  const ref = spec?.image ?? '';
  if (!ref) throw CriError.invalidArgument(`${rpc}: image spec is empty`);
  return ref;
}

export async function pull(ctx: RuntimeContext, spec: ImageSpec | null, auth: AuthConfig | null, signal: AbortSignal): Promise<string> {
  const ref = requireImage(spec, 'PullImage');
  try {
    const { pulled } = await ctx.images.pull(ref, { registries: ctx.registries, auth: credentials(auth), signal });
    return pulled.id;
  } catch (err) {
    throw imageCriError(err);
  }
}

function imageMessage(img: ResolvedImage): Input<Image> {
  const r = img.record;
  const { tags, digests } = splitNames(r);
  const out: Input<Image> = {
    id: imageId(r),
    repo_tags: tags,
    repo_digests: digests,
    size: r.size,
    spec: { image: imageId(r) },
  };
  // CRI: uid when the image's user is numeric (the part before any ":group"), else username.
  const user = (img.config.config?.User ?? '').split(':')[0] ?? '';
  if (/^\d+$/.test(user)) out.uid = { value: Number(user) };
  else if (user !== '') out.username = user;
  return out;
}

export async function listImages(ctx: RuntimeContext, filter: ImageSpec | null | undefined): Promise<Input<Image>[]> {
  if (filter?.image) {
    const one = await ctx.images.find(filter.image);
    return one ? [imageMessage(one)] : [];
  }
  const out: Input<Image>[] = [];
  for (const record of await ctx.images.records.list()) out.push(imageMessage({ record, config: await ctx.images.config(record) }));
  return out;
}

export async function imageStatus(ctx: RuntimeContext, spec: ImageSpec | null, verbose: boolean): Promise<{ image: Input<Image> | null; info: Record<string, string> }> {
  const img = await ctx.images.find(requireImage(spec, 'ImageStatus'));
  // CRI: an absent image is a nil image, not an error.
  if (!img) return { image: null, info: {} };
  const info: Record<string, string> = {};
  if (verbose) {
    info.info = JSON.stringify({
      imageSpec: img.config,
      manifestDigest: img.record.manifestDigest,
      mediaType: img.record.mediaType,
      pulledAt: img.record.pulledAt,
      layers: img.record.layers,
    });
  }
  return { image: imageMessage(img), info };
}

/** Removes the image with every name it has (containerd's behaviour); absent images are fine. */
export async function removeImage(ctx: RuntimeContext, spec: ImageSpec | null): Promise<void> {
  const img = await ctx.images.records.get(requireImage(spec, 'RemoveImage'));
  if (img) await ctx.images.remove(img);
}

/**
 * The image filesystem: the snapshots directory, with the usage of the snapshots and the content
 * store (bytes allocated, inodes) summed from their records, as containerd sums its snapshotter's
 * cached usage: kubelet polls this every ~10 s, and walking every file of every image each time
 * cost seconds of CPU.
 */
export async function imageFsInfo(ctx: RuntimeContext): Promise<Input<ImageFsInfoResponse>> {
  const ts = nowNs();
  const used = await ctx.images.usage();
  return {
    image_filesystems: [{ timestamp: ts, fs_id: { mountpoint: ctx.images.snapshots.dir }, used_bytes: { value: used.bytes }, inodes_used: { value: used.inodes } }],
    container_filesystems: [],
  };
}
