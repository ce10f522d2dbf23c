// Unit tests of the pieces that need no server: channel framing, protocol negotiation, resize
// decoding, status encoding/decoding, the token cache and the relay frame splitter.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrpcStatus, isCriError } from '../../../src/cri/errors.js';
import {
  decodeFrame,
  encodeFrame,
  negotiate,
  portPreamble,
  protocolTraits,
  REMOTE_COMMAND_PROTOCOLS,
  ResizeDecoder,
  V1_BASE64,
  V1_BINARY,
  V4_BASE64,
  V4_BINARY,
  V5_BINARY,
} from '../../../src/runtime/streaming/channels.js';
import { FrameSplitter } from '../../../src/runtime/streaming/relay.js';
import { validateAttachRequest, validateExecRequest, validatePortForwardRequest } from '../../../src/runtime/streaming/server.js';
import { decodeStatus, encodeStatus, exitCodeStatus, internalErrorStatus, successStatus } from '../../../src/runtime/streaming/status.js';
import { TokenCache } from '../../../src/runtime/streaming/token-cache.js';

describe('channel framing', () => {
  it('prefixes binary messages with the channel byte and decodes them back', () => {
    const t = protocolTraits(V4_BINARY);
    const f = encodeFrame(t, 1, Buffer.from('hi'));
    assert.deepEqual(f, Buffer.from([1, 0x68, 0x69]));
    assert.deepEqual(decodeFrame(t, f as Buffer, true), { kind: 'data', channel: 1, data: Buffer.from('hi') });
    assert.deepEqual(decodeFrame(t, Buffer.alloc(0), true), { kind: 'empty' });
  });

  it('base64 protocols send a text channel digit plus base64', () => {
    const t = protocolTraits(V4_BASE64);
    assert.equal(encodeFrame(t, 2, Buffer.from('foo\n')), '2Zm9vCg==');
    assert.deepEqual(decodeFrame(t, Buffer.from('0Zm9vCg=='), false), { kind: 'data', channel: 0, data: Buffer.from('foo\n') });
    assert.throws(() => decodeFrame(t, Buffer.from('xAAA'), false), /invalid base64 channel/);
  });

  it('understands the close signal only in v5', () => {
    assert.deepEqual(decodeFrame(protocolTraits(V5_BINARY), Buffer.from([255, 0]), true), { kind: 'close', channel: 0 });
    assert.throws(() => decodeFrame(protocolTraits(V5_BINARY), Buffer.from([255, 0, 1]), true), /exactly one channel/);
    // v4: 255 is just a (bogus) channel number.
    assert.deepEqual(decodeFrame(protocolTraits(V4_BINARY), Buffer.from([255, 0]), true), { kind: 'data', channel: 255, data: Buffer.from([0]) });
  });

  it('knows which versions carry a JSON status', () => {
    assert.deepEqual([V5_BINARY, V4_BINARY, V4_BASE64, V1_BINARY, V1_BASE64, ''].map((p) => protocolTraits(p).statusJson), [true, true, true, false, false, false]);
  });

  it('negotiates the first offered protocol the server supports; no header means v1 binary', () => {
    assert.equal(negotiate(['v9.channel.k8s.io', V4_BINARY, V5_BINARY], REMOTE_COMMAND_PROTOCOLS, true), V4_BINARY);
    assert.equal(negotiate([], REMOTE_COMMAND_PROTOCOLS, true), '');
    assert.equal(negotiate(['SPDY/3.1+portforward.k8s.io'], REMOTE_COMMAND_PROTOCOLS, true), undefined);
  });

  it('writes the port preamble as little-endian uint16', () => {
    assert.deepEqual(portPreamble(8080), Buffer.from([0x90, 0x1f]));
  });
});

describe('ResizeDecoder', () => {
  it('decodes objects split across and packed into messages, case-insensitively, skipping junk', () => {
    const d = new ResizeDecoder();
    assert.deepEqual(d.push('{"Width":80,'), []);
    assert.deepEqual(d.push('"Height":24}{"width":100,"height":30}'), [{ width: 80, height: 24 }, { width: 100, height: 30 }]);
    assert.deepEqual(d.push('{"Width":-1,"Height":2}{"Width":"x"}{"Width":1,"Height":2}'), [{ width: 1, height: 2 }]);
    assert.deepEqual(d.push('{"Width":5,"Height":6,"note":"}{"}'), [{ width: 5, height: 6 }]);
  });
});

