// The documents served under /openapi/v3: the discovery index and one document per group-version
// with the paths of its resources (operations, query parameters, bodies) and every component
// schema they reach. Shapes follow upstream, because clients read them: `kubectl explain` finds
// the kind through an operation's `x-kubernetes-group-version-kind` and the schema carrying the
// same GVK; `kubectl apply` decides that server-side field validation is supported when the PATCH
// operation of the kind lists a `fieldValidation` query parameter.

import { createHash } from 'node:crypto';
import { builtinResources, groupVersion, type ResourceInfo } from '../resources.js';
import { loadSchemas } from './load.js';
import { reachable, ref, type GroupVersionKind, type Schemas } from './schema.js';

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'boolean' | 'integer'; uniqueItems: true };
}

export interface Operation {
  description: string;
  operationId: string;
  tags: string[];
  parameters?: Parameter[];
  requestBody?: RequestBody;
  responses: Record<string, Response>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': GroupVersionKind;
}

/** Media type → body schema, which is always a reference to a definition. */
export type Content = Record<string, { schema: { $ref: string } }>;
export interface RequestBody {
  content: Content;
  required?: boolean;
}
export interface Response {
  description: string;
  content?: Content;
}

export type PathItem = { parameters?: Parameter[] } & Partial<Record<'get' | 'put' | 'post' | 'patch' | 'delete', Operation>>;

