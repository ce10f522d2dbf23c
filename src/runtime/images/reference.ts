// Image references, parsed and normalised as docker and containerd do (distribution's reference
// grammar plus docker's normalisation):
//
//   busybox                      → docker.io/library/busybox:latest
//   user/app                     → docker.io/user/app:latest
//   index.docker.io/x            → docker.io/library/x:latest
//   localhost:5000/x             → localhost:5000/x:latest
//   name:tag@sha256:<hex>        → both kept: the digest is what is fetched, the tag names it
//   name@sha256:<hex>            → no tag is added
//
// The first path component is a registry host only if it contains '.' or ':', is `localhost`, or
// has an uppercase letter (docker's rule); otherwise the image is on docker.io.

import { ImageError } from './registry-errors.js';

export interface ImageReference {
  /** Registry host[:port], e.g. `docker.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly domain: string;
  /** Repository path within the registry, e.g. `library/busybox`. */
  readonly path: string;
  /** `domain/path`: the repository's full name. */
  readonly name: string;
  /** Set unless the reference named only a digest; `latest` when it named neither. */
  readonly tag?: string;
  /** `sha256:<64 lowercase hex>` when the reference pinned one. */
  readonly digest?: string;
}

export const DOCKER_DOMAIN = 'docker.io';
const LEGACY_DOCKER_DOMAIN = 'index.docker.io';
const MAX_NAME_LENGTH = 255;

const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:.]+\\])(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

function invalid(why: string): ImageError {
  return new ImageError('InvalidReference', `invalid reference format: ${why}`);
}

/** True for `sha256:<64 lowercase hex>`, the only digest algorithm this runtime stores. */
export function isDigest(s: string): boolean {
  return SHA256_RE.test(s);
}

/**
 * Parses and normalises `input`. Throws ImageError('InvalidReference') with docker's wording
 * (`invalid reference format: repository name must be lowercase`, ...) when it is not valid.
 */
export function parseReference(input: string): ImageReference {
  const s = input.trim();
  if (s === '') throw invalid('repository name must have at least one component');
  if (/^[a-f0-9]{64}$/.test(s)) {
    throw new ImageError('InvalidReference', `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalid(`digest "${digest}" is not valid (expected sha256:<64 hex characters>)`);
    if (!digest.startsWith('sha256:')) throw invalid(`digest algorithm of "${digest}" is not supported (only sha256)`);
    if (!isDigest(digest)) throw invalid(`digest "${digest}" is not valid (sha256 digests have 64 lowercase hex characters)`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) {
      throw invalid(`tag "${tag}" is not valid (up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')`);
    }
  }
  if (rest === '') throw invalid('repository name must have at least one component');

  let domain = DOCKER_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === LEGACY_DOCKER_DOMAIN) domain = DOCKER_DOMAIN;
  if (domain === DOCKER_DOMAIN && !path.includes('/')) path = `library/${path}`;

  if (path.toLowerCase() !== path) throw invalid('repository name must be lowercase');
  if (!DOMAIN_RE.test(domain)) throw invalid(`registry host "${domain}" is not a valid host[:port]`);
  if (!PATH_RE.test(path)) {
    throw invalid(
      `repository name "${path}" is not valid (path components are lowercase letters and digits separated by '.', '_', '__' or '-', joined by '/')`);
  }
  const name = `${domain}/${path}`;
  if (name.length > MAX_NAME_LENGTH) throw invalid(`repository name must not be more than ${MAX_NAME_LENGTH} characters`);

  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The full normalised string: `name[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** What to ask the registry's manifests endpoint for: the digest when pinned, else the tag. */
export function manifestReference(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** `name:tag`, the name an image is listed under (repoTags); undefined for digest-only references. */
export function tagName(ref: ImageReference): string | undefined {
  return ref.tag === undefined ? undefined : `${ref.name}:${ref.tag}`;
}

/** `name@digest` (repoDigests). */
export function digestName(ref: ImageReference, digest: string): string {
  return `${ref.name}@${digest}`;
}

/** Docker's short display form: `busybox:latest`, `user/app:1`, `localhost:5000/x:latest`. */
export function familiarName(ref: ImageReference): string {
  let short = ref.name;
  if (ref.domain === DOCKER_DOMAIN) {
    short = ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice('library/'.length) : ref.path;
  }
  return `${short}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
