// Child-process relays (see perl-helpers.ts) seen from Node: a connected conmon attach socket
// delivering its packets, and a TCP connection made inside a network namespace.

import { spawn, type ChildProcess } from 'node:child_process';
import { spawnInNetns } from '../sandbox/netns.js';
import type { Readable, Writable } from 'node:stream';
import { PERL, perlArgv, SEQPACKET_RELAY, TCP_RELAY } from './perl-helpers.js';

const MAX_STDERR = 4096;

/** Splits the relay's stdout into frames (uint32 BE length + bytes). */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32BE(0);
      if (this.buf.length < 4 + len) break;
      out.push(this.buf.subarray(4, 4 + len));
      this.buf = this.buf.subarray(4 + len);
    }
    return out;
  }
}

/** Keeps the first few KiB of a child's stderr; returns a reader of what arrived so far, trimmed. */
export function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (text.length < MAX_STDERR) text += d;
  });
  return () => text.trim();
}

/** Ends a relay we started, by its pid; a no-op once it has exited. */
export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

/** Resolves when the child has exited and its stdio is closed. */
export function childClosed(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    if (child.stdout === null || child.stdout.readableEnded || child.stdout.destroyed) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

export interface SeqpacketConnection {
  child: ChildProcess;
  /** Bytes to send (as packets); end() half-closes the socket (shutdown SHUT_WR). */
  input: Writable;
  /**
   * Calls `onPacket` for every packet in order; resolves when the socket reached EOF (the
   * relay exited). `onPacket` may return a promise to hold further packets (backpressure).
   */
  pump(onPacket: (packet: Buffer) => void | Promise<void>): Promise<void>;
}

/**
 * Connects to a SOCK_SEQPACKET unix socket through the relay. Resolves once connected; rejects
 * with the reason when the connection fails (no socket: the container is not running).
 */
export function connectSeqpacket(socketPath: string): Promise<SeqpacketConnection> {
  const child = spawn(PERL, perlArgv(SEQPACKET_RELAY, [socketPath]), { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = collectStderr(child);
  const splitter = new FrameSplitter();
  const stdout = child.stdout as Readable;
  const input = child.stdin as Writable;
  // EPIPE when the relay is gone before we stop writing: its exit is what we report.
  input.on('error', () => undefined);
  let pending: Buffer[] = [];
  let listener: ((p: Buffer) => void) | undefined;

  return new Promise((resolve, reject) => {
    let connected = false;
    const onData = (chunk: Buffer): void => {
      for (const frame of splitter.push(chunk)) {
        if (!connected) {
          connected = true; // the zero-length hello
          resolve(conn);
          continue;
        }
        if (listener) listener(frame);
        else pending.push(frame);
      }
    };
    stdout.on('data', onData);
    child.on('error', (err) => reject(new Error(`cannot run ${PERL}: ${err.message}`)));
    child.on('close', (code) => {
      if (!connected) reject(new Error(stderr() || `the attach relay exited with status ${code}`));
    });

    const conn: SeqpacketConnection = {
      child,
      input,
      pump(onPacket) {
        return new Promise((done) => {
          let chain = Promise.resolve();
          const deliver = (p: Buffer): void => {
            const r = onPacket(p);
            if (r instanceof Promise) {
              stdout.pause();
              chain = chain.then(() => r).finally(() => stdout.resume());
            }
          };
          listener = deliver;
          const queued = pending;
          pending = [];
          for (const p of queued) deliver(p);
          void childClosed(child).then(() => chain).then(() => done());
        });
      },
    };
  });
}

/**
 * Connects to 127.0.0.1:<port> (else [::1]:<port>) from inside the network namespace at
 * `netnsPath` (nsenter). The returned child's stdin/stdout are the connection. Connection
 * errors surface as the child's exit (status 2) with the reason from `reason()`.
 */
export function dialInNetns(netnsPath: string, port: number): { child: ChildProcess; reason: () => string } {
  const child = spawnInNetns(netnsPath, [PERL, ...perlArgv(TCP_RELAY, [String(port)])], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  const reason = collectStderr(child);
  return { child, reason };
}
