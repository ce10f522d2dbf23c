// Wire-level rules the decoder shares with Go's generated code (unknown fields skipped, merges,
// last-wins, int32 truncation) and the 400 BadRequest answers for everything it cannot decode.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../../src/api/errors.js';
import { decodeK8sProtobuf, isK8sProtobuf } from '../../../src/api/protobuf/index.js';
import { goDurationString } from '../../../src/api/protobuf/leaf.js';
import { envelope, message, objectMeta, timestamp, type Msg } from './proto-writer.js';

const decode = (apiVersion: string, kind: string, build: (m: Msg) => void) => decodeK8sProtobuf(envelope(apiVersion, kind, message(build)));

function badRequest(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    assert.match(e.message, pattern);
    return true;
  });
}

test('unknown field numbers of every wire type are skipped, as Go does', () => {
  const got = decode('v1', 'ConfigMap', (m) =>
    m
      .varint(99, 7)
      .string(98, 'ignored')
      .raw(Buffer.from([0x9d, 0x06, 1, 2, 3, 4])) // field 99, fixed32
      .raw(Buffer.from([0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8])) // field 99, fixed64
      .msg(1, (md) => md.string(1, 'cm').varint(50, 1))
      .entry(2, 'a', 'b'),
  );
  assert.deepEqual(got, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm' }, data: { a: 'b' } });
});

test('a repeated message field merges, a repeated scalar keeps the last value, map keys keep the last value', () => {
  const got = decode('v1', 'ConfigMap', (m) =>
    m
      .msg(1, (md) => md.string(1, 'first').entry(11, 'a', '1'))
      .msg(1, (md) => md.string(1, 'second').string(3, 'ns').entry(11, 'b', '2'))
      .entry(2, 'k', 'old')
      .entry(2, 'k', 'new'),
  );
  assert.deepEqual(got.metadata, { name: 'second', namespace: 'ns', labels: { a: '1', b: '2' } });
  assert.deepEqual(got.data, { k: 'new' });
});

test('int32 values take the low 32 bits of the varint, negative numbers decode, bools are any non-zero varint', () => {
  const neg = decode('scheduling.k8s.io/v1', 'PriorityClass', (m) => m.varint(2, -5).varint(3, 2));
  assert.equal(neg.value, -5);
  assert.equal(neg.globalDefault, true);
  const wrapped = decode('scheduling.k8s.io/v1', 'PriorityClass', (m) => m.varint(2, 2n ** 32n + 7n));
  assert.equal(wrapped.value, 7);
  const i64 = decode('v1', 'Pod', (m) => m.msg(2, (s) => s.varint(4, -1)));
  assert.deepEqual(i64.spec, { containers: null, terminationGracePeriodSeconds: -1 });
});

test('DeleteOptions decodes under any served group version; an embedded k8s protobuf RawExtension decodes too', () => {
  const del = decode('apps/v1', 'DeleteOptions', (m) => m.varint(1, 30).string(4, 'Foreground'));
  assert.deepEqual(del, { kind: 'DeleteOptions', apiVersion: 'apps/v1', gracePeriodSeconds: 30, propagationPolicy: 'Foreground' });
  const inner = envelope('v1', 'ConfigMap', message((m) => m.msg(1, (md) => objectMeta(md, 'inner')).entry(2, 'x', 'y')));
  const cr = decode('apps/v1', 'ControllerRevision', (m) => m.msg(2, (r) => r.bytes(1, inner)).varint(3, 4));
  assert.deepEqual(cr.data, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'inner', creationTimestamp: null }, data: { x: 'y' } });
  assert.equal(cr.revision, 4);
});

test('an absent embedded struct still prints its non-omitempty zero fields (Go zero value)', () => {
  const got = decode('v1', 'Pod', (m) => m.msg(2, (s) => s.msg(34, (ec) => ec.string(2, 'debug'))));
  assert.deepEqual((got.spec as Record<string, unknown>).ephemeralContainers, [{ name: '', targetContainerName: 'debug' }]);
});

test('bodies that are not Kubernetes protobuf are rejected with 400', () => {
  badRequest(() => decodeK8sProtobuf(Buffer.from('{"kind":"Pod"}')), /does not start with the Kubernetes protobuf prefix/);
  badRequest(() => decodeK8sProtobuf(Buffer.alloc(0)), /prefix/);
  badRequest(() => decodeK8sProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x05, 0x0a])), /malformed envelope/);
});

