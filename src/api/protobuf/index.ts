// Request bodies in Kubernetes protobuf (`application/vnd.kubernetes.protobuf`), which kubectl
// 1.32+ sends for typed clients (create namespace/configmap/deployment/secret/..., drain's
// Eviction). skiff answers in JSON, so only decoding is needed: the body becomes the same JSON
// object the client would have sent as JSON, and the request continues down the JSON path.
//
// Body layout: the magic `k8s\x00`, then a runtime.Unknown message
//   { 1: typeMeta {1: apiVersion, 2: kind}, 2: raw (the object message), 3: contentEncoding, 4: contentType }.

import { errors, StatusError } from '../errors.js';
import { DecodeError, decodeMessage } from './decode.js';
import { kindMessage } from './table.js';
import { forEachField, WireError, WireType } from './wire.js';

export const K8S_PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const magic = [0x6b, 0x38, 0x73, 0x00];

/** True when a Content-Type header names Kubernetes protobuf (parameters ignored). */
export function isK8sProtobuf(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === K8S_PROTOBUF_MEDIA_TYPE;
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function readEnvelope(body: Uint8Array): Envelope {
  if (body.length < magic.length || magic.some((b, i) => body[i] !== b)) {
    throw errors.badRequest('invalid protobuf body: it does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  const env: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0), contentEncoding: '', contentType: '' };
  const utf8 = new TextDecoder();
  try {
    forEachField(body.subarray(magic.length), (tag, r) => {
      if (tag.no === 1 && tag.wire === WireType.bytes) {
        forEachField(r.bytes(), (t, tr) => {
          if (t.no === 1 && t.wire === WireType.bytes) env.apiVersion = utf8.decode(tr.bytes());
          else if (t.no === 2 && t.wire === WireType.bytes) env.kind = utf8.decode(tr.bytes());
          else tr.skip(t.wire);
        });
      } else if (tag.no === 2 && tag.wire === WireType.bytes) env.raw = r.bytes();
      else if (tag.no === 3 && tag.wire === WireType.bytes) env.contentEncoding = utf8.decode(r.bytes());
      else if (tag.no === 4 && tag.wire === WireType.bytes) env.contentType = utf8.decode(r.bytes());
      else r.skip(tag.wire);
    });
  } catch (e) {
    if (e instanceof WireError) throw errors.badRequest(`invalid protobuf body: malformed envelope: ${e.message}`);
    throw e;
  }
  return env;
}

function decodeEnvelope(body: Uint8Array, depth: number): Record<string, unknown> {
  const env = readEnvelope(body);
  if (!env.kind) throw errors.badRequest('invalid protobuf body: the envelope names no kind');
  if (!env.apiVersion) throw errors.badRequest(`invalid protobuf body: the envelope names no apiVersion for kind "${env.kind}"`);
  if (env.contentEncoding) throw errors.badRequest(`invalid protobuf body: unsupported content encoding "${env.contentEncoding}"`);
  if (env.contentType && env.contentType.split(';')[0]!.trim() !== K8S_PROTOBUF_MEDIA_TYPE) {
    throw errors.badRequest(`invalid protobuf body: unsupported inner content type "${env.contentType}"`);
  }
  const def = kindMessage(env.apiVersion, env.kind);
  if (!def) {
    throw errors.badRequest(`no kind "${env.kind}" is registered for version "${env.apiVersion}" in skiff's protobuf decoder; send the object as JSON instead`);
  }
  try {
    const fields = decodeMessage(def, env.raw, {
      nested: (raw) => {
        if (depth >= 4) throw new WireError('protobuf objects embedded too deeply');
        return decodeEnvelope(raw, depth + 1);
      },
    });
    return { kind: env.kind, apiVersion: env.apiVersion, ...fields };
  } catch (e) {
    if (e instanceof DecodeError) throw errors.badRequest(`unable to decode protobuf body of ${env.apiVersion} ${env.kind}: ${e.message}`);
    if (e instanceof StatusError) throw e;
    throw errors.badRequest(`unable to decode protobuf body of ${env.apiVersion} ${env.kind}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Decodes a Kubernetes protobuf request body into its JSON object: `kind` and `apiVersion` set,
 * fields named and shaped as upstream's JSON serialization prints them. Malformed bytes and kinds
 * skiff does not decode raise a 400 BadRequest StatusError; nothing else is thrown.
 */
export function decodeK8sProtobuf(body: Buffer | Uint8Array): Record<string, unknown> {
  return decodeEnvelope(body, 0);
}
