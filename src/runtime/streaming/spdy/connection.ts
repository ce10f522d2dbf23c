// A SPDY/3.1 connection over any Duplex (the socket of an upgraded HTTP request), usable as
// server (accepts the client's odd-numbered streams, opens even ones) or client.
//
// Ordering: header blocks share one zlib context per direction, so frames are encoded and
// written through one ordered queue, and received frames are handled one after another.
//
// Flow control (send windows, credit, the paused-socket fallback for peers that ignore windows)
// is flow.ts; this file owns framing, ordering, stream lifecycle, PING, GOAWAY and the socket.
//
// Failure: a malformed frame or header block ends the connection with GOAWAY(PROTOCOL_ERROR);
// the reason is what `closed` resolves with. Nothing is thrown at the socket's event loop.

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { ANNOUNCE_FLOW_CONTROL, FlowControl } from './flow.js';
import { encodeFrame, FLAG_FIN, FLAG_UNIDIRECTIONAL, FrameParser, GoAwayStatus, RstStatus, SpdyProtocolError, type Frame } from './frames.js';
import { HeaderCompressor, HeaderDecompressor, normalizeHeaders, type HeaderInput, type SpdyHeaders } from './headers.js';
import { SpdyStream, type StreamHost } from './stream.js';

/** Largest data frame this side sends. */
const MAX_DATA_CHUNK = 32 * 1024;
/** How long a graceful close waits for the peer to hang up before dropping the socket. */
const CLOSE_GRACE_MS = 5000;

export interface SpdyConnectionOptions {
  /** Server side: accepts odd stream ids, opens even ones. */
  server: boolean;
  /** Bytes already read from the socket after the HTTP upgrade. */
  head?: Buffer;
  /** Drop the connection after this long without a frame either way (0 = never). */
  idleTimeoutMs?: number;
}

type OutFrame = Exclude<Frame, { type: 'unknown' }>;

