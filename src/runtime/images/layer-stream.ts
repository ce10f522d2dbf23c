// Layer media types, the layer error type, and the stream plumbing of unpacking: compression
// sniffing, the diffID digester and entry-name checks. unpack.ts applies the entries.
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { ImageError } from './registry-errors.js';

export const LayerMediaType = {
  ociTar: 'application/vnd.oci.image.layer.v1.tar',
  ociTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociNondistributableTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociNondistributableTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociNondistributableTarZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  dockerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignTarGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

const SUPPORTED = new Set<string>([
  LayerMediaType.ociTar, LayerMediaType.ociTarGzip, LayerMediaType.ociNondistributableTar,
  LayerMediaType.ociNondistributableTarGzip, LayerMediaType.dockerTar, LayerMediaType.dockerTarGzip,
  LayerMediaType.dockerForeignTarGzip,
]);

/**
 * `unsupported`: media type or compression we cannot apply; `invalid`: malformed or unsafe layer;
 * `diffid-mismatch`: the uncompressed bytes are not the layer the config names. An ImageError with
 * code InvalidManifest (→ FailedPrecondition) or DigestMismatch (→ DataLoss) for the CRI mapping.
 */
export class LayerUnpackError extends ImageError {
  constructor(readonly reason: 'unsupported' | 'invalid' | 'diffid-mismatch', message: string) {
    super(reason === 'diffid-mismatch' ? 'DigestMismatch' : 'InvalidManifest', message);
    this.name = 'LayerUnpackError';
  }
}

/** Throws LayerUnpackError('unsupported') unless the layer media type can be applied. */
export function checkLayerMediaType(mediaType: string): void {
  if (SUPPORTED.has(mediaType)) return;
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) {
    throw new LayerUnpackError('unsupported', `layer media type ${mediaType} is unsupported: zstd decompression is not available in Node.js 20`);
  }
  throw new LayerUnpackError('unsupported', `layer media type ${JSON.stringify(mediaType)} is not a supported OCI or Docker layer type`);
}

/** Splits the input into its first bytes and a stream of the whole input, for magic sniffing. */
export async function sniff(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < n) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    head = Buffer.concat([head, Buffer.from(r.value)]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      while (!ended) {
        const r = await it.next();
        if (r.done) return;
        // Buffer.from(buffer) would copy every chunk of the layer; only non-Buffers need it.
        yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, stream: Readable.from(all()) };
}

export class Digester extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

/** Normalises a tar entry name to a relative path ('' = the layer root); rejects escapes. */
export function cleanEntryName(name: string): string {
  if (name.startsWith('/')) throw new LayerUnpackError('invalid', `layer entry ${JSON.stringify(name)} has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new LayerUnpackError('invalid', `layer entry ${JSON.stringify(name)} contains '..' and could escape the layer`);
  return parts.join('/');
}

