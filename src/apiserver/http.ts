// HTTP plumbing shared by every handler: bounded body reading, decoding JSON/YAML, content
// negotiation (plain JSON, Table, PartialObjectMetadata, aggregated discovery) and responses.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { errors, StatusError } from '../api/errors.js';
import { decodeK8sProtobuf, isK8sProtobuf, K8S_PROTOBUF_MEDIA_TYPE } from '../api/protobuf/index.js';

/** kube-apiserver's default request body limit. */
export const maxBodyBytes = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = maxBodyBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      req.resume();
      reject(errors.tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(errors.tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', (e) => failed || reject(e));
  });
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes a JSON, YAML or Kubernetes protobuf body; a parse error is a 400 naming what was wrong. */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (isK8sProtobuf(contentType)) return decodeK8sProtobuf(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw errors.badRequest('the request body is empty: expected a JSON or YAML object');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return parseYaml(text, { maxAliasCount: 100 });
    } catch (err) {
      throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw errors.unsupportedMediaType(['application/json', 'application/yaml', K8S_PROTOBUF_MEDIA_TYPE]);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export type Representation =
  | { as: 'object'; yaml: boolean }
  | { as: 'Table'; version: 'v1' | 'v1beta1' }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList'; version: 'v1' | 'v1beta1' }
  | { as: 'APIGroupDiscoveryList'; version: 'v2' | 'v2beta1' };

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [{ type: '*/*', params: {} }];
  return accept.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params: p };
  });
}

/** Picks the first representation in the Accept header that we serve, in the client's order. */
export function negotiate(accept: string | undefined): Representation {
  for (const m of parseAccept(accept)) {
    const json = m.type === 'application/json' || m.type === 'application/*' || m.type === '*/*';
    if (m.params.as) {
      if (m.type !== 'application/json') continue;
      const g = m.params.g;
      const v = m.params.v;
      if (m.params.as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) return { as: 'Table', version: v };
      if ((m.params.as === 'PartialObjectMetadata' || m.params.as === 'PartialObjectMetadataList') && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) {
        return { as: m.params.as, version: v };
      }
      if (m.params.as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) return { as: 'APIGroupDiscoveryList', version: v };
      continue;
    }
    if (json) return { as: 'object', yaml: false };
    if (m.type === 'application/yaml') return { as: 'object', yaml: true };
  }
  throw errors.notAcceptable();
}

export function sendJson(res: ServerResponse, code: number, body: string | object, extraHeaders: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', ...extraHeaders, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

export function sendError(res: ServerResponse, err: StatusError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}
