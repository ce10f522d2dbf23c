// The final status of an exec/attach session, written on the error channel the way upstream's
// remotecommand server does: v4+ sends a metav1.Status as JSON (also on success); v1 sends only
// a failure's message as plain text. Clients (client-go, kubectl, our client.ts) turn
// reason NonZeroExitCode + cause ExitCode into the command's exit code.

import type { ProtocolTraits } from './channels.js';

export interface StatusCause {
  reason?: string;
  message?: string;
}

/** metav1.Status as Go's encoding/json writes it (metadata always present, empty fields omitted). */
export interface RemoteStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
  code?: number;
}

export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE = 'ExitCode';

export function successStatus(): RemoteStatus {
  return { metadata: {}, status: 'Success' };
}

/** A command that ran and exited non-zero (message as containerd words it, after kubelet's prefix). */
export function exitCodeStatus(cmd: readonly string[], exitCode: number): RemoteStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${exitCode}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(exitCode) }] },
  };
}

/** apierrors.NewInternalError: the command could not be run (or attach failed). */
export function internalErrorStatus(message: string): RemoteStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

/** The error-channel payload for `status` in `protocol`, or undefined when nothing is sent (v1 success). */
export function encodeStatus(protocol: ProtocolTraits, status: RemoteStatus): Buffer | undefined {
  if (protocol.statusJson) return Buffer.from(JSON.stringify(status));
  if (status.status === 'Success') return undefined;
  return Buffer.from(status.message ?? 'unknown error');
}

export type SessionOutcome = { exitCode: number } | { error: string };

/**
 * Client side: interprets what arrived on the error channel (all of it, concatenated).
 * Success (or nothing) is exit code 0; NonZeroExitCode gives the code; anything else is an error
 * with the server's message.
 */
export function decodeStatus(protocol: ProtocolTraits, payload: Buffer): SessionOutcome {
  const text = payload.toString('utf8').trim();
  if (text === '') return { exitCode: 0 };
  if (!protocol.statusJson) return { error: text };
  let st: Partial<RemoteStatus>;
  try {
    st = JSON.parse(text) as Partial<RemoteStatus>;
  } catch {
    return { error: `unreadable status from the streaming server: ${text}` };
  }
  if (st.status === 'Success') return { exitCode: 0 };
  if (st.reason === NON_ZERO_EXIT_CODE_REASON) {
    const cause = st.details?.causes?.find((c) => c.reason === EXIT_CODE_CAUSE);
    const code = Number(cause?.message);
    if (cause && Number.isInteger(code)) return { exitCode: code };
    return { error: `${st.message ?? 'non-zero exit code'} (the exit code is missing from the status)` };
  }
  return { error: st.message ?? text };
}
