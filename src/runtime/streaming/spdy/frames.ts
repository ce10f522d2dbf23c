// SPDY/3 (and 3.1) frames on the wire (SPDY Protocol draft 3, section 2.2 and 2.6), without
// header compression: a header-bearing frame carries its compressed name/value block as bytes
// and headers.ts turns it into names and values, because that step needs the connection's
// shared zlib context.
//
// Every frame starts with 8 bytes. A control frame: the control bit, version (15 bits), type
// (16 bits), flags (8 bits), payload length (24 bits). A data frame: a zero bit, the stream id
// (31 bits), flags, payload length. Unknown control frame types are passed up as `unknown` (the
// spec says to ignore them); anything malformed is a SpdyProtocolError naming the frame.

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** The largest payload a frame can carry (24-bit length). */
export const MAX_FRAME_PAYLOAD = 0xffffff;
/** The flow-control window every stream (and, in 3.1, the session) starts with. */
export const DEFAULT_WINDOW = 64 * 1024;
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

export const enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

export interface Setting {
  flags: number;
  id: number;
  value: number;
}

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedTo: number; priority: number; slot: number; flags: number; block: Buffer }
  | { type: 'syn_reply'; streamId: number; flags: number; block: Buffer }
  | { type: 'headers'; streamId: number; flags: number; block: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; settings: Setting[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; controlType: number };

export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

const ID_MASK = 0x7fffffff;

function control(type: ControlType, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError(`a SPDY frame payload is at most ${MAX_FRAME_PAYLOAD} bytes, got ${payload.length}`);
  const head = Buffer.allocUnsafe(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** The values as consecutive big-endian uint32s (lengths and ids on the wire). */
export function uint32s(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** Encodes one frame. Header-bearing frames take their block already compressed. */
export function encodeFrame(frame: Exclude<Frame, { type: 'unknown' }>): Buffer {
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError(`a SPDY data frame carries at most ${MAX_FRAME_PAYLOAD} bytes, got ${frame.data.length}`);
      const head = Buffer.allocUnsafe(8);
      head.writeUInt32BE(frame.streamId & ID_MASK, 0);
      head.writeUInt32BE(((frame.flags & 0xff) << 24) | frame.data.length, 4);
      return Buffer.concat([head, frame.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.allocUnsafe(10);
      fixed.writeUInt32BE(frame.streamId & ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedTo & ID_MASK, 4);
      fixed[8] = (frame.priority & 0x7) << 5;
      fixed[9] = frame.slot & 0xff;
      return control(ControlType.SynStream, frame.flags, Buffer.concat([fixed, frame.block]));
    }
    case 'syn_reply':
      return control(ControlType.SynReply, frame.flags, Buffer.concat([uint32s(frame.streamId & ID_MASK), frame.block]));
    case 'headers':
      return control(ControlType.Headers, frame.flags, Buffer.concat([uint32s(frame.streamId & ID_MASK), frame.block]));
    case 'rst_stream':
      return control(ControlType.RstStream, 0, uint32s(frame.streamId & ID_MASK, frame.status));
    case 'settings': {
      const body = Buffer.allocUnsafe(4 + 8 * frame.settings.length);
      body.writeUInt32BE(frame.settings.length, 0);
      frame.settings.forEach((s, i) => {
        body.writeUInt32BE((((s.flags & 0xff) << 24) | (s.id & 0xffffff)) >>> 0, 4 + 8 * i);
        body.writeUInt32BE(s.value >>> 0, 8 + 8 * i);
      });
      return control(ControlType.Settings, frame.flags, body);
    }
    case 'ping':
      return control(ControlType.Ping, 0, uint32s(frame.id));
    case 'goaway':
      return control(ControlType.GoAway, 0, uint32s(frame.lastGoodStreamId & ID_MASK, frame.status));
    case 'window_update':
      return control(ControlType.WindowUpdate, 0, uint32s(frame.streamId & ID_MASK, frame.delta & ID_MASK));
  }
}

function need(payload: Buffer, min: number, what: string, exact = false): void {
  if (exact ? payload.length !== min : payload.length < min) {
    throw new SpdyProtocolError(`invalid ${what} frame: payload of ${payload.length} bytes, ${exact ? 'expected' : 'need at least'} ${min}`);
  }
}

function decodeControl(type: number, flags: number, payload: Buffer): Frame {
  switch (type) {
    case ControlType.SynStream:
      need(payload, 10, 'SYN_STREAM');
      return {
        type: 'syn_stream',
        streamId: payload.readUInt32BE(0) & ID_MASK,
        associatedTo: payload.readUInt32BE(4) & ID_MASK,
        priority: (payload[8] ?? 0) >> 5,
        slot: payload[9] ?? 0,
        flags,
        block: payload.subarray(10),
      };
    case ControlType.SynReply:
      need(payload, 4, 'SYN_REPLY');
      return { type: 'syn_reply', streamId: payload.readUInt32BE(0) & ID_MASK, flags, block: payload.subarray(4) };
    case ControlType.Headers:
      need(payload, 4, 'HEADERS');
      return { type: 'headers', streamId: payload.readUInt32BE(0) & ID_MASK, flags, block: payload.subarray(4) };
    case ControlType.RstStream:
      need(payload, 8, 'RST_STREAM', true);
      return { type: 'rst_stream', streamId: payload.readUInt32BE(0) & ID_MASK, status: payload.readUInt32BE(4) };
    case ControlType.Settings: {
      need(payload, 4, 'SETTINGS');
      const count = payload.readUInt32BE(0);
      if (payload.length !== 4 + 8 * count) throw new SpdyProtocolError(`invalid SETTINGS frame: ${count} entries need ${4 + 8 * count} bytes, got ${payload.length}`);
      const settings: Setting[] = [];
      for (let i = 0; i < count; i++) {
        const head = payload.readUInt32BE(4 + 8 * i);
        settings.push({ flags: head >>> 24, id: head & 0xffffff, value: payload.readUInt32BE(8 + 8 * i) });
      }
      return { type: 'settings', flags, settings };
    }
    case ControlType.Ping:
      need(payload, 4, 'PING', true);
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case ControlType.GoAway:
      // SPDY/2 peers send 4 bytes (no status); accept them.
      need(payload, 4, 'GOAWAY');
      return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & ID_MASK, status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
    case ControlType.WindowUpdate:
      need(payload, 8, 'WINDOW_UPDATE', true);
      return { type: 'window_update', streamId: payload.readUInt32BE(0) & ID_MASK, delta: payload.readUInt32BE(4) & ID_MASK };
    default:
      return { type: 'unknown', controlType: type };
  }
}

/**
 * Splits a byte stream into frames. `push` returns every frame completed by the chunk; it throws
 * SpdyProtocolError on a malformed control frame, one of another SPDY version or a frame longer
 * than `maxPayload` (the parser is then unusable: the connection must be dropped).
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const first = this.buf.readUInt32BE(0);
      const flagsLen = this.buf.readUInt32BE(4);
      const flags = flagsLen >>> 24;
      const length = flagsLen & 0xffffff;
      const isControl = (first & 0x80000000) !== 0;
      if (isControl) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version} in a control frame (this endpoint speaks SPDY/3.1)`);
      }
      if (length > this.maxPayload) throw new SpdyProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
      if (this.buf.length < 8 + length) break;
      // Copy: the payload outlives this chunk (queued, buffered by a stream).
      const payload = Buffer.from(this.buf.subarray(8, 8 + length));
      this.buf = this.buf.subarray(8 + length);
      out.push(isControl ? decodeControl(first & 0xffff, flags, payload) : { type: 'data', streamId: first & ID_MASK, flags, data: payload });
    }
    return out;
  }
}