const q = (name: string, type: Parameter['schema']['type'], description: string): Parameter => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const params = {
  pretty: q('pretty', 'string', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."),
  dryRun: q('dryRun', 'string', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed'),
  fieldManager: q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.'),
  patchFieldManager: q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).'),
  fieldValidation: q('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.'),
  force: q('force', 'boolean', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.'),
  gracePeriodSeconds: q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately. If this value is nil, the default grace period for the specified type will be used. Defaults to a per object value if not specified. zero means delete immediately.'),
  orphanDependents: q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned. If true/false, the "orphan" finalizer will be added to/removed from the object\'s finalizers list. Either this field or PropagationPolicy may be set, but not both.'),
  propagationPolicy: q('propagationPolicy', 'string', "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. The default policy is decided by the existing finalizer set in the metadata.finalizers and the resource-specific default policy. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground."),
  allowWatchBookmarks: q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion. Clients should not assume bookmarks are returned at any specific interval, nor may they assume the server will send any BOOKMARK event during a session. If this is not a watch, this field is ignored.'),
  continue: q('continue', 'string', 'The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue) and the server may reject a continue value it does not recognize. If the specified continue value is no longer valid whether due to expiration (generally five to fifteen minutes) or a configuration change on the server, the server will respond with a 410 ResourceExpired error together with a continue token.'),
  fieldSelector: q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  labelSelector: q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  limit: q('limit', 'integer', 'limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results. Setting a limit may return fewer than the requested amount of items (up to zero items) in the event all requested objects are filtered out and clients should only use the presence of the continue field to determine whether more results are available.'),
  resourceVersion: q('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  resourceVersionMatch: q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls. It is highly recommended that resourceVersionMatch be set for list calls where resourceVersion is set See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.\n\nDefaults to unset'),
  sendInitialEvents: q('sendInitialEvents', 'boolean', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection. Once all such events have been sent, a synthetic "Bookmark" event will be sent.'),
  timeoutSeconds: q('timeoutSeconds', 'integer', 'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.'),
  watch: q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'),
};

const listParams = [
  params.allowWatchBookmarks, params.continue, params.fieldSelector, params.labelSelector, params.limit,
  params.resourceVersion, params.resourceVersionMatch, params.sendInitialEvents, params.timeoutSeconds, params.watch,
];
const writeParams = [params.dryRun, params.fieldManager, params.fieldValidation];
const patchParams = [params.dryRun, params.patchFieldManager, params.fieldValidation, params.force];
const deleteParams = [params.dryRun, params.gracePeriodSeconds, params.orphanDependents, params.propagationPolicy];

const namespaceParam: Parameter = {
  name: 'namespace',
  in: 'path',
  description: 'object name and auth scope, such as for teams and projects',
  required: true,
  schema: { type: 'string', uniqueItems: true },
};
const nameParam = (kind: string): Parameter => ({
  name: 'name',
  in: 'path',
  description: `name of the ${kind}`,
  required: true,
  schema: { type: 'string', uniqueItems: true },
});

const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const jsonTypes = ['application/json', 'application/yaml'];

function content(definition: string, types = jsonTypes): Content {
  return Object.fromEntries(types.map((t) => [t, { schema: { $ref: ref(definition) } }]));
}
function body(definition: string, types = jsonTypes): RequestBody {
  return { content: content(definition, types), required: true };
}
function responses(codes: Record<string, string>, definition: string): Record<string, Response> {
  const text: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted' };
  const out: Record<string, Response> = {};
  for (const [code, def] of Object.entries(codes)) out[code] = { content: content(def === '' ? definition : def), description: text[code] ?? '' };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

/** 'rbac.authorization.k8s.io' → ['rbac', 'authorization']; core → ['core']. */
function groupWords(group: string): string[] {
  return group === '' ? ['core'] : group.replace(/\.k8s\.io$/, '').split('.');
}
const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** '/api/v1' or '/apis/apps/v1'. */
function prefixOf(gv: string): string {
  return gv.includes('/') ? `/apis/${gv}` : `/api/${gv}`;
}

/** The key of a group-version in the /openapi/v3 index: 'api/v1', 'apis/apps/v1'. */
export function openapiV3Path(gv: string): string {
  return prefixOf(gv).slice(1);
}

/** Inverse of openapiV3Path: 'apis/apps/v1' → 'apps/v1'; anything else → undefined. */
export function groupVersionOfOpenapiPath(path: string): string | undefined {
  const p = path.replace(/^\/+/, '').replace(/^openapi\/v3\//, '');
  const m = /^api\/([^/]+)$/.exec(p) ?? /^apis\/([^/]+\/[^/]+)$/.exec(p);
  return m?.[1];
}

/** The paths upstream documents for one resource, keyed by path template. */
export function resourcePaths(r: ResourceInfo): Record<string, PathItem> {
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const words = groupWords(r.group);
  const id = (verb: string, suffix = '') =>
    `${verb}${words.map(cap).join('')}${cap(r.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}${suffix}`;
  const tags = [`${words[0]}${words.slice(1).map(cap).join('')}_${r.version}`];
  const op = (action: string, operationId: string, description: string, rest: Partial<Operation>, kind = gvk): Operation => ({
    description,
    operationId,
    tags,
    ...rest,
    responses: rest.responses ?? {},
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
  });
  const base = `${prefixOf(groupVersion(r))}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  const scope = r.namespaced ? [namespaceParam] : [];
  const itemScope = [nameParam(r.kind), ...scope, params.pretty];
  const paths: Record<string, PathItem> = {};
  const def = r.definition;

  if (r.group === '' && r.kind === 'Binding') {
    paths[base] = {
      parameters: [...scope, params.pretty],
      post: op('post', id('create'), `create a ${r.kind}`, { parameters: writeParams, requestBody: body(def), responses: responses({ '200': '', '201': '', '202': '' }, def) }),
    };
    return paths;
  }

  paths[base] = {
    parameters: [...scope, params.pretty],
    get: op('list', id('list'), `list or watch objects of kind ${r.kind}`, { parameters: listParams, responses: responses({ '200': def + 'List' }, def) }),
    post: op('post', id('create'), `create a ${r.kind}`, { parameters: writeParams, requestBody: body(def), responses: responses({ '200': '', '201': '', '202': '' }, def) }),
    delete: op('deletecollection', id('deleteCollection'), `delete collection of ${r.kind}`, {
      parameters: [...listParams.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...deleteParams],
      requestBody: { content: content(meta + 'DeleteOptions') },
      responses: responses({ '200': meta + 'Status' }, def),
    }),
  };
  paths[`${base}/{name}`] = {
    parameters: itemScope,
    get: op('get', id('read'), `read the specified ${r.kind}`, { responses: responses({ '200': '' }, def) }),
    put: op('put', id('replace'), `replace the specified ${r.kind}`, { parameters: writeParams, requestBody: body(def), responses: responses({ '200': '', '201': '' }, def) }),
    patch: op('patch', id('patch'), `partially update the specified ${r.kind}`, { parameters: patchParams, requestBody: patchBody(), responses: responses({ '200': '', '201': '' }, def) }),
    delete: op('delete', id('delete'), `delete a ${r.kind}`, {
      parameters: deleteParams,
      requestBody: { content: content(meta + 'DeleteOptions') },
      responses: responses({ '200': meta + 'Status', '202': meta + 'Status' }, def),
    }),
  };
  if (r.namespaced) {
    paths[`${prefixOf(groupVersion(r))}/${r.plural}`] = {
      parameters: [...listParams, params.pretty],
      get: op('list', `list${words.map(cap).join('')}${cap(r.version)}${r.kind}ForAllNamespaces`, `list or watch objects of kind ${r.kind}`, {
        responses: responses({ '200': def + 'List' }, def),
      }),
    };
  }
  for (const sub of r.subresources) {
    const path = `${base}/{name}/${sub}`;
    switch (sub) {
      case 'status':
      case 'scale': {
        const subDef = sub === 'scale' ? 'io.k8s.api.autoscaling.v1.Scale' : def;
        const kind = sub === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
        const Sub = cap(sub);
        paths[path] = {
          parameters: itemScope,
          get: op('get', id('read', Sub), `read ${sub} of the specified ${r.kind}`, { responses: responses({ '200': subDef }, def) }, kind),
          put: op('put', id('replace', Sub), `replace ${sub} of the specified ${r.kind}`, { parameters: writeParams, requestBody: body(subDef), responses: responses({ '200': subDef, '201': subDef }, def) }, kind),
          patch: op('patch', id('patch', Sub), `partially update ${sub} of the specified ${r.kind}`, { parameters: patchParams, requestBody: patchBody(), responses: responses({ '200': subDef, '201': subDef }, def) }, kind),
        };
        break;
      }
      case 'binding':
      case 'eviction': {
        const subDef = sub === 'binding' ? 'io.k8s.api.core.v1.Binding' : 'io.k8s.api.policy.v1.Eviction';
        const kind = sub === 'binding' ? { group: '', version: 'v1', kind: 'Binding' } : { group: 'policy', version: 'v1', kind: 'Eviction' };
        paths[path] = {
          parameters: [nameParam(kind.kind), ...scope, params.pretty],
          post: op('post', id('create', cap(sub)), `create ${kind.kind.toLowerCase()} of a ${r.kind}`, { parameters: writeParams, requestBody: body(subDef), responses: responses({ '200': subDef, '201': subDef, '202': subDef }, def) }, kind),
        };
        break;
      }
    }
  }
  return paths;
}

function patchBody(): RequestBody {
  const patch = meta + 'Patch';
  return {
    content: content(patch, ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']),
    required: true,
  };
}

/** Definitions a document for these resources needs, before following references. */
export function roots(schemas: Schemas, resources: ResourceInfo[]): string[] {
  const out = [meta + 'DeleteOptions', meta + 'Status', meta + 'Patch'];
  for (const r of resources) {
    out.push(r.definition);
    if (schemas[r.definition + 'List']) out.push(r.definition + 'List');
    if (r.subresources.includes('scale')) out.push('io.k8s.api.autoscaling.v1.Scale');
    if (r.subresources.includes('binding')) out.push('io.k8s.api.core.v1.Binding');
    if (r.subresources.includes('eviction')) out.push('io.k8s.api.policy.v1.Eviction');
  }
  return out;
}

const documents = new Map<string, { body: string; hash: string }>();

/**
 * The OpenAPI v3 document of one group-version ('v1', 'apps/v1') covering `resources` (those
 * of other group-versions are ignored), serialized, with its content hash (upper-case hex
 * SHA-512, as upstream). Computed once per group-version and resource set.
 */
export function openapiV3Document(gv: string, resources: ResourceInfo[]): { body: string; hash: string } {
  const mine = resources.filter((r) => groupVersion(r) === gv);
  const key = `${gv}|${mine.map((r) => r.plural).join(',')}`;
  const hit = documents.get(key);
  if (hit) return hit;
  const schemas = loadSchemas();
  const paths: Record<string, PathItem> = {};
  for (const r of [...mine].sort((a, b) => a.plural.localeCompare(b.plural))) Object.assign(paths, resourcePaths(r));
  const components: Schemas = {};
  for (const name of reachable(schemas, roots(schemas, mine))) components[name] = schemas[name] as Schemas[string];
  const doc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: {
      schemas: components,
      securitySchemes: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    },
    security: [{ BearerToken: [] }],
  };
  const body = JSON.stringify(doc);
  const result = { body, hash: createHash('sha512').update(body).digest('hex').toUpperCase() };
  documents.set(key, result);
  return result;
}

/**
 * The body of `GET /openapi/v3`: for each group-version, the URL of its document with the hash
 * of its current content. `resources` must be the set the documents are served from.
 */
export function openapiV3Discovery(groupVersions: string[], resources: ResourceInfo[] = builtinResources): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions) {
    const { hash } = openapiV3Document(gv, resources);
    paths[openapiV3Path(gv)] = { serverRelativeURL: `/openapi/v3/${openapiV3Path(gv)}?hash=${hash}` };
  }
  return { paths };
}
