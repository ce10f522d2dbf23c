// CriError: a CRI failure carrying its gRPC status code. Runtime handlers throw it to choose the
// status the client sees; CriClient rejects with it, so callers test `err.code` instead of
// parsing text. The message is the gRPC status details, unchanged in both directions (so a
// CriError thrown by a handler arrives at the client with the same code and message).

import { status } from '@grpc/grpc-js';

export { status as GrpcStatus };

export class CriError extends Error {
  override readonly name = 'CriError';

  constructor(
    /** The gRPC status code (`GrpcStatus.NOT_FOUND`, ...). */
    readonly code: status,
    message: string,
    /** The full method name when known (`/runtime.v1.RuntimeService/Version`), for diagnostics. */
    readonly method?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The code's upstream name, e.g. `NOT_FOUND`. */
  get codeName(): string {
    return status[this.code] ?? `CODE_${this.code}`;
  }

  static invalidArgument(message: string): CriError {
    return new CriError(status.INVALID_ARGUMENT, message);
  }
  static notFound(message: string): CriError {
    return new CriError(status.NOT_FOUND, message);
  }
  static alreadyExists(message: string): CriError {
    return new CriError(status.ALREADY_EXISTS, message);
  }
  static failedPrecondition(message: string): CriError {
    return new CriError(status.FAILED_PRECONDITION, message);
  }
  static unimplemented(message: string): CriError {
    return new CriError(status.UNIMPLEMENTED, message);
  }
  static deadlineExceeded(message: string): CriError {
    return new CriError(status.DEADLINE_EXCEEDED, message);
  }
  static internal(message: string): CriError {
    return new CriError(status.INTERNAL, message);
  }
}

/** True for a CriError with the given code (`isCriError(e, GrpcStatus.NOT_FOUND)`). */
export function isCriError(err: unknown, code?: status): err is CriError {
  return err instanceof CriError && (code === undefined || err.code === code);
}

/**
 * The gRPC status an arbitrary thrown value maps to: a CriError keeps its code; a gRPC
 * status-like object (`{ code: number, details: string }`, e.g. a grpc-js ServiceError from a
 * nested call) keeps its code and details; an AbortError is CANCELLED; anything else is
 * UNKNOWN with its message, as gRPC servers report plain errors.
 */
export function toCriError(err: unknown, method?: string): CriError {
  if (err instanceof CriError) return method && !err.method ? new CriError(err.code, err.message, method, { cause: err }) : err;
  if (typeof err === 'object' && err !== null) {
    const e = err as { code?: unknown; details?: unknown; message?: unknown; name?: unknown };
    if (typeof e.code === 'number' && Number.isInteger(e.code) && e.code >= 0 && e.code <= 16) {
      const details = typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : String(err);
      return new CriError(e.code, details, method, { cause: err });
    }
    if (e.name === 'AbortError') return new CriError(status.CANCELLED, String(e.message ?? 'cancelled'), method, { cause: err });
    if (typeof e.message === 'string') return new CriError(status.UNKNOWN, e.message, method, { cause: err });
  }
  return new CriError(status.UNKNOWN, String(err), method, { cause: err });
}
