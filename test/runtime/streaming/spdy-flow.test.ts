// SPDY flow control on its own, against a recording FlowIO: windows are counted but enforced only
// once the peer sent SETTINGS or WINDOW_UPDATE; a new initial window shifts open streams; credit
// goes out in batches of half a window; a lagging reader pauses the socket only for a peer that
// ignores windows; close() releases waiting senders.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowControl, type FlowIO } from '../../../src/runtime/streaming/spdy/flow.js';
import { DEFAULT_WINDOW, SETTINGS_INITIAL_WINDOW_SIZE } from '../../../src/runtime/streaming/spdy/frames.js';
import { SpdyStream, type StreamHost } from '../../../src/runtime/streaming/spdy/stream.js';

const host: StreamHost = { writeData: async () => {}, sendReply: () => {}, sendReset: () => {}, readResumed: () => {}, release: () => {} };

function fixture(): { flow: FlowControl; streams: Map<number, SpdyStream>; updates: [number, number][]; input: string[]; stream: (id: number) => SpdyStream } {
  const updates: [number, number][] = [];
  const input: string[] = [];
  const io: FlowIO = { sendWindowUpdate: (id, delta) => void updates.push([id, delta]), pauseInput: () => void input.push('pause'), resumeInput: () => void input.push('resume') };
  const streams = new Map<number, SpdyStream>();
  const flow = new FlowControl(io, streams);
  const stream = (id: number): SpdyStream => {
    const s = new SpdyStream(host, id, {}, flow.initialWindow);
    streams.set(id, s);
    return s;
  };
  return { flow, streams, updates, input, stream };
}

describe('SPDY flow control', () => {
  it('enforces windows only after the peer speaks flow control, and waits for credit then', async () => {
    const { flow, stream } = fixture();
    const s = stream(1);
    assert.equal(flow.enforced, false);
    flow.consume(s, DEFAULT_WINDOW);
    assert.equal(s.sendWindow, 0);
    flow.onWindowUpdate(0, 10); // session credit alone marks the peer as flow-controlling
    assert.equal(flow.enforced, true);
    let granted: boolean | undefined;
    const wait = flow.waitForWindow(s).then((ok) => (granted = ok));
    await Promise.resolve();
    assert.equal(granted, undefined, 'no stream window yet');
    flow.onWindowUpdate(1, 100);
    await wait;
    assert.equal(granted, true);
    assert.equal(flow.sendable(s, 1000), 10, 'the session window is the tighter one');
  });

  it('a new initial window shifts open streams and applies to new ones', () => {
    const { flow, stream } = fixture();
    const s = stream(1);
    flow.onSettings([{ flags: 0, id: SETTINGS_INITIAL_WINDOW_SIZE, value: 1000 }]);
    assert.equal(s.sendWindow, 1000);
    assert.equal(flow.initialWindow, 1000);
    assert.equal(stream(3).sendWindow, 1000);
  });

  it('credits consumed data in batches of half a window, per stream and for the session', async () => {
    const { flow, stream, updates } = fixture();
    const s = stream(1);
    s.on('data', () => {}); // a reader that keeps up
    await new Promise(setImmediate); // the stream starts flowing on a later tick
    flow.received(s, Buffer.alloc(DEFAULT_WINDOW / 2 - 1));
    assert.deepEqual(updates, []);
    flow.received(s, Buffer.alloc(1));
    assert.deepEqual(updates, [
      [1, DEFAULT_WINDOW / 2],
      [0, DEFAULT_WINDOW / 2],
    ]);
  });

  it('a lagging reader pauses the socket for a peer that ignores windows, until it reads', () => {
    const { flow, stream, input, updates } = fixture();
    const s = stream(1);
    // Nobody reads: a window's worth fills the readable buffer past its high-water mark.
    flow.received(s, Buffer.alloc(DEFAULT_WINDOW));
    assert.equal(s.blocked, true);
    assert.deepEqual(input, ['pause']);
    assert.deepEqual(updates, [], 'no credit while the reader is behind');
    flow.readResumed(s);
    assert.equal(s.blocked, false);
    assert.deepEqual(input, ['pause', 'resume']);
    assert.deepEqual(updates, [
      [1, DEFAULT_WINDOW],
      [0, DEFAULT_WINDOW],
    ]);
  });

  it('withholds credit but never pauses a flow-controlled peer', () => {
    const { flow, stream, input } = fixture();
    flow.onSettings([]);
    const s = stream(1);
    flow.received(s, Buffer.alloc(DEFAULT_WINDOW));
    assert.equal(s.blocked, true);
    assert.deepEqual(input, []);
  });

  it('close() releases waiting senders with false', async () => {
    const { flow, stream } = fixture();
    const s = stream(1);
    flow.onSettings([{ flags: 0, id: SETTINGS_INITIAL_WINDOW_SIZE, value: 0 }]);
    const wait = flow.waitForWindow(s);
    flow.close();
    assert.equal(await wait, false);
  });
});