test('kinds the decoder does not know, and envelopes without a kind, are rejected with 400', () => {
  badRequest(() => decodeK8sProtobuf(envelope('v1', 'Widget', Buffer.alloc(0))), /no kind "Widget" is registered for version "v1"/);
  badRequest(() => decodeK8sProtobuf(envelope('example.com/v1', 'Pod', Buffer.alloc(0))), /no kind "Pod" is registered for version "example.com\/v1"/);
  badRequest(() => decodeK8sProtobuf(envelope('v1', 'PodSpec', Buffer.alloc(0))), /no kind "PodSpec"/);
  badRequest(() => decodeK8sProtobuf(envelope('v1', '', Buffer.alloc(0))), /names no kind/);
  badRequest(() => decodeK8sProtobuf(envelope('', 'Pod', Buffer.alloc(0))), /names no apiVersion/);
  badRequest(() => decodeK8sProtobuf(envelope('v1', 'Pod', Buffer.alloc(0), (m) => m.string(3, 'gzip'))), /unsupported content encoding "gzip"/);
  badRequest(() => decodeK8sProtobuf(envelope('v1', 'Pod', Buffer.alloc(0), (m) => m.string(4, 'application/json'))), /unsupported inner content type/);
});

test('malformed objects are rejected with 400 naming the field', () => {
  badRequest(() => decode('v1', 'ConfigMap', (m) => m.varint(1, 3)), /wrong wire type 0 for field number 1 \(at metadata\)/);
  badRequest(() => decode('apps/v1', 'Deployment', (m) => m.msg(2, (s) => s.string(1, 'two'))), /wrong wire type 2 .*at spec\.replicas/);
  const full = message((m) => m.msg(1, (md) => objectMeta(md, 'cm')).entry(2, 'k', 'value'));
  badRequest(() => decodeK8sProtobuf(envelope('v1', 'ConfigMap', full.subarray(0, full.length - 3))), /unable to decode protobuf body of v1 ConfigMap: .*runs past the end/);
  badRequest(() => decode('v1', 'ConfigMap', (m) => m.raw(Buffer.from([0xa0, 0x01, 0xff, 0xff]))), /truncated varint/);
  badRequest(() => decode('v1', 'ConfigMap', (m) => m.raw(Buffer.from([0xa3, 0x01]))), /unsupported wire type 3/);
  badRequest(() => decode('v1', 'ConfigMap', (m) => m.raw(Buffer.from([0x00]))), /illegal field number 0/);
  badRequest(() => decode('v1', 'ConfigMap', (m) => m.msg(2, (e) => e.string(1, 'k').varint(2, 1))), /wrong wire type for a map value \(at data\["k"\]\)/);
});

test('impossible leaf values are rejected with 400', () => {
  badRequest(() => decode('v1', 'Event', (m) => m.msg(6, timestamp(253402300800))), /outside the years 0 to 9999 \(at firstTimestamp\)/);
  badRequest(
    () => decode('v1', 'Service', (m) => m.msg(2, (s) => s.msg(1, (p) => p.msg(4, (t) => t.varint(1, 2))))),
    /impossible type 2 \(at spec\.ports\[0\]\.targetPort\)/,
  );
  badRequest(() => decode('apps/v1', 'ControllerRevision', (m) => m.msg(2, (r) => r.bytes(1, '{not json'))), /neither JSON nor Kubernetes protobuf \(at data\)/);
  let nested = envelope('v1', 'ConfigMap', Buffer.alloc(0));
  for (let i = 0; i < 8; i++) nested = envelope('apps/v1', 'ControllerRevision', message((m) => m.msg(2, (r) => r.bytes(1, nested))));
  badRequest(() => decodeK8sProtobuf(nested), /embedded too deeply/);
});

test('Time bounds: year 0 and 9999 print, MicroTime normalises negative nanoseconds', () => {
  const first = decode('v1', 'Event', (m) => m.msg(6, timestamp(-62167219200)).msg(7, timestamp(253402300799)).msg(10, timestamp(10, -1)));
  assert.equal(first.firstTimestamp, '0000-01-01T00:00:00Z');
  assert.equal(first.lastTimestamp, '9999-12-31T23:59:59Z');
  assert.equal(first.eventTime, '1970-01-01T00:00:09.999999Z');
});

test('Go duration strings', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [100n, '100ns'],
    [1500n, '1.5µs'],
    [1_500_000n, '1.5ms'],
    [1_500_000_000n, '1.5s'],
    [90_000_000_000n, '1m30s'],
    [3_600_000_000_000n, '1h0m0s'],
    [3_723_400_000_000n, '1h2m3.4s'],
    [-2_000_000_000n, '-2s'],
  ];
  for (const [ns, s] of cases) assert.equal(goDurationString(ns), s, `${ns}ns`);
});

test('isK8sProtobuf matches the media type with or without parameters', () => {
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf; charset=binary'), true);
  assert.equal(isK8sProtobuf('application/json'), false);
  assert.equal(isK8sProtobuf(undefined), false);
});
