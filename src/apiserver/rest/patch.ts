// PATCH of an object or of its status or scale subresource, in the three patch formats.
// The patch is applied to the current object inside the update loop, so a concurrent write
// makes it re-apply to the newer object rather than fail.

import { errors } from '../../api/errors.js';
import { applyJsonPatch } from '../../api/patch/json.js';
import { applyMergePatch } from '../../api/patch/merge.js';
import { applyStrategicMergePatch } from '../../api/patch/strategic.js';
import { decodeBody, mediaType, readBody } from '../http.js';
import { asKObject } from '../object.js';
import { sendObject } from './output.js';
import { checkDecodedFields } from './fields.js';
import { fromScale, toScale } from './scale.js';
import { opContext, requireNamespace, type Scope } from './scope.js';

const patchTypes = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

export async function patch(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  const name = s.rr.name;
  if (name === undefined) throw errors.methodNotAllowed('PATCH', s.info.plural);
  const type = mediaType(s.req.headers['content-type']);
  if (!patchTypes.includes(type)) throw errors.unsupportedMediaType(patchTypes);
  const body = decodeBody(await readBody(s.req), 'application/json');
  const sub = s.rr.subresource;
  if (sub !== undefined && sub !== 'status' && sub !== 'scale') throw errors.notFoundPath();

  const applyTo = (doc: object, definition: string): unknown => {
    switch (type) {
      case 'application/json-patch+json':
        return applyJsonPatch(doc, body);
      case 'application/merge-patch+json':
        return applyMergePatch(doc, body);
      default:
        return applyStrategicMergePatch(doc, body, definition);
    }
  };

  const { obj } = await s.rs.update(
    ns,
    name,
    (cur) => {
      if (!cur) throw s.rs.notFound(name);
      if (sub === 'scale') return fromScale(s, cur, applyTo(toScale(s, cur), 'io.k8s.api.autoscaling.v1.Scale'));
      const patched = asKObject(applyTo(cur, s.info.definition), s.rs.apiVersion, s.info.kind);
      checkDecodedFields(s, patched);
      return patched;
    },
    opContext(s),
    sub,
  );
  sendObject(s, 200, sub === 'scale' ? toScale(s, obj) : obj);
}
