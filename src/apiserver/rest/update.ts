// PUT of an object or of its status, scale or finalize subresource.

import { errors } from '../../api/errors.js';
import { decodeBody, readBody } from '../http.js';
import { asKObject } from '../object.js';
import { sendObject } from './output.js';
import { checkDecodedFields } from './fields.js';
import { fromScale, toScale } from './scale.js';
import { opContext, requireNamespace, type Scope } from './scope.js';

export async function update(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  const name = s.rr.name;
  if (name === undefined) throw errors.methodNotAllowed('PUT', s.info.plural);
  const sub = s.rr.subresource;
  const body = decodeBody(await readBody(s.req), s.req.headers['content-type']);
  if (sub === 'scale') {
    const { obj } = await s.rs.update(ns, name, (cur) => {
      if (!cur) throw s.rs.notFound(name);
      return fromScale(s, cur, body);
    }, opContext(s), 'scale');
    sendObject(s, 200, toScale(s, obj));
    return;
  }
  if (sub !== undefined && sub !== 'status' && !(sub === 'finalize' && s.info.kind === 'Namespace')) throw errors.notFoundPath();
  const obj = asKObject(body, s.rs.apiVersion, s.info.kind);
  checkDecodedFields(s, obj);
  const { obj: out, created } = await s.rs.update(ns, name, () => structuredClone(obj), opContext(s), sub);
  sendObject(s, created ? 201 : 200, out);
}
