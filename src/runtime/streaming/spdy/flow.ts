// Flow control of one SPDY/3.1 connection (draft 3.1, section 2.6.8): how much each stream and
// the session may still send, and how much credit this side grants the peer for what its
// readers consumed.
//
// Each stream (and, in 3.1, the session) starts with a 64 KiB send window. Go's spdystream —
// the SPDY of kubelet, containerd and CRI-O — neither sends WINDOW_UPDATE nor honours it, so a
// sender that waited for credit would stall after 64 KiB. The windows are therefore counted
// always but enforced only once the peer has shown it speaks flow control: it sent SETTINGS or
// WINDOW_UPDATE, as this implementation does at start (ANNOUNCE_FLOW_CONTROL).
//
// As receiver this side credits what was handed to a reader, in batches of half a window. When a
// reader falls behind, credit is withheld until it reads again; for a peer that ignores windows
// that is no brake, so the socket is paused instead until every lagging reader has caught up
// (back-pressure, as spdystream's own blocking reader gives). A flow-controlled peer's socket is
// never paused: that would also hold back the WINDOW_UPDATEs our own writes wait for (a deadlock).
//
// Contract: onSettings, onWindowUpdate and received are called in the order the frames arrived.
// A window may go negative when SETTINGS shrinks it; sends then wait until it is positive again.
// close() (the connection ended) resolves every pending waitForWindow() false. Per-stream
// counters live on the SpdyStream (sendWindow, unacked, blocked).

import { DEFAULT_WINDOW, SETTINGS_INITIAL_WINDOW_SIZE, type Setting } from './frames.js';
import type { SpdyStream } from './stream.js';

/** The SETTINGS this side sends at start: tells a peer like us that this side does flow control. */
export const ANNOUNCE_FLOW_CONTROL: readonly Setting[] = [{ flags: 0, id: SETTINGS_INITIAL_WINDOW_SIZE, value: DEFAULT_WINDOW }];

/** What flow control needs from its connection. */
export interface FlowIO {
  /** Queues a WINDOW_UPDATE granting `delta` bytes on `streamId` (0: the session). */
  sendWindowUpdate(streamId: number, delta: number): void;
  /** Stops reading the socket (a reader is behind and the peer ignores windows). */
  pauseInput(): void;
  /** Reads the socket again (no reader is behind any more); a no-op once the connection ended. */
  resumeInput(): void;
}

export class FlowControl {
  /** Set once the peer sent SETTINGS or WINDOW_UPDATE: from then on send windows are enforced. */
  private peerFlowControl = false;
  private peerInitialWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacked = 0;
  private windowWaiters: (() => void)[] = [];
  /** Streams whose reader is behind while the socket is paused for them. */
  private readonly paused = new Set<SpdyStream>();
  private closed = false;

  constructor(
    private readonly io: FlowIO,
    /** The connection's live streams, whose send windows a new initial window size shifts. */
    private readonly streams: ReadonlyMap<number, SpdyStream>,
  ) {}

  /** The send window a new stream starts with (the peer's SETTINGS_INITIAL_WINDOW_SIZE). */
  get initialWindow(): number {
    return this.peerInitialWindow;
  }

  /** True when sends must wait for window (the peer does flow control). */
  get enforced(): boolean {
    return this.peerFlowControl;
  }

  // ---- sending ----

  /**
   * Resolves true once `stream` and the session both have window, false if the stream was
   * reset or the connection closed first.
   */
  waitForWindow(stream: SpdyStream): Promise<boolean> {
    const ready = (): boolean => stream.sendWindow > 0 && this.sessionSendWindow > 0;
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closed || stream.resetStatus !== undefined) return resolve(false);
        if (ready()) return resolve(true);
        this.windowWaiters.push(check);
      };
      this.windowWaiters.push(check);
    });
  }

  /** How many of `wanted` bytes `stream` may send now (call after waitForWindow resolved true). */
  sendable(stream: SpdyStream, wanted: number): number {
    return Math.min(wanted, stream.sendWindow, this.sessionSendWindow);
  }

  /** Counts `n` bytes about to be sent on `stream` against its and the session's window. */
  consume(stream: SpdyStream, n: number): void {
    stream.sendWindow -= n;
    this.sessionSendWindow -= n;
  }

  /** The peer's SETTINGS: a new initial window shifts every open stream's window by the change. */
  onSettings(settings: readonly Setting[]): void {
    this.peerFlowControl = true;
    for (const s of settings) {
      if (s.id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
      const delta = s.value - this.peerInitialWindow;
      this.peerInitialWindow = s.value;
      for (const st of this.streams.values()) st.sendWindow += delta;
    }
    this.wakeWindowWaiters();
  }

  /** The peer's WINDOW_UPDATE for `streamId` (0: the session); unknown streams are ignored. */
  onWindowUpdate(streamId: number, delta: number): void {
    this.peerFlowControl = true;
    if (streamId === 0) this.sessionSendWindow += delta;
    else {
      const stream = this.streams.get(streamId);
      if (stream) stream.sendWindow += delta;
    }
    this.wakeWindowWaiters();
  }

  // ---- receiving ----

  /** Hands peer data to `stream`'s reader; credits it, or holds back while the reader is behind. */
  received(stream: SpdyStream, data: Buffer): void {
    stream.unacked += data.length;
    this.sessionUnacked += data.length;
    if (stream.deliver(data)) this.credit(stream);
    else if (!stream.blocked) {
      stream.blocked = true;
      if (!this.peerFlowControl) {
        this.paused.add(stream);
        this.io.pauseInput();
      }
    }
  }

  /** The reader of `stream` wants more: grant what it consumed and resume the socket if paused. */
  readResumed(stream: SpdyStream): void {
    stream.blocked = false;
    this.credit(stream);
    this.unpause(stream);
  }

  /** `stream` is gone: it no longer holds the socket paused. */
  release(stream: SpdyStream): void {
    this.unpause(stream);
  }

  /** The connection ended: pending waitForWindow calls resolve false. */
  close(): void {
    this.closed = true;
    this.wakeWindowWaiters();
  }

  /** Grants the peer window for what readers consumed, in batches of half a window. */
  private credit(stream: SpdyStream): void {
    if (stream.unacked >= DEFAULT_WINDOW / 2 && !stream.remoteFinished) {
      const delta = stream.unacked;
      stream.unacked = 0;
      this.io.sendWindowUpdate(stream.id, delta);
    }
    if (this.sessionUnacked >= DEFAULT_WINDOW / 2) {
      const delta = this.sessionUnacked;
      this.sessionUnacked = 0;
      this.io.sendWindowUpdate(0, delta);
    }
  }

  private unpause(stream: SpdyStream): void {
    if (this.paused.delete(stream) && this.paused.size === 0) this.io.resumeInput();
  }

  private wakeWindowWaiters(): void {
    const waiters = this.windowWaiters;
    this.windowWaiters = [];
    for (const w of waiters) w();
  }
}
