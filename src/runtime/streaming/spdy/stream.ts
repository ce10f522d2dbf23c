// One SPDY stream as a Node Duplex. The readable side carries what the peer sends (it ends when
// the peer half-closes with FLAG_FIN, resets the stream, or the connection ends: readers see
// EOF in every case, as Go's spdystream gives them); the writable side sends data frames and
// end() half-closes with FLAG_FIN. The connection (connection.ts) does the framing and ordering,
// and flow control (flow.ts), through the StreamHost it hands each stream.
//
// Writes after the stream was reset or the connection closed are dropped, not errors: a backend
// still writing output when the client leaves is the normal end of a session, as the websocket
// path treats it.

import { Duplex } from 'node:stream';
import { DEFAULT_WINDOW, RstStatus } from './frames.js';
import type { HeaderInput, SpdyHeaders } from './headers.js';

/** What a stream needs from its connection. */
export interface StreamHost {
  /** Sends `data` (split and paced by flow control); `fin` half-closes after it. Never rejects. */
  writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void>;
  sendReply(stream: SpdyStream, headers: HeaderInput, fin: boolean): void;
  sendReset(stream: SpdyStream, status: number): void;
  /** The reader of a blocked stream wants more: grant the window it consumed, resume a paused socket. */
  readResumed(stream: SpdyStream): void;
  /** The stream is done in both directions: forget it. */
  release(stream: SpdyStream): void;
}

export class SpdyStream extends Duplex {
  /** Set once we have sent FLAG_FIN (or may not send: unidirectional, reset). */
  localFinished = false;
  /** Set once the peer has sent FLAG_FIN (or reset the stream, or the connection ended). */
  remoteFinished = false;
  /** RST_STREAM status, when the stream was reset by either side. */
  resetStatus: number | undefined;
  /** Set when the SYN_REPLY was sent (incoming) or received (outgoing). */
  replied = false;
  /** Bytes we may still send before the peer grants more (enforced only for peers that do flow control). */
  sendWindow: number;
  /** Bytes received and handed to the reader that the peer has not been credited for. */
  unacked = 0;
  /** Set while the reader is behind: credit is withheld (and, for a peer that ignores windows, the socket paused) until it reads. */
  blocked = false;
  /** Headers of the reply (outgoing streams) once it arrived. */
  replyHeaders: SpdyHeaders = {};

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
    /** The SYN_STREAM headers (sent or received). */
    readonly headers: SpdyHeaders,
    initialWindow = DEFAULT_WINDOW,
  ) {
    super({ allowHalfOpen: true });
    this.sendWindow = initialWindow;
  }

  /** Incoming streams: accepts the stream (SYN_REPLY). */
  accept(headers: HeaderInput = {}): void {
    if (this.replied || this.resetStatus !== undefined) return;
    this.replied = true;
    this.host.sendReply(this, headers, false);
  }

  /** Ends the stream in both directions at once (RST_STREAM, CANCEL unless told otherwise). */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.resetStatus !== undefined) return;
    this.resetStatus = status;
    this.host.sendReset(this, status);
    this.finishBoth();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.localFinished) return cb();
    void this.host.writeData(this, chunk, false).then(() => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFinished) return cb();
    this.localFinished = true;
    void this.host.writeData(this, Buffer.alloc(0), true).then(() => {
      this.maybeRelease();
      cb();
    });
  }

  override _read(): void {
    if (this.blocked) this.host.readResumed(this);
  }

  // ---- called by the connection ----

  /** Delivers peer data; returns false when the reader is behind (flow control then holds back). */
  deliver(data: Buffer): boolean {
    if (this.remoteFinished) return true;
    return this.push(data);
  }

  /** The peer half-closed (FIN), or can no longer send (connection gone). */
  remoteFinish(): void {
    if (this.remoteFinished) return;
    this.remoteFinished = true;
    this.push(null);
    this.maybeRelease();
  }

  /** The peer reset the stream: both directions end; pending output is dropped. */
  remoteReset(status: number): void {
    if (this.resetStatus !== undefined) return;
    this.resetStatus = status;
    this.finishBoth();
    this.emit('reset', status);
  }

  /** The connection is gone: reads end, writes are dropped. */
  connectionGone(): void {
    this.finishBoth();
  }

  private finishBoth(): void {
    this.localFinished = true;
    this.remoteFinish();
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (this.localFinished && this.remoteFinished) this.host.release(this);
  }
}
