// Errors of the image pull path (references, registries, content store), each with a stable code
// so the CRI layer maps them to a gRPC status without parsing messages:
//
//   InvalidReference  → InvalidArgument   the image name cannot be parsed
//   InvalidConfig     → InvalidArgument   registries.yaml is malformed
//   NotFound          → NotFound          no endpoint has the manifest / blob, or no linux/amd64 entry
//   Unauthorized      → PermissionDenied  the registry refused the credentials (or asked for some)
//   DigestMismatch    → DataLoss          content did not hash to, or was not the size of, its digest
//   InvalidManifest   → FailedPrecondition the registry answered with something we cannot use
//   Unavailable       → Unavailable       network errors, timeouts, 5xx answers
//   Aborted           → Cancelled         the caller's AbortSignal fired

export type ImageErrorCode =
  | 'InvalidReference'
  | 'InvalidConfig'
  | 'NotFound'
  | 'Unauthorized'
  | 'DigestMismatch'
  | 'InvalidManifest'
  | 'Unavailable'
  | 'Aborted';

export class ImageError extends Error {
  readonly code: ImageErrorCode;
  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
    this.code = code;
  }
}

/** The code of any thrown value: ImageError's own, Aborted for an AbortError, otherwise Unavailable. */
export function errorCode(e: unknown): ImageErrorCode {
  if (e instanceof ImageError) return e.code;
  if (e instanceof Error && e.name === 'AbortError') return 'Aborted';
  return 'Unavailable';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
