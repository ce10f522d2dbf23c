// An OCI distribution client for pulling: manifests (by tag or digest) and blobs, from one endpoint
// at a time. Choosing among endpoints (mirrors, fallback) is the caller's job (pull.ts).
//
// Contract:
// - fetchManifest returns the exact bytes with their sha256 digest; when asked by digest, or when
//   the registry sent Docker-Content-Digest, a different hash is ImageError('DigestMismatch').
// - openBlob returns the body stream of a 200 answer (redirects followed); verifying its bytes
//   against the digest is the content store's job while it streams (content.ts).
// - Errors are ImageError with a code: 404 → NotFound, refused auth → Unauthorized, 5xx/429 and
//   network failures → Unavailable. Messages name the endpoint, repository and reference.

import type { Readable } from 'node:stream';
import { sha256Digest } from './content.js';
import { MANIFEST_ACCEPT, detectManifestType, type Descriptor } from './oci-image.js';
import { isDigest } from './reference.js';
import { ImageError } from './registry-errors.js';
import { RegistryAuthorizer, pullScope } from './registry-auth.js';
import { HttpTransport, readBody, readErrorText, type HttpResponse } from './registry-http.js';
import type { RegistryEndpoint } from './registries-config.js';

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface RegistryClientOptions {
  transport?: HttpTransport;
  /** Idle timeout of each request; default 30 s. */
  timeoutMs?: number;
}

/** Manifests larger than this are refused (containerd uses the same bound). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export class RegistryClient {
  readonly transport: HttpTransport;
  private readonly auth: RegistryAuthorizer;
  private readonly timeoutMs: number;
  private readonly ownsTransport: boolean;

  constructor(opts: RegistryClientOptions = {}) {
    this.ownsTransport = opts.transport === undefined;
    this.transport = opts.transport ?? new HttpTransport();
    this.auth = new RegistryAuthorizer(this.transport);
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /**
   * GET `<endpoint>/<repository>/<kind>/<ref>` with the challenge flow: authorize up front with
   * what the endpoint asked for before; on 401 learn the challenge and retry once.
   */
  private async get(ep: RegistryEndpoint, kind: 'manifests' | 'blobs', ref: string, headers: Record<string, string>, signal?: AbortSignal): Promise<HttpResponse> {
    const url = new URL(`${ep.url}/${ep.repository}/${kind}/${ref}`);
    const scope = pullScope(ep.repository);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.authorization(ep, scope, signal);
      const res = await this.transport.request({
        url,
        headers: { ...headers, ...(authorization !== undefined ? { authorization } : {}) },
        timeoutMs: this.timeoutMs,
        ...(ep.tls ? { tls: ep.tls } : {}),
        ...(signal ? { signal } : {}),
      });
      if (res.status === 200) return res;
      if (res.status === 401 && attempt === 0 && (await this.auth.challenged(ep, scope, res, signal))) {
        res.body.resume();
        continue;
      }
      throw await statusError(res, `${kind === 'manifests' ? 'manifest' : 'blob'} ${ep.repository}:${ref} at ${ep.url}`);
    }
  }

  async fetchManifest(ep: RegistryEndpoint, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.get(ep, 'manifests', reference, { accept: MANIFEST_ACCEPT }, signal);
    const what = `manifest ${ep.repository}:${reference} at ${ep.url}`;
    const bytes = await readBody(res, MAX_MANIFEST_BYTES, what);
    const digest = sha256Digest(bytes);
    if (isDigest(reference) && digest !== reference) {
      throw new ImageError('DigestMismatch', `${what}: content hashes to ${digest}, not the digest asked for`);
    }
    const sent = headerValue(res.headers['docker-content-digest']);
    if (sent !== undefined && sent.startsWith('sha256:') && sent !== digest) {
      throw new ImageError('DigestMismatch', `${what}: content hashes to ${digest} but the registry says ${sent}`);
    }
    const mediaType = detectManifestType(bytes, headerValue(res.headers['content-type']));
    return { digest, mediaType, bytes };
  }

  /** Opens a blob download. `size` is the Content-Length when the registry sent one. */
  async openBlob(ep: RegistryEndpoint, desc: Pick<Descriptor, 'digest'>, signal?: AbortSignal): Promise<{ body: Readable; size: number | undefined }> {
    const res = await this.get(ep, 'blobs', desc.digest, {}, signal);
    const len = headerValue(res.headers['content-length']);
    return { body: res.body, size: len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined };
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function statusError(res: HttpResponse, what: string): Promise<ImageError> {
  const why = await readErrorText(res);
  const detail = `${res.status}${why ? ` ${why}` : ''}`;
  if (res.status === 404) return new ImageError('NotFound', `${what}: not found (${detail})`);
  if (res.status === 401 || res.status === 403) return new ImageError('Unauthorized', `${what}: access denied (${detail}); check the credentials for this registry`);
  return new ImageError('Unavailable', `${what}: registry answered ${detail}`);
}
