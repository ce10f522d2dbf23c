// The OpenAPI v2 (Swagger 2.0) document served at /openapi/v2, derived from the v3 one. kubectl
// up to 1.27 reads it (as gnostic protobuf, `Accept:
// application/com.github.proto-openapi.spec.v2@v1.0+protobuf`) before `explain`, and for
// client-side validation; newer clients use /openapi/v3. v2 differs from v3 in form only:
// references are `#/definitions/NAME` next to their description (no `allOf`), bodies are `in:
// body` parameters, and responses carry one schema.

import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { builtinResources, type ResourceInfo } from '../resources.js';
import { resourcePaths, roots, type Operation, type Parameter, type PathItem } from './document.js';
import { loadSchemas } from './load.js';
import { ProtoWriter } from './protobuf.js';
import { reachable, refPrefix, type Schema } from './schema.js';

/** What clients put in Accept to ask for the protobuf form. */
export const openapiV2ProtobufAccept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type to answer it with: upstream's spelling, which Go's mime parser accepts (no '@'). */
export const openapiV2ProtobufType = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** A v2 schema: a v3 one without `allOf`/`default`, references rewritten. */
interface V2Schema {
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  required?: string[];
  items?: V2Schema;
  additionalProperties?: V2Schema | boolean;
  properties?: Record<string, V2Schema>;
  [extension: `x-${string}`]: unknown;
}

interface V2Parameter {
  name: string;
  in: 'path' | 'query' | 'body';
  description?: string;
  required?: boolean;
  type?: string;
  uniqueItems?: boolean;
  schema?: V2Schema;
}

interface V2Operation {
  description: string;
  operationId: string;
  tags: string[];
  consumes?: string[];
  produces: string[];
  schemes: string[];
  parameters?: V2Parameter[];
  responses: Record<string, { description: string; schema?: V2Schema }>;
  [extension: `x-${string}`]: unknown;
}

type V2PathItem = { parameters?: V2Parameter[] } & Partial<Record<'get' | 'put' | 'post' | 'patch' | 'delete', V2Operation>>;

const v2Ref = (r: string): string => '#/definitions/' + r.slice(refPrefix.length);

function toV2(s: Schema): V2Schema {
  const out: V2Schema = {};
  const target = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]?.$ref : undefined);
  if (target) out.$ref = v2Ref(target);
  if (s.description !== undefined) out.description = s.description;
  if (!target) {
    if (s.type) out.type = s.type;
    if (s.format) out.format = s.format;
    if (s.required) out.required = s.required;
    if (s.items) out.items = toV2(s.items);
    if (s.additionalProperties !== undefined) {
      out.additionalProperties = typeof s.additionalProperties === 'boolean' ? s.additionalProperties : toV2(s.additionalProperties);
    }
    if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toV2(v)]));
  }
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) out[k as `x-${string}`] = v;
  return out;
}

function paramToV2(p: Parameter): V2Parameter {
  const out: V2Parameter = { name: p.name, in: p.in, description: p.description, type: p.schema.type, uniqueItems: true };
  if (p.required) out.required = true;
  return out;
}

function opToV2(op: Operation): V2Operation {
  const parameters = (op.parameters ?? []).map(paramToV2);
  if (op.requestBody) {
    const [first] = Object.values(op.requestBody.content);
    const body: V2Parameter = { name: 'body', in: 'body', schema: { $ref: v2Ref(first?.schema.$ref ?? '') } };
    if (op.requestBody.required) body.required = true;
    parameters.unshift(body);
  }
  const responses: V2Operation['responses'] = {};
  for (const [code, r] of Object.entries(op.responses)) {
    const [first] = Object.values(r.content ?? {});
    responses[code] = first ? { description: r.description, schema: { $ref: v2Ref(first.schema.$ref) } } : { description: r.description };
  }
  const out: V2Operation = {
    description: op.description,
    operationId: op.operationId,
    tags: op.tags,
    produces: ['application/json', 'application/yaml'],
    schemes: ['https'],
    responses,
    'x-kubernetes-action': op['x-kubernetes-action'],
    'x-kubernetes-group-version-kind': op['x-kubernetes-group-version-kind'],
  };
  if (op.requestBody) out.consumes = Object.keys(op.requestBody.content);
  if (parameters.length) out.parameters = parameters;
  return out;
}

const methods = ['get', 'put', 'post', 'delete', 'patch'] as const;

function pathToV2(item: PathItem): V2PathItem {
  const out: V2PathItem = {};
  for (const m of methods) {
    const op = item[m];
    if (op) out[m] = opToV2(op);
  }
  if (item.parameters) out.parameters = item.parameters.map(paramToV2);
  return out;
}

// --- gnostic protobuf encoding (field numbers of openapi.v2 in OpenAPIv2.proto) ---

function extensions(w: ProtoWriter, field: number, obj: object): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!k.startsWith('x-')) continue;
    w.message(field, new ProtoWriter().string(1, k).message(2, new ProtoWriter().string(2, stringify(v))));
  }
}