export class SpdyConnection extends EventEmitter<{ stream: [SpdyStream]; goaway: [number] }> implements StreamHost {
  /** Resolves when the socket is closed: undefined for a clean end, else the reason. */
  readonly closed: Promise<Error | undefined>;
  private resolveClosed!: (err: Error | undefined) => void;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private outChain: Promise<void> = Promise.resolve();
  private inChain: Promise<void> = Promise.resolve();
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private readonly pings = new Map<number, () => void>();
  private readonly openWaiters = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void }>();
  private readonly flow = new FlowControl(
    {
      sendWindowUpdate: (streamId, delta) => void this.enqueue(() => encodeFrame({ type: 'window_update', streamId, delta })),
      pauseInput: () => this.socket.pause(),
      resumeInput: () => {
        if (!this.done) this.socket.resume();
      },
    },
    this.streams,
  );
  private goingAway = false;
  private peerGoneAway = false;
  private done = false;
  private peerEnded = false;
  private failure: Error | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly opts: SpdyConnectionOptions,
  ) {
    super();
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.nextStreamId = opts.server ? 2 : 1;
    this.nextPingId = opts.server ? 2 : 1;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    // Frames received before the hang-up are still being handled (header blocks decompress
    // asynchronously): the end takes effect after them, or their data would be lost.
    socket.on('end', () => this.afterReceived(() => this.onPeerEnd()));
    // A write racing the peer's hang-up (EPIPE, ECONNRESET) after it said goodbye is no failure.
    socket.on('error', (err: Error) => {
      const reason = this.peerEnded || this.goingAway || this.peerGoneAway ? undefined : err;
      this.afterReceived(() => this.teardown(reason));
    });
    socket.on('close', () => this.afterReceived(() => this.teardown(undefined)));
    this.touch();
    // Tells a peer like us that this side does flow control (spdystream ignores it).
    this.enqueue(() => encodeFrame({ type: 'settings', flags: 0, settings: [...ANNOUNCE_FLOW_CONTROL] }));
    if (opts.head && opts.head.length > 0) this.onBytes(opts.head);
  }

  get isOpen(): boolean {
    return !this.done && !this.goingAway && !this.peerGoneAway;
  }

  // ---- public API ----

  /**
   * Opens a stream and resolves once the peer accepted it (SYN_REPLY). Rejects when the peer
   * resets it, the connection ends first, or `timeoutMs` passes.
   */
  openStream(headers: HeaderInput, opts: { fin?: boolean; timeoutMs?: number } = {}): Promise<SpdyStream> {
    if (!this.isOpen) return Promise.reject(new Error(`cannot open a SPDY stream: the connection is ${this.done ? 'closed' : 'going away'}`));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, Object.fromEntries(normalizeHeaders(headers)), this.flow.initialWindow);
    if (opts.fin) stream.localFinished = true;
    this.streams.set(id, stream);
    const accepted = new Promise<SpdyStream>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          this.openWaiters.delete(id);
          stream.reset();
          reject(new Error(`timed out after ${opts.timeoutMs} ms waiting for the peer to accept SPDY stream ${id}`));
        }, opts.timeoutMs);
        timer.unref();
      }
      const done = (): void => clearTimeout(timer);
      this.openWaiters.set(id, { resolve: (s) => (done(), resolve(s)), reject: (e) => (done(), reject(e)) });
    });
    this.enqueue(async () =>
      encodeFrame({ type: 'syn_stream', streamId: id, associatedTo: 0, priority: 0, slot: 0, flags: opts.fin ? FLAG_FIN : 0, block: await this.compressor.compress(headers) }),
    );
    return accepted;
  }

  /** Sends a PING and resolves when the peer echoes it (rejects if the connection ends first). */
  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 2) % 0x100000000;
    return new Promise((resolve, reject) => {
      if (this.done) return reject(new Error('the SPDY connection is closed'));
      this.pings.set(id, resolve);
      this.enqueue(() => encodeFrame({ type: 'ping', id }));
      void this.closed.then(() => this.pings.has(id) && reject(new Error('the SPDY connection closed before the PING was answered')));
    });
  }

  /**
   * Graceful close: GOAWAY, then the socket is ended once everything queued is written, and
   * dropped if the peer has not hung up within a grace period. Resolves with `closed`.
   */
  close(): Promise<Error | undefined> {
    if (!this.done && !this.goingAway) {
      this.goingAway = true;
      this.enqueue(() => encodeFrame({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.OK }));
      void this.outChain.then(() => {
        if (this.done) return;
        if (this.socket.writable) this.socket.end();
        this.destroyAfterGrace();
      });
    }
    return this.closed;
  }

  /** Drops the connection at once. */
  destroy(err?: Error): void {
    if (err) this.failure ??= err;
    this.socket.destroy();
  }

  // ---- StreamHost ----

  async writeData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let off = 0;
    do {
      let n = Math.min(data.length - off, MAX_DATA_CHUNK);
      if (n > 0 && this.flow.enforced) {
        if (!(await this.flow.waitForWindow(stream))) return;
        n = this.flow.sendable(stream, n);
      }
      if (this.done || stream.resetStatus !== undefined) return;
      const piece = data.subarray(off, off + n);
      off += n;
      this.flow.consume(stream, n);
      const flags = fin && off >= data.length ? FLAG_FIN : 0;
      await this.enqueue(() => encodeFrame({ type: 'data', streamId: stream.id, flags, data: piece }));
    } while (off < data.length);
  }

  sendReply(stream: SpdyStream, headers: HeaderInput, fin: boolean): void {
    this.enqueue(async () => encodeFrame({ type: 'syn_reply', streamId: stream.id, flags: fin ? FLAG_FIN : 0, block: await this.compressor.compress(headers) }));
  }

  sendReset(stream: SpdyStream, status: number): void {
    this.resetStreamId(stream.id, status);
  }

  readResumed(stream: SpdyStream): void {
    this.flow.readResumed(stream);
  }

  release(stream: SpdyStream): void {
    this.streams.delete(stream.id);
    this.flow.release(stream);
  }

  // ---- internals ----

  /** RST_STREAM for `id`, which need not be a stream we keep (refused, invalid). */
  private resetStreamId(id: number, status: number): void {
    this.enqueue(() => encodeFrame({ type: 'rst_stream', streamId: id, status }));
  }

  private touch(): void {
    const ms = this.opts.idleTimeoutMs ?? 0;
    if (ms <= 0 || this.done) return;
    // Called per frame: restart the one timer rather than make a new one.
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.destroy(new Error(`the SPDY connection was idle for ${ms} ms`)), ms).unref();
  }

  /** Queues a frame; resolves once the socket took it (after 'drain' when its buffer was full) or it was dropped after the end. */
  private enqueue(build: () => Buffer | Promise<Buffer>): Promise<void> {
    const job = this.outChain.then(async () => {
      if (this.done) return;
      const buf = await build();
      if (this.done || !this.socket.writable) return;
      this.touch();
      if (!this.socket.write(buf)) await new Promise<void>((resolve) => {
        const go = (): void => {
          this.socket.off('drain', go);
          this.socket.off('close', go);
          resolve();
        };
        this.socket.on('drain', go);
        this.socket.on('close', go);
      });
    });
    this.outChain = job.catch((err: unknown) => this.fail(err));
    return this.outChain;
  }

  private onBytes(chunk: Buffer): void {
    if (this.done) return;
    this.touch();
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    for (const frame of frames) {
      this.inChain = this.inChain.then(() => (this.done ? undefined : this.handle(frame))).catch((err: unknown) => this.fail(err));
    }
  }

  private afterReceived(fn: () => void): void {
    this.inChain = this.inChain.then(fn, fn);
  }

  private async handle(frame: Frame): Promise<void> {
    switch (frame.type) {
      case 'data':
        return this.onData(frame.streamId, frame.flags, frame.data);
      case 'syn_stream':
        return this.onSynStream(frame.streamId, frame.flags, await this.decompressor.decompress(frame.block));
      case 'syn_reply': {
        const headers = await this.decompressor.decompress(frame.block);
        const stream = this.streams.get(frame.streamId);
        if (!stream || stream.replied || !this.isOurs(frame.streamId)) return;
        stream.replied = true;
        stream.replyHeaders = headers;
        this.settleOpen(stream.id, stream);
        if (frame.flags & FLAG_FIN) stream.remoteFinish();
        return;
      }
      case 'headers': {
        const headers = await this.decompressor.decompress(frame.block);
        const stream = this.streams.get(frame.streamId);
        if (!stream) return;
        stream.emit('headers', headers);
        if (frame.flags & FLAG_FIN) stream.remoteFinish();
        return;
      }
      case 'rst_stream': {
        const stream = this.streams.get(frame.streamId);
        if (!stream) return;
        this.settleOpen(stream.id, new Error(`the peer refused SPDY stream ${stream.id} (RST_STREAM status ${frame.status})`));
        stream.remoteReset(frame.status);
        return;
      }
      case 'settings':
        return this.flow.onSettings(frame.settings);
      case 'window_update':
        return this.flow.onWindowUpdate(frame.streamId, frame.delta);
      case 'ping':
        if ((frame.id & 1) !== (this.nextPingId & 1)) {
          this.enqueue(() => encodeFrame({ type: 'ping', id: frame.id }));
        } else {
          this.pings.get(frame.id)?.();
          this.pings.delete(frame.id);
        }
        return;
      case 'goaway':
        this.peerGoneAway = true;
        // Streams we opened that the peer never processed will not be answered.
        for (const s of this.streams.values()) {
          if (this.isOurs(s.id) && s.id > frame.lastGoodStreamId && !s.replied) {
            this.settleOpen(s.id, new Error(`the peer went away before accepting SPDY stream ${s.id}`));
            s.remoteReset(RstStatus.REFUSED_STREAM);
          }
        }
        this.emit('goaway', frame.status);
        return;
      case 'unknown':
        return; // the spec: ignore unknown control frames
    }
  }

  /** Settles openStream()'s promise for stream `id` (accepted or refused), if it still waits. */
  private settleOpen(id: number, outcome: SpdyStream | Error): void {
    const waiter = this.openWaiters.get(id);
    this.openWaiters.delete(id);
    if (outcome instanceof Error) waiter?.reject(outcome);
    else waiter?.resolve(outcome);
  }

  private isOurs(id: number): boolean {
    return (id & 1) === (this.opts.server ? 0 : 1);
  }

  private onSynStream(id: number, flags: number, headers: SpdyHeaders): void {
    if (this.isOurs(id) || id <= this.lastPeerStreamId) {
      this.resetStreamId(id, RstStatus.PROTOCOL_ERROR);
      return;
    }
    this.lastPeerStreamId = id;
    if (this.goingAway || this.listenerCount('stream') === 0) {
      this.resetStreamId(id, RstStatus.REFUSED_STREAM);
      return;
    }
    const stream = new SpdyStream(this, id, headers, this.flow.initialWindow);
    this.streams.set(id, stream);
    if (flags & FLAG_UNIDIRECTIONAL) stream.localFinished = true;
    if (flags & FLAG_FIN) stream.remoteFinish();
    this.emit('stream', stream);
  }

  private onData(id: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(id);
    // Data for a stream that is gone (reset, finished) is what was in flight: ignore it.
    if (!stream || stream.remoteFinished) return;
    if (data.length > 0) this.flow.received(stream, data);
    if (flags & FLAG_FIN) stream.remoteFinish();
  }

  /** The peer gets CLOSE_GRACE_MS to hang up after our end before the socket is dropped. */
  private destroyAfterGrace(): void {
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private onPeerEnd(): void {
    this.peerEnded = true;
    // The peer will send nothing more: every stream's remote side is over.
    for (const s of this.streams.values()) s.remoteFinish();
    if (this.socket.writable) void this.close();
    else this.socket.destroy();
  }

  /** A protocol violation or internal error: GOAWAY with the reason's status, then drop. */
  private fail(reason: unknown): void {
    if (this.done) return;
    const err = reason instanceof Error ? reason : new Error(String(reason));
    this.failure ??= err;
    const status = err instanceof SpdyProtocolError ? GoAwayStatus.PROTOCOL_ERROR : GoAwayStatus.INTERNAL_ERROR;
    const goaway: OutFrame = { type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status };
    if (this.socket.writable) this.socket.end(encodeFrame(goaway));
    this.destroyAfterGrace();
    this.teardown(err);
  }

  private teardown(err: Error | undefined): void {
    if (err) this.failure ??= err;
    if (this.done) return;
    this.done = true;
    clearTimeout(this.idleTimer);
    const gone = new Error(this.failure ? `the SPDY connection failed: ${this.failure.message}` : 'the SPDY connection closed');
    for (const w of this.openWaiters.values()) w.reject(gone);
    this.openWaiters.clear();
    for (const s of [...this.streams.values()]) s.connectionGone();
    this.streams.clear();
    this.flow.close();
    this.compressor.close();
    this.decompressor.close();
    this.resolveClosed(this.failure);
  }
}
