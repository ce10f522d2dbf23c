// The streaming backend for containers run by OciRuntime (conmon + runc/runsc):
//   exec        conmon --exec --exec-attach (conmon-exec.ts);
//   attach      the container's conmon attach socket, <bundle>/attach (conmon binds it in the
//               bundle through the <socketDir>/<id> symlink), resized through <bundle>/ctl;
//   portForward a TCP connection to 127.0.0.1:<port> made inside the sandbox's network
//               namespace (nsenter + relay), or directly for host-network sandboxes.

import { connect } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ContainerHandle, OciRuntime } from '../oci/runtime.js';
import type { RemoteCommandIO, StreamingBackend } from './backend.js';
import { conmonExec, routePacket, wireResize } from './conmon-exec.js';
import { childClosed, connectSeqpacket, dialInNetns, killChild } from './relay.js';

/** What the runtime service resolves a container id into for Exec and Attach. */
export interface OciContainerTarget {
  runtime: OciRuntime;
  handle: ContainerHandle;
  /** The container was created with CRI `stdin` (conmon keeps a stdin pipe to attach to). */
  stdin: boolean;
  /** The container was created with CRI `tty` (its output is one terminal stream). */
  tty: boolean;
}

/** What the runtime service resolves a sandbox id into for PortForward. */
export interface SandboxTarget {
  /** The pod's network namespace file (/run/skiff/netns/...); undefined for hostNetwork pods. */
  netnsPath?: string;
}

export class OciStreamingBackend implements StreamingBackend<OciContainerTarget, SandboxTarget> {
  exec(target: OciContainerTarget, cmd: readonly string[], io: RemoteCommandIO): Promise<{ exitCode: number }> {
    const { runtime, handle } = target;
    return conmonExec({ conmonPath: runtime.conmonPath, cli: runtime.cli, id: handle.id, bundle: handle.bundle }, cmd, io);
  }

  async attach(target: OciContainerTarget, io: RemoteCommandIO): Promise<void> {
    const { handle } = target;
    let conn;
    try {
      conn = await connectSeqpacket(path.join(handle.bundle, 'attach'));
    } catch (err) {
      throw new Error(`container ${handle.id} cannot be attached to (is it running?): ${(err as Error).message}`);
    }
    const relay = conn.child;
    const onAbort = (): void => killChild(relay);
    io.signal.addEventListener('abort', onAbort);
    if (io.signal.aborted) onAbort();
    const unresize = target.tty ? wireResize(path.join(handle.bundle, 'ctl'), io) : () => undefined;
    try {
      // Input only reaches a container created with stdin; otherwise conmon has nowhere to put it.
      // The end of input half-closes the socket: conmon then closes the container's pipe stdin
      // if it was created with stdin_once (a terminal stays open, as with containerd).
      if (io.stdin && target.stdin) io.stdin.pipe(conn.input);
      else io.stdin?.resume();
      // The container's own tty setting decides the framing, whatever the request said.
      await conn.pump((packet) => routePacket(packet, target.tty, io.stdout, io.stderr));
    } finally {
      unresize();
      io.signal.removeEventListener('abort', onAbort);
      killChild(relay);
      await childClosed(relay);
    }
  }

  portForward(target: SandboxTarget, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
    if (target.netnsPath === undefined) return forwardOnHost(port, stream, signal);
    return forwardInNetns(target.netnsPath, port, stream, signal);
  }
}

async function forwardInNetns(netnsPath: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
  const { child, reason } = dialInNetns(netnsPath, port);
  const onAbort = (): void => killChild(child);
  signal.addEventListener('abort', onAbort);
  if (signal.aborted) onAbort();
  try {
    stream.pipe(child.stdin as NodeJS.WritableStream);
    child.stdout?.pipe(stream, { end: false });
    const { code, signal: sig } = await childClosed(child);
    if (code === 2) throw new Error(`failed to connect to localhost:${port} inside the pod network namespace ${netnsPath}: ${reason() || 'no reason given'}`);
    if (code !== 0 && !signal.aborted) throw new Error(`port ${port} forwarding ended abnormally (${sig ?? `exit status ${code}`}): ${reason()}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.unpipe();
    killChild(child);
  }
}

function forwardOnHost(port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let connected = false;
    const onAbort = (): void => {
      sock.destroy();
    };
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    sock.once('connect', () => {
      connected = true;
      stream.pipe(sock);
      sock.pipe(stream, { end: false });
    });
    sock.on('error', (err) => {
      if (!connected) reject(new Error(`failed to connect to localhost:${port} in the host network: ${err.message}`));
    });
    sock.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      stream.unpipe(sock);
      resolve();
    });
  });
}