describe('status', () => {
  it('encodes a non-zero exit as upstream does and decodes the exit code back', () => {
    const st = exitCodeStatus(['sh', '-c', 'exit 3'], 3);
    const json = encodeStatus(protocolTraits(V5_BINARY), st);
    assert.deepEqual(JSON.parse(String(json)), {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    assert.deepEqual(decodeStatus(protocolTraits(V4_BINARY), json ?? Buffer.alloc(0)), { exitCode: 3 });
  });

  it('v4 sends success too; v1 sends only a failure message as text', () => {
    assert.equal(String(encodeStatus(protocolTraits(V4_BINARY), successStatus())), '{"metadata":{},"status":"Success"}');
    assert.equal(encodeStatus(protocolTraits(V1_BINARY), successStatus()), undefined);
    const err = internalErrorStatus('boom');
    assert.equal(String(encodeStatus(protocolTraits(V1_BINARY), err)), 'Internal error occurred: boom');
    assert.deepEqual(decodeStatus(protocolTraits(V1_BINARY), Buffer.from('Internal error occurred: boom')), { error: 'Internal error occurred: boom' });
    assert.deepEqual(decodeStatus(protocolTraits(V4_BINARY), Buffer.from(JSON.stringify(err))), { error: 'Internal error occurred: boom' });
    assert.deepEqual(decodeStatus(protocolTraits(V4_BINARY), Buffer.alloc(0)), { exitCode: 0 });
  });
});

describe('request validation (as upstream, InvalidArgument)', () => {
  const exec = { container_id: 'c', cmd: ['ls'], tty: false, stdin: false, stdout: true, stderr: false };
  const invalid = (fn: () => void, message: string): void => {
    assert.throws(fn, (e: unknown) => isCriError(e, GrpcStatus.INVALID_ARGUMENT) && e.message === message);
  };

  it('checks exec requests', () => {
    validateExecRequest(exec);
    invalid(() => validateExecRequest({ ...exec, container_id: '' }), 'missing required container_id');
    invalid(() => validateExecRequest({ ...exec, tty: true, stderr: true }), 'tty and stderr cannot both be true');
    invalid(() => validateExecRequest({ ...exec, stdout: false }), 'one of stdin, stdout, or stderr must be set');
    invalid(() => validateExecRequest({ ...exec, cmd: [] }), 'cmd must not be empty');
  });

  it('checks attach and port-forward requests', () => {
    const attach = { container_id: 'c', tty: false, stdin: true, stdout: false, stderr: false };
    validateAttachRequest(attach);
    invalid(() => validateAttachRequest({ ...attach, container_id: '' }), 'missing required container_id');
    invalid(() => validateAttachRequest({ ...attach, tty: true, stderr: true }), 'tty and stderr cannot both be true');
    invalid(() => validateAttachRequest({ ...attach, stdin: false }), 'one of stdin, stdout, and stderr must be set');
    validatePortForwardRequest({ pod_sandbox_id: 'p', port: [80] });
    validatePortForwardRequest({ pod_sandbox_id: 'p', port: [] });
    invalid(() => validatePortForwardRequest({ pod_sandbox_id: '', port: [80] }), 'missing required pod_sandbox_id');
    invalid(() => validatePortForwardRequest({ pod_sandbox_id: 'p', port: [70000] }), 'invalid port 70000: ports must be in 1-65535');
  });
});

describe('TokenCache', () => {
  it('hands out 8-character URL-safe tokens that can be consumed once, until they expire', () => {
    let now = 1000;
    const c = new TokenCache<string>({ ttlMs: 60_000, now: () => now });
    const a = c.insert('a');
    assert.match(a, /^[A-Za-z0-9_-]{8}$/);
    assert.equal(c.consume(a), 'a');
    assert.equal(c.consume(a), undefined);
    assert.equal(c.consume('nope'), undefined);
    const b = c.insert('b');
    now += 60_001;
    assert.equal(c.consume(b), undefined);
  });

  it('drops expired tokens on insert and refuses more than maxInFlight', () => {
    let now = 0;
    const c = new TokenCache<number>({ ttlMs: 10, maxInFlight: 2, now: () => now });
    c.insert(1);
    c.insert(2);
    assert.throws(() => c.insert(3), (e: unknown) => isCriError(e, GrpcStatus.RESOURCE_EXHAUSTED));
    now = 11;
    c.insert(3);
    assert.equal(c.size, 1);
  });
});

describe('FrameSplitter', () => {
  it('reassembles length-prefixed frames across chunk boundaries', () => {
    const s = new FrameSplitter();
    const frame = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const all = Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.from('\x02out')), frame(Buffer.from('\x03err'))]);
    assert.deepEqual(s.push(all.subarray(0, 6)), [Buffer.alloc(0)]);
    assert.deepEqual(s.push(all.subarray(6)).map((b) => b.toString('latin1')), ['\x02out', '\x03err']);
  });
});
