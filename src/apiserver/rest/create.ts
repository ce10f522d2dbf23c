// POST on a collection (create), and on the subresources that accept POST (binding, eviction).

import { errors } from '../../api/errors.js';
import { decodeBody, readBody } from '../http.js';
import { asKObject } from '../object.js';
import { sendObject } from './output.js';
import { checkDecodedFields } from './fields.js';
import { opContext, requireNamespace, type Scope } from './scope.js';
import { bind, evict } from './pod-subresources.js';

export async function create(s: Scope): Promise<void> {
  if (s.rr.subresource === 'binding' && s.info.kind === 'Pod') return bind(s);
  if (s.rr.subresource === 'eviction' && s.info.kind === 'Pod') return evict(s);
  if (s.info.kind === 'Binding' && s.info.group === '') return bind(s);
  if (s.rr.name !== undefined) throw errors.methodNotAllowed('POST', s.info.plural);
  const ns = requireNamespace(s);
  if (s.info.namespaced && ns === undefined) throw errors.notFoundPath();
  const obj = asKObject(decodeBody(await readBody(s.req), s.req.headers['content-type']), s.rs.apiVersion, s.info.kind);
  checkDecodedFields(s, obj);
  const created = await s.rs.create(ns, obj, opContext(s));
  sendObject(s, 201, created);
}