function encodeSchema(s: V2Schema): ProtoWriter {
  const w = new ProtoWriter().string(1, s.$ref).string(2, s.format).string(4, s.description).strings(19, s.required);
  if (typeof s.additionalProperties === 'object') w.message(21, new ProtoWriter().message(1, encodeSchema(s.additionalProperties)));
  else if (s.additionalProperties === true) w.message(21, new ProtoWriter().bool(2, true));
  if (s.type) w.message(22, new ProtoWriter().strings(1, [s.type]));
  if (s.items) w.message(23, new ProtoWriter().message(1, encodeSchema(s.items)));
  if (s.properties) {
    const props = new ProtoWriter();
    for (const [k, v] of Object.entries(s.properties)) props.message(1, new ProtoWriter().string(1, k).message(2, encodeSchema(v)));
    w.message(25, props);
  }
  extensions(w, 31, s);
  return w;
}

function encodeParameter(p: V2Parameter): ProtoWriter {
  let param: ProtoWriter;
  if (p.in === 'body') {
    const body = new ProtoWriter().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (p.schema) body.message(5, encodeSchema(p.schema));
    param = new ProtoWriter().message(1, body);
  } else {
    // Query and path sub-schemas share fields 1-4; type is 6 for query, 5 for path.
    const sub = new ProtoWriter().bool(1, p.required).string(2, p.in).string(3, p.description).string(4, p.name);
    if (p.in === 'query') sub.string(6, p.type).bool(20, p.uniqueItems);
    else sub.string(5, p.type).bool(19, p.uniqueItems);
    param = new ProtoWriter().message(2, new ProtoWriter().message(p.in === 'query' ? 3 : 4, sub));
  }
  return new ProtoWriter().message(1, param);
}

function encodeOperation(op: V2Operation): ProtoWriter {
  const w = new ProtoWriter().strings(1, op.tags).string(3, op.description).string(5, op.operationId).strings(6, op.produces).strings(7, op.consumes);
  for (const p of op.parameters ?? []) w.message(8, encodeParameter(p));
  const responses = new ProtoWriter();
  for (const [code, r] of Object.entries(op.responses)) {
    const resp = new ProtoWriter().string(1, r.description);
    if (r.schema) resp.message(2, new ProtoWriter().message(1, encodeSchema(r.schema)));
    responses.message(1, new ProtoWriter().string(1, code).message(2, new ProtoWriter().message(1, resp)));
  }
  w.message(9, responses).strings(10, op.schemes);
  extensions(w, 13, op);
  return w;
}

function encodePathItem(item: V2PathItem): ProtoWriter {
  const w = new ProtoWriter();
  const fields = { get: 2, put: 3, post: 4, delete: 5, patch: 8 } as const;
  for (const m of methods) {
    const op = item[m];
    if (op) w.message(fields[m], encodeOperation(op));
  }
  for (const p of item.parameters ?? []) w.message(9, encodeParameter(p));
  return w;
}

interface V2Document {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, V2PathItem>;
  definitions: Record<string, V2Schema>;
}

function encodeDocument(doc: V2Document): Buffer {
  const paths = new ProtoWriter();
  for (const [k, v] of Object.entries(doc.paths)) paths.message(2, new ProtoWriter().string(1, k).message(2, encodePathItem(v)));
  const defs = new ProtoWriter();
  for (const [k, v] of Object.entries(doc.definitions)) defs.message(1, new ProtoWriter().string(1, k).message(2, encodeSchema(v)));
  return new ProtoWriter()
    .string(1, doc.swagger)
    .message(2, new ProtoWriter().string(1, doc.info.title).string(2, doc.info.version))
    .message(8, paths)
    .message(9, defs)
    .finish();
}

export interface OpenapiV2 {
  json: string;
  protobuf: Buffer;
  /** Quoted content hash for the ETag header, as upstream serves it. */
  etag: string;
}

const cache = new Map<string, OpenapiV2>();

/** The /openapi/v2 document for `resources`, as JSON and as gnostic protobuf. Computed once. */
export function openapiV2Document(resources: ResourceInfo[] = builtinResources): OpenapiV2 {
  const key = resources.map((r) => `${r.group}/${r.version}/${r.plural}`).join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const schemas = loadSchemas();
  const paths: Record<string, V2PathItem> = {};
  for (const r of resources) for (const [p, item] of Object.entries(resourcePaths(r))) paths[p] = pathToV2(item);
  const definitions: Record<string, V2Schema> = {};
  for (const name of reachable(schemas, roots(schemas, resources))) definitions[name] = toV2(schemas[name] as Schema);
  const doc: V2Document = { swagger: '2.0', info: { title: 'Kubernetes', version: 'unversioned' }, paths, definitions };
  const json = JSON.stringify(doc);
  const result = { json, protobuf: encodeDocument(doc), etag: `"${createHash('sha512').update(json).digest('hex').toUpperCase()}"` };
  cache.set(key, result);
  return result;
}
