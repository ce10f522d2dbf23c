// A websocket seen as numbered channels (channels.ts framing), shared by the server sessions and
// the client: typed sends with backpressure, Writable/Duplex views of one channel, and an idle
// timeout (upstream's StreamIdleTimeout: the connection is dropped after that long without
// traffic in either direction).

import { Duplex, Writable } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { CLOSE_SIGNAL, decodeFrame, encodeFrame, type Frame, type ProtocolTraits } from './channels.js';

export function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Buffers the messages a client websocket receives between its 'open' event and the moment the
 * caller subscribes: ws parses frames that arrived with the handshake response synchronously
 * after 'open', before an awaiting caller resumes.
 */
export class EarlyMessages {
  private messages: [RawData, boolean][] = [];
  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    this.messages.push([data, isBinary]);
  };

  constructor(private readonly ws: WebSocket) {
    ws.on('message', this.onMessage);
  }

  take(): [RawData, boolean][] {
    this.ws.off('message', this.onMessage);
    const out = this.messages;
    this.messages = [];
    return out;
  }
}

export class WsChannels {
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly traits: ProtocolTraits,
    private readonly idleTimeoutMs = 0,
  ) {
    this.touch();
    ws.on('close', () => clearTimeout(this.idleTimer));
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  private touch(): void {
    if (this.idleTimeoutMs <= 0) return;
    // Called per message: restart the one timer rather than make a new one.
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.ws.terminate(), this.idleTimeoutMs).unref();
  }

  /** Sends `data` on `channel`; `cb` runs once it is handed to the socket (or dropped when closed). */
  send(channel: number, data: Uint8Array, cb?: (err?: Error) => void): void {
    if (!this.open) {
      cb?.();
      return;
    }
    this.touch();
    const frame = encodeFrame(this.traits, channel, data);
    this.ws.send(frame, { binary: typeof frame !== 'string' }, (err) => cb?.(err ?? undefined));
  }

  sendAsync(channel: number, data: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.send(channel, data, () => resolve()));
  }

  /**
   * Subscribes to decoded frames; malformed messages are dropped (upstream logs and continues).
   * `early` are messages that arrived before the subscription (see EarlyMessages).
   */
  onFrame(listener: (frame: Frame) => void, early?: EarlyMessages): void {
    const handle = (data: RawData, isBinary: boolean): void => {
      this.touch();
      let frame: Frame;
      try {
        frame = decodeFrame(this.traits, rawToBuffer(data), isBinary);
      } catch {
        return;
      }
      listener(frame);
    };
    for (const [data, isBinary] of early?.take() ?? []) handle(data, isBinary);
    this.ws.on('message', handle);
  }

  /**
   * A Writable that sends each chunk on `channel`, with backpressure from the socket. With
   * `signalEnd`, its end half-closes the channel with the v5 close signal (e.g. the end of a
   * client's stdin); older protocols cannot say it, the peer just hears nothing more.
   */
  writer(channel: number, opts: { signalEnd?: boolean } = {}): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, () => cb()),
      final: (cb) => {
        if (opts.signalEnd && this.traits.closeSignal && this.open) this.ws.send(Buffer.from([CLOSE_SIGNAL, channel]), () => cb());
        else cb();
      },
    });
  }

  /**
   * A Duplex for one channel: the readable side is fed by `feed()` (call `feed(null)` at the
   * end); the writable side sends on `channel`. Incoming data pauses the websocket while the
   * reader is behind.
   */
  duplex(channel: number): { stream: Duplex; feed: (data: Buffer | null) => void } {
    let paused = false;
    const stream = new Duplex({
      read: () => {
        if (paused) {
          paused = false;
          this.ws.resume();
        }
      },
      write: (chunk: Buffer, _enc, cb) => this.send(channel, chunk, () => cb()),
    });
    const feed = (data: Buffer | null): void => {
      if (stream.readableEnded || stream.destroyed) return;
      if (!stream.push(data) && data !== null && !paused) {
        paused = true;
        this.ws.pause();
      }
    };
    return { stream, feed };
  }

  /** Normal closure once everything queued is sent. */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000);
  }
}
