// DELETE of one object, and of a collection (deletecollection) selected like a list.

import { errors } from '../../api/errors.js';
import { decodeBody, readBody, sendJson } from '../http.js';
import { isPlainObject } from '../object.js';
import { typeError } from '../../api/openapi/index.js';
import type { DeleteOptions } from '../registry.js';
import { checkNamespaceDeletable } from '../kinds.js';
import { sendObject } from './output.js';
import { predicateFor } from './select.js';
import { intParam, opContext, requireNamespace, type Scope } from './scope.js';

async function deleteOptions(s: Scope): Promise<DeleteOptions> {
  const opts: DeleteOptions = {};
  const buf = await readBody(s.req);
  if (buf.length > 0 && buf.toString().trim() !== '') {
    const body = decodeBody(buf, s.req.headers['content-type']);
    if (!isPlainObject(body)) throw errors.badRequest('the body of a DELETE must be a DeleteOptions object');
    if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw errors.badRequest(`the body of a DELETE must be a DeleteOptions object, not ${JSON.stringify(body.kind)}`);
    const wrongType = typeError('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', body);
    if (wrongType) throw errors.badRequest(wrongType);
    if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
      if (typeof body.gracePeriodSeconds !== 'number' || !Number.isInteger(body.gracePeriodSeconds)) throw errors.badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = body.gracePeriodSeconds;
    }
    if (typeof body.propagationPolicy === 'string') opts.propagationPolicy = body.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (typeof body.orphanDependents === 'boolean') opts.orphanDependents = body.orphanDependents;
    if (isPlainObject(body.preconditions)) opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
    if (Array.isArray(body.dryRun)) for (const d of body.dryRun) s.query.append('dryRun', String(d));
  }
  const grace = intParam(s.query, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const policy = s.query.get('propagationPolicy');
  if (policy) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const orphan = s.query.get('orphanDependents');
  if (orphan) opts.orphanDependents = orphan === 'true';
  if (opts.propagationPolicy && !['Foreground', 'Background', 'Orphan'].includes(opts.propagationPolicy)) {
    throw errors.invalid('DeleteOptions', '', '', [
      { type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` },
    ]);
  }
  if (opts.propagationPolicy && opts.orphanDependents !== undefined) {
    throw errors.invalid('DeleteOptions', '', '', [
      { type: 'FieldValueInvalid', field: 'propagationPolicy', message: 'Invalid value: "' + opts.propagationPolicy + '": orphanDependents and deletionPropagation cannot be both set' },
    ]);
  }
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 0;
  return opts;
}

export async function remove(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  const name = s.rr.name!;
  if (s.rr.subresource !== undefined) throw errors.methodNotAllowed('DELETE', `${s.info.plural}/${s.rr.subresource}`);
  if (s.info.kind === 'Namespace' && s.info.group === '') checkNamespaceDeletable(name);
  const opts = await deleteOptions(s);
  const { obj, deleted } = await s.rs.delete(ns, name, opts, opContext(s));
  if (!deleted || s.rs.returnsDeletedObject) {
    sendObject(s, 200, obj);
    return;
  }
  sendJson(s.res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, ...(s.info.group ? { group: s.info.group } : {}), kind: s.info.plural, uid: obj.metadata.uid },
  });
}

export async function removeCollection(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  if (s.info.namespaced && ns === undefined) throw errors.notFoundPath();
  const opts = await deleteOptions(s);
  const pred = predicateFor(s);
  const ctx = opContext(s);
  const items: string[] = [];
  const targets = [...s.rc.entries.values()].filter(pred);
  for (const e of targets) {
    if (s.info.kind === 'Namespace' && s.info.group === '') continue;
    try {
      const { obj } = await s.rs.delete(e.namespace || undefined, e.name, opts, ctx);
      items.push(JSON.stringify(obj));
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
  }
  sendJson(s.res, 200, `{"kind":${JSON.stringify(s.info.kind + 'List')},"apiVersion":${JSON.stringify(s.rs.apiVersion)},"metadata":{},"items":[${items.join(',')}]}`);
}
