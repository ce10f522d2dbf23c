// SPDY/3.1 framing without a network: every frame type round-trips, the parser copes with
// frames split across chunks and packed together, header blocks compress through one shared
// zlib context per direction (later blocks depend on earlier ones), and malformed input is a
// SpdyProtocolError with a message, never a crash; two connections over a socket pair open
// streams, exchange data past the flow-control window both ways, answer PINGs and close.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { SpdyConnection } from '../../../src/runtime/streaming/spdy/connection.js';
import { SPDY3_DICTIONARY } from '../../../src/runtime/streaming/spdy/dictionary.js';
import { encodeFrame, FLAG_FIN, FrameParser, SpdyProtocolError, type Frame } from '../../../src/runtime/streaming/spdy/frames.js';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor } from '../../../src/runtime/streaming/spdy/headers.js';
import type { SpdyStream } from '../../../src/runtime/streaming/spdy/stream.js';

type Encodable = Exclude<Frame, { type: 'unknown' }>;

const samples: Encodable[] = [
  { type: 'data', streamId: 7, flags: FLAG_FIN, data: Buffer.from('hello') },
  { type: 'data', streamId: 0x7fffffff, flags: 0, data: Buffer.alloc(0) },
  { type: 'syn_stream', streamId: 3, associatedTo: 1, priority: 5, slot: 2, flags: 0x3, block: Buffer.from([1, 2, 3]) },
  { type: 'syn_reply', streamId: 4, flags: FLAG_FIN, block: Buffer.from([9]) },
  { type: 'headers', streamId: 5, flags: 0, block: Buffer.from([8, 8]) },
  { type: 'rst_stream', streamId: 9, status: 5 },
  { type: 'settings', flags: 1, settings: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 11, status: 1 },
  { type: 'window_update', streamId: 0, delta: 123456 },
];

describe('SPDY frames', () => {
  it('the SPDY/3 dictionary is the 1423 bytes of the spec', () => {
    assert.equal(SPDY3_DICTIONARY.length, 1423);
    assert.equal(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1'), '\0\0\0\x07options');
    assert.ok(SPDY3_DICTIONARY.toString('latin1').endsWith(',*,enq=0.'));
    assert.equal(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex').length, 64);
  });

  it('every frame type round-trips, one byte at a time and all at once', () => {
    const wire = Buffer.concat(samples.map(encodeFrame));
    assert.deepEqual(new FrameParser().push(wire), samples);
    const slow = new FrameParser();
    const out: Frame[] = [];
    for (const b of wire) out.push(...slow.push(Buffer.from([b])));
    assert.deepEqual(out, samples);
  });

  it('control frames carry version 3 and the control bit', () => {
    const ping = encodeFrame({ type: 'ping', id: 1 });
    assert.deepEqual([...ping.subarray(0, 8)], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04]);
  });

  it('unknown control types are passed up to be ignored', () => {
    const frame = Buffer.from([0x80, 0x03, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb]);
    assert.deepEqual(new FrameParser().push(frame), [{ type: 'unknown', controlType: 10 }]);
  });

  it('malformed frames are SpdyProtocolErrors that say what is wrong', () => {
    const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
    assert.throws(() => new FrameParser().push(v2), (e: unknown) => e instanceof SpdyProtocolError && /version 2/.test(e.message));
    const shortRst = Buffer.from([0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
    assert.throws(() => new FrameParser().push(shortRst), (e: unknown) => e instanceof SpdyProtocolError && /RST_STREAM/.test(e.message));
    const badSettings = Buffer.from([0x80, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 9]);
    assert.throws(() => new FrameParser().push(badSettings), (e: unknown) => e instanceof SpdyProtocolError && /SETTINGS/.test(e.message));
    const huge = Buffer.from([0, 0, 0, 1, 0, 0xff, 0xff, 0xff]);
    assert.throws(() => new FrameParser(1024).push(huge), (e: unknown) => e instanceof SpdyProtocolError && /exceeds/.test(e.message));
  });
});

describe('SPDY header blocks', () => {
  it('encode lowercase names, NUL-joined values; decode back', () => {
    const block = encodeHeaderBlock({ StreamType: 'error', 'x-multi': ['a', 'b'] });
    assert.deepEqual(decodeHeaderBlock(block), { streamtype: ['error'], 'x-multi': ['a', 'b'] });
  });

  it('rejects truncated, repeated, uppercase and lying blocks', () => {
    const good = encodeHeaderBlock({ a: 'b' });
    assert.throws(() => decodeHeaderBlock(good.subarray(0, good.length - 1)), SpdyProtocolError);
    assert.throws(() => decodeHeaderBlock(Buffer.concat([good, Buffer.from([0])])), /after its last pair/);
    const twice = Buffer.concat([Buffer.from([0, 0, 0, 2]), good.subarray(4), good.subarray(4)]);
    assert.throws(() => decodeHeaderBlock(twice), /repeats/);
    const upper = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]), Buffer.from('A'), Buffer.from([0, 0, 0, 0])]);
    assert.throws(() => decodeHeaderBlock(upper), /lowercase/);
    assert.throws(() => decodeHeaderBlock(Buffer.from([0xff, 0xff, 0xff, 0xff])), /claims/);
  });

  it('compress through one context per direction: later blocks need the earlier ones', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks: Record<string, string>[] = [{ streamtype: 'error', port: '80' }, { streamtype: 'data', port: '80' }, { streamtype: 'stdout' }];
    const wire = [];
    for (const h of blocks) wire.push(await c.compress(h));
    // The second identical-ish block is smaller: it refers back into the shared window.
    assert.ok((wire[1]?.length ?? 0) < (wire[0]?.length ?? 0));
    for (const [i, w] of wire.entries()) {
      const got = await d.decompress(w);
      assert.deepEqual(got, Object.fromEntries(Object.entries(blocks[i] ?? {}).map(([k, v]) => [k, [v]])));
    }
    // A fresh decompressor cannot read the second block alone.
    await assert.rejects(new HeaderDecompressor().decompress(wire[1] as Buffer), SpdyProtocolError);
    c.close();
    d.close();
  });

  it('garbage as a compressed block is a protocol error, and the context stays dead', async () => {
    const d = new HeaderDecompressor();
    await assert.rejects(d.decompress(Buffer.from('definitely not zlib')), (e: unknown) => e instanceof SpdyProtocolError && /decompression failed/.test(e.message));
    await assert.rejects(d.decompress(Buffer.alloc(4)), SpdyProtocolError);
  });
});

