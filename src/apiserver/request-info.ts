// Parses a request path into what it addresses, like kube-apiserver's RequestInfo:
// /api/v1/namespaces/ns/pods/name/status → {group:'', version:'v1', namespace:'ns', resource:'pods', name:'name', subresource:'status'}.

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  kind: 'resource';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  verb: Verb;
}

export interface OtherRequest {
  kind: 'other';
  path: string;
  /** For /api, /apis, /apis/g and /apis/g/v (discovery): the parts after the prefix. */
  discovery?: { group?: string; version?: string; legacy: boolean };
}

export type RequestInfo = ResourceRequest | OtherRequest;

export function parseRequest(method: string, path: string, query: URLSearchParams): RequestInfo {
  const parts = path.split('/').filter((p) => p !== '');
  let rest: string[];
  let group = '';
  let version: string | undefined;
  if (parts[0] === 'api') {
    if (parts.length === 1) return { kind: 'other', path, discovery: { legacy: true } };
    version = parts[1];
    rest = parts.slice(2);
    if (rest.length === 0) return { kind: 'other', path, discovery: { legacy: true, version } };
  } else if (parts[0] === 'apis') {
    if (parts.length === 1) return { kind: 'other', path, discovery: { legacy: false } };
    group = parts[1]!;
    if (parts.length === 2) return { kind: 'other', path, discovery: { legacy: false, group } };
    version = parts[2];
    rest = parts.slice(3);
    if (rest.length === 0) return { kind: 'other', path, discovery: { legacy: false, group, version } };
  } else {
    return { kind: 'other', path };
  }
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest.map(decodeURIComponent);
  if (!resource || extra.length > 0) return { kind: 'other', path };
  const isWatch = watchPath || query.get('watch') === 'true' || query.get('watch') === '1';
  let verb: Verb;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = isWatch ? 'watch' : name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      return { kind: 'other', path };
  }
  const out: ResourceRequest = { kind: 'resource', group, version: version!, resource, verb };
  if (namespace !== undefined) out.namespace = decodeURIComponent(namespace);
  if (name !== undefined) out.name = name;
  if (subresource !== undefined) out.subresource = subresource;
  return out;
}
