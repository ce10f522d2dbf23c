// OCI image-spec and Docker schema 2 documents: media types, descriptors, manifests, indexes and
// the image config, with parsers that validate what the rest of the runtime relies on. Docker's
// media types are accepted wherever the OCI ones are (they are structurally the same documents).

import { ImageError } from './registry-errors.js';
import { isDigest } from './reference.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;

/** The Accept header of a manifest request: everything this runtime can pull. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(', ');

export function isIndexMediaType(t: string): boolean {
  return t === MediaType.ociIndex || t === MediaType.dockerManifestList;
}
export function isManifestMediaType(t: string): boolean {
  return t === MediaType.ociManifest || t === MediaType.dockerManifest;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The runtime part of an image config (`config` in the JSON), as OCI and Docker write it. */
export interface ImageRuntimeConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ImageRuntimeConfig;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

function bad(what: string, why: string): ImageError {
  return new ImageError('InvalidManifest', `${what}: ${why}`);
}

function parseJson(bytes: Buffer | string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw bad(what, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(what, 'not a JSON object');
  return v as Record<string, unknown>;
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (typeof v !== 'object' || v === null) throw bad(what, 'descriptor is not an object');
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw bad(what, 'descriptor has no mediaType');
  if (typeof d.digest !== 'string' || !isDigest(d.digest)) throw bad(what, `descriptor digest ${JSON.stringify(d.digest)} is not sha256:<64 hex>`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(what, `descriptor ${d.digest} has no valid size`);
  return d as unknown as Descriptor;
}

/**
 * Which kind of document `bytes` is: its own `mediaType` field, else the Content-Type the registry
 * sent, else its shape (`manifests` → index, `config` → manifest), as containerd decides.
 */
export function detectManifestType(bytes: Buffer, contentType: string | undefined): string {
  const doc = parseJson(bytes, 'manifest');
  if (typeof doc.mediaType === 'string' && doc.mediaType !== '') return doc.mediaType;
  const ct = contentType?.split(';')[0]?.trim();
  if (ct !== undefined && (isIndexMediaType(ct) || isManifestMediaType(ct))) return ct;
  if (doc.schemaVersion === 1) return MediaType.dockerSchema1;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (typeof doc.config === 'object') return MediaType.ociManifest;
  return ct ?? 'unknown';
}

export function parseIndex(bytes: Buffer, mediaType: string, what = 'image index'): ImageIndex {
  const doc = parseJson(bytes, what);
  if (doc.schemaVersion !== 2) throw bad(what, `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, expected 2`);
  if (!Array.isArray(doc.manifests)) throw bad(what, 'has no manifests list');
  const manifests = doc.manifests.map((m, i) => parseDescriptor(m, `${what} entry ${i}`));
  return { ...(doc as object), schemaVersion: 2, mediaType, manifests } as ImageIndex;
}

export function parseManifest(bytes: Buffer, mediaType: string, what = 'image manifest'): ImageManifest {
  const doc = parseJson(bytes, what);
  if (doc.schemaVersion !== 2) throw bad(what, `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, expected 2`);
  const config = parseDescriptor(doc.config, `${what} config`);
  if (!Array.isArray(doc.layers)) throw bad(what, 'has no layers list');
  const layers = doc.layers.map((l, i) => parseDescriptor(l, `${what} layer ${i}`));
  return { ...(doc as object), schemaVersion: 2, mediaType, config, layers } as ImageManifest;
}

/** Parses an image config and checks that it has one diff_id per layer of its manifest. */
export function parseImageConfig(bytes: Buffer, layerCount: number, what = 'image config'): ImageConfig {
  const doc = parseJson(bytes, what);
  if (typeof doc.architecture !== 'string' || typeof doc.os !== 'string') throw bad(what, 'has no architecture/os');
  const rootfs = doc.rootfs as Record<string, unknown> | undefined;
  if (typeof rootfs !== 'object' || rootfs === null || !Array.isArray(rootfs.diff_ids)) throw bad(what, 'has no rootfs.diff_ids');
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) throw bad(what, `rootfs.diff_ids has ${JSON.stringify(d)}, not a sha256 digest`);
  if (rootfs.diff_ids.length !== layerCount) {
    throw bad(what, `has ${rootfs.diff_ids.length} rootfs.diff_ids but the manifest has ${layerCount} layers`);
  }
  if (doc.config !== undefined && doc.config !== null && typeof doc.config !== 'object') throw bad(what, '`config` is not an object');
  return doc as unknown as ImageConfig;
}

export interface PlatformWanted {
  os: string;
  architecture: string;
  variant?: string;
}

export const DEFAULT_PLATFORM: PlatformWanted = { os: 'linux', architecture: 'amd64' };

/**
 * The entry of an index for `want`: os and architecture must match; among those, an entry whose
 * variant equals want.variant (none when unset; `v1` counts as none for amd64) is preferred,
 * then the first one. Attestation entries (`unknown/unknown`) never match.
 */
export function selectPlatform(index: ImageIndex, want: PlatformWanted = DEFAULT_PLATFORM): Descriptor | undefined {
  const candidates = index.manifests.filter(
    (m) => (isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType)) && m.platform?.os === want.os && m.platform.architecture === want.architecture,
  );
  const norm = (v: string | undefined): string => (v === undefined || v === '' || (want.architecture === 'amd64' && v === 'v1') ? '' : v);
  return candidates.find((m) => norm(m.platform?.variant) === norm(want.variant)) ?? candidates[0];
}

export function platformString(p: Platform | PlatformWanted | undefined): string {
  if (p === undefined) return 'unknown';
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}