async function socketPair(): Promise<[Socket, Socket, () => void]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  const [s] = await accepted;
  return [s, client, () => server.close()];
}

async function readAll(s: SpdyStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of s) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe('SPDY connections over a socket pair', () => {
  it('open, echo a megabyte each way past the window, ping, close', async () => {
    const [a, b, stop] = await socketPair();
    const server = new SpdyConnection(a, { server: true });
    const client = new SpdyConnection(b, { server: false });
    server.on('stream', (s) => {
      assert.deepEqual(s.headers.streamtype, ['echo']);
      s.accept({ ok: 'yes' });
      s.pipe(s); // echo: the client's FIN ends our side too
    });
    const stream = await client.openStream({ streamType: 'echo' });
    assert.equal(stream.id, 1);
    assert.deepEqual(stream.replyHeaders, { ok: ['yes'] });
    const payload = Buffer.alloc(1024 * 1024, 'x');
    const echoed = readAll(stream);
    stream.end(payload);
    assert.equal((await echoed).length, payload.length);
    await client.ping();
    await server.ping();
    const second = await client.openStream({ streamType: 'echo' });
    assert.equal(second.id, 3);
    second.end('bye');
    assert.equal((await readAll(second)).toString(), 'bye');
    await client.close();
    assert.equal(await server.closed, undefined);
    stop();
  });

  it('a stream nobody accepts is refused; a reset ends the reader', async () => {
    const [a, b, stop] = await socketPair();
    const server = new SpdyConnection(a, { server: true });
    const client = new SpdyConnection(b, { server: false });
    await assert.rejects(client.openStream({ streamType: 'x' }), /refused SPDY stream 1/);
    server.on('stream', (s) => {
      s.accept();
      s.write('partial');
      setImmediate(() => s.reset());
    });
    const s = await client.openStream({ streamType: 'y' });
    const reset = once(s, 'reset');
    assert.equal((await readAll(s)).toString(), 'partial');
    assert.deepEqual(await reset, [5]);
    server.destroy();
    await client.closed;
    stop();
  });

  it('garbage from the peer closes the connection with a reason, without throwing', async () => {
    const [a, b, stop] = await socketPair();
    const server = new SpdyConnection(a, { server: true });
    b.write(Buffer.from([0x80, 0x07, 0, 1, 0, 0, 0, 0]));
    const reason = await server.closed;
    assert.ok(reason instanceof SpdyProtocolError);
    assert.match(reason.message, /unsupported SPDY version 7/);
    b.destroy();
    stop();
  });

  it('a corrupt header block ends the connection with a protocol error', async () => {
    const [a, b, stop] = await socketPair();
    const server = new SpdyConnection(a, { server: true });
    server.on('stream', () => assert.fail('no stream from a corrupt block'));
    b.write(encodeFrame({ type: 'syn_stream', streamId: 1, associatedTo: 0, priority: 0, slot: 0, flags: 0, block: Buffer.from('nope') }));
    const reason = await server.closed;
    assert.ok(reason instanceof SpdyProtocolError);
    b.destroy();
    stop();
  });
});
