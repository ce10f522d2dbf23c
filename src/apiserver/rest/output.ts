// Turning objects into the representation the client negotiated: the object itself (JSON or
// YAML), a meta.k8s.io Table, or PartialObjectMetadata(List).

import { stringify as toYaml } from 'yaml';
import { errors } from '../../api/errors.js';
import { toTable } from '../table/index.js';
import { sendJson } from '../http.js';
import type { KObject } from '../object.js';
import type { Scope } from './scope.js';

type IncludeObject = 'None' | 'Metadata' | 'Object';

export function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw errors.badRequest(`unrecognized includeObject value: "${v}"`);
}

function headers(s: Scope, contentType = 'application/json'): Record<string, string> {
  const h: Record<string, string> = { 'Content-Type': contentType };
  if (s.warnings.length) h['Warning'] = s.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
  return h;
}

export function partialMetadata(obj: { metadata?: unknown; apiVersion?: unknown; kind?: unknown }, version: string): object {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

/** Sends one object in the negotiated representation. */
export function sendObject(s: Scope, code: number, obj: KObject | string): void {
  const repr = s.repr;
  if (repr.as === 'object') {
    if (repr.yaml) {
      const text = toYaml(typeof obj === 'string' ? JSON.parse(obj) : obj);
      s.res.writeHead(code, { ...headers(s, 'application/yaml'), 'Content-Length': Buffer.byteLength(text) });
      s.res.end(text);
      return;
    }
    sendJson(s.res, code, typeof obj === 'string' ? obj : JSON.stringify(obj), headers(s));
    return;
  }
  const o = typeof obj === 'string' ? (JSON.parse(obj) as KObject) : obj;
  if (repr.as === 'Table') {
    const table = toTable(s.info, [o], { includeObject: includeObject(s.query) });
    sendJson(s.res, code, { ...table, apiVersion: `meta.k8s.io/${repr.version}`, metadata: { resourceVersion: o.metadata.resourceVersion } }, headers(s));
    return;
  }
  if (repr.as === 'PartialObjectMetadata' || repr.as === 'PartialObjectMetadataList') {
    sendJson(s.res, code, partialMetadata(o, repr.version), headers(s));
    return;
  }
  throw errors.notAcceptable();
}

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Above this size a list is streamed in chunks rather than built as one string. */
const streamAboveChars = 1 << 20;
const chunkChars = 256 * 1024;

/**
 * Writes head, the items joined by commas, then tail, in chunks that respect backpressure, so a
 * list of any size is sent without one giant string (V8 caps strings at ~512 MiB).
 */
async function streamJson(s: Scope, head: string, items: string[], tail: string): Promise<void> {
  const res = s.res;
  res.writeHead(200, { ...headers(s), 'Cache-Control': 'no-cache, private' });
  let buf = head;
  for (let i = 0; i < items.length; i++) {
    buf += i === 0 ? items[i] : ',' + items[i];
    if (buf.length >= chunkChars) {
      const more = res.write(buf);
      buf = '';
      if (!more) {
        if (res.destroyed) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        if (res.destroyed) return;
      }
    }
  }
  res.end(buf + tail);
}

/** Sends a list whose items are serialized object JSON, without re-serializing them. */
export async function sendList(s: Scope, items: string[], meta: ListMeta): Promise<void> {
  const repr = s.repr;
  const listMeta: Record<string, unknown> = { resourceVersion: meta.resourceVersion };
  if (meta.continue) listMeta.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) listMeta.remainingItemCount = meta.remainingItemCount;
  if (repr.as === 'object') {
    const head = `{"kind":${JSON.stringify(s.info.kind + 'List')},"apiVersion":${JSON.stringify(s.rs.apiVersion)},"metadata":${JSON.stringify(listMeta)},"items":[`;
    if (repr.yaml) {
      const text = toYaml(JSON.parse(head + items.join(',') + ']}'));
      s.res.writeHead(200, { ...headers(s, 'application/yaml'), 'Content-Length': Buffer.byteLength(text) });
      s.res.end(text);
      return;
    }
    let size = head.length;
    for (const item of items) size += item.length + 1;
    if (size > streamAboveChars) return streamJson(s, head, items, ']}');
    sendJson(s.res, 200, head + items.join(',') + ']}', headers(s));
    return;
  }
  const objs = items.map((j) => JSON.parse(j) as KObject);
  if (repr.as === 'Table') {
    const table = toTable(s.info, objs, { includeObject: includeObject(s.query) });
    sendJson(s.res, 200, { ...table, apiVersion: `meta.k8s.io/${repr.version}`, metadata: listMeta }, headers(s));
    return;
  }
  if (repr.as === 'PartialObjectMetadata' || repr.as === 'PartialObjectMetadataList') {
    sendJson(
      s.res,
      200,
      { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${repr.version}`, metadata: listMeta, items: objs.map((o) => partialMetadata(o, repr.version)) },
      headers(s),
    );
    return;
  }
  throw errors.notAcceptable();
}
