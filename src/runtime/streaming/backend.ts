// What the streaming server asks of the runtime once a client has connected: run a command,
// attach to a container, or forward one port. The server owns tokens, websockets and framing;
// a backend owns processes. Targets are opaque to the server: the runtime service resolves a
// container or sandbox id into whatever its backend needs when the RPC arrives (so NotFound
// and FailedPrecondition are answered by the RPC, as upstream does), and the server hands that
// target back when the URL is used.

import { EventEmitter } from 'node:events';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { TerminalSize } from './channels.js';

/** Terminal sizes sent by the client; `latest` lets a late subscriber apply the last one. */
export class ResizeEvents extends EventEmitter<{ resize: [TerminalSize] }> {
  latest: TerminalSize | undefined;

  push(size: TerminalSize): void {
    this.latest = size;
    this.emit('resize', size);
  }
}

export interface RemoteCommandIO {
  /** Client input, present when the request asked for stdin; it ends when the client closes stdin. */
  stdin?: Readable;
  /** Present when the request asked for stdout (with a tty, all output goes here). */
  stdout?: Writable;
  /** Present when the request asked for stderr (never with a tty). */
  stderr?: Writable;
  tty: boolean;
  resize: ResizeEvents;
  /**
   * Aborted when the client disconnects or the server closes: the backend must then stop what it
   * started (an exec'd process is killed, as containerd does) and settle promptly.
   */
  signal: AbortSignal;
}

/**
 * Contract: a backend writes output only through the given streams and does not end them; the
 * server flushes them before it writes the final status. A rejection becomes an InternalError
 * status carrying the error's message.
 */
export interface StreamingBackend<ContainerTarget, SandboxTarget> {
  /** Runs `cmd` in the container; resolves with its exit code once it exited and its output was delivered. */
  exec(target: ContainerTarget, cmd: readonly string[], io: RemoteCommandIO): Promise<{ exitCode: number }>;
  /** Attaches to the container's main process; resolves when it exits or the client leaves. */
  attach(target: ContainerTarget, io: RemoteCommandIO): Promise<void>;
  /**
   * Forwards one connection: `stream` carries the client's bytes (readable; it ends when the
   * client goes away) and takes the port's bytes (writable). Resolves when the connection is
   * done; rejects when the port cannot be reached.
   */
  portForward(target: SandboxTarget, port: number, stream: Duplex, signal: AbortSignal): Promise<void>;
}
