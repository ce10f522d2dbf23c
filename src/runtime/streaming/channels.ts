// The Kubernetes websocket channel protocols (k8s.io/apimachinery wsstream), shared by the
// streaming server and client.
//
// Every websocket message carries one channel: binary protocols prefix the payload with the
// channel number as one byte; the base64 protocols send a text message whose first character is
// '0'+channel followed by the base64 payload. Channel numbers for exec/attach follow the POSIX
// descriptors: 0 stdin, 1 stdout, 2 stderr, then 3 error (the final status) and 4 resize
// (JSON {"Width","Height"} from the client). Port-forward uses two channels per requested port:
// 2i data, 2i+1 error; the server's first message on each carries the port as a little-endian
// uint16.
//
// Versions: "" / channel.k8s.io / base64.channel.k8s.io (v1: the error channel carries plain
// text, only on failure), v4.* (the error channel carries a metav1.Status JSON, also on success),
// v5.channel.k8s.io (v4 plus the close signal: a message [255, channel] half-closes a channel,
// i.e. ends stdin).

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5 close signal: [CLOSE_SIGNAL, channel]. */
export const CLOSE_SIGNAL = 255;

export const V5_BINARY = 'v5.channel.k8s.io';
export const V4_BINARY = 'v4.channel.k8s.io';
export const V4_BASE64 = 'v4.base64.channel.k8s.io';
export const V1_BINARY = 'channel.k8s.io';
export const V1_BASE64 = 'base64.channel.k8s.io';

/** Subprotocols the server accepts for exec/attach, newest first. "" = no header (v1 binary). */
export const REMOTE_COMMAND_PROTOCOLS = [V5_BINARY, V4_BINARY, V4_BASE64, V1_BINARY, V1_BASE64] as const;
/** Subprotocols the server accepts for port-forward. */
export const PORT_FORWARD_PROTOCOLS = [V4_BINARY, V4_BASE64] as const;

export interface ProtocolTraits {
  name: string;
  base64: boolean;
  /** The error channel carries metav1.Status JSON (v4+), not plain text (v1). */
  statusJson: boolean;
  /** Understands the [255, channel] close signal (v5). */
  closeSignal: boolean;
}

export function protocolTraits(name: string): ProtocolTraits {
  return {
    name,
    base64: name.includes('base64'),
    statusJson: name.startsWith('v4.') || name.startsWith('v5.'),
    closeSignal: name === V5_BINARY,
  };
}

/**
 * Upstream handshake rule: the first protocol the client offers that the server supports wins;
 * no Sec-WebSocket-Protocol header means "" (binary v1). Undefined when none is acceptable.
 */
export function negotiate(offered: readonly string[], supported: readonly string[], allowNone: boolean): string | undefined {
  if (offered.length === 0) return allowNone ? '' : undefined;
  return offered.find((p) => supported.includes(p));
}

/** Encodes one message for `channel`. */
export function encodeFrame(traits: ProtocolTraits, channel: number, data: Uint8Array): Buffer | string {
  if (traits.base64) return String.fromCharCode(48 + channel) + Buffer.from(data).toString('base64');
  const frame = Buffer.allocUnsafe(data.length + 1);
  frame[0] = channel;
  frame.set(data, 1);
  return frame;
}

export type Frame = { kind: 'data'; channel: number; data: Buffer } | { kind: 'close'; channel: number } | { kind: 'empty' };

/**
 * Decodes one received message. Throws on a malformed message (bad base64 channel character,
 * a close signal without exactly one channel byte).
 */
export function decodeFrame(traits: ProtocolTraits, message: Buffer, isBinary: boolean): Frame {
  if (message.length === 0) return { kind: 'empty' };
  if (traits.closeSignal && message[0] === CLOSE_SIGNAL) {
    if (message.length !== 2) throw new Error(`a close signal must name exactly one channel, got ${message.length - 1} bytes`);
    return { kind: 'close', channel: message[1] ?? 0 };
  }
  if (traits.base64 && !isBinary) {
    const text = message.toString('latin1');
    const channel = text.charCodeAt(0) - 48;
    if (channel < 0 || channel > 9) throw new Error(`invalid base64 channel character ${JSON.stringify(text[0])}`);
    return { kind: 'data', channel, data: Buffer.from(text.slice(1), 'base64') };
  }
  return { kind: 'data', channel: message[0] ?? 0, data: message.subarray(1) };
}

/** The port-forward channel preamble: the port as a little-endian uint16. */
export function portPreamble(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port, 0);
  return b;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * Incremental decoder for the resize channel: a stream of JSON objects ({"Width":80,"Height":24}),
 * possibly split across or packed into messages. Malformed objects are skipped.
 */
export class ResizeDecoder {
  private buf = '';

  push(chunk: Buffer | string): TerminalSize[] {
    this.buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: TerminalSize[] = [];
    for (;;) {
      const start = this.buf.indexOf('{');
      if (start < 0) {
        this.buf = '';
        return out;
      }
      const end = objectEnd(this.buf, start);
      if (end < 0) {
        this.buf = this.buf.slice(start);
        if (this.buf.length > 4096) this.buf = ''; // garbage, not a size
        return out;
      }
      const text = this.buf.slice(start, end + 1);
      this.buf = this.buf.slice(end + 1);
      const size = parseSize(text);
      if (size) out.push(size);
    }
  }
}

/** Index of the brace closing the object that opens at `start`, or -1 if incomplete. */
function objectEnd(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function parseSize(text: string): TerminalSize | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    // Go's json decoding of TerminalSize matches field names case-insensitively.
    const get = (k: string): unknown => Object.entries(o).find(([key]) => key.toLowerCase() === k)?.[1];
    const width = get('width');
    const height = get('height');
    if (!isUint16(width) || !isUint16(height)) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

function isUint16(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff;
}

export function encodeResize(size: TerminalSize): Buffer {
  return Buffer.from(JSON.stringify({ Width: size.width, Height: size.height }));
}
