// fieldValidation: unknown fields in a written object are an error (Strict), a warning (Warn,
// the default) or ignored, as upstream decides.

import { errors } from '../../api/errors.js';
import { pruneUnknownFields, typeError, unknownFields } from '../../api/openapi/index.js';
import { fieldValidation, type Scope } from './scope.js';

/**
 * Decoding checks on a written object: wrongly typed fields are a 400; fields the schema does
 * not know are rejected (Strict) or dropped (Warn, Ignore), as upstream's decoder does.
 */
export function checkDecodedFields(s: Scope, obj: unknown): void {
  const wrongType = typeError(s.info.definition, obj);
  if (wrongType) throw errors.badRequest(`${s.info.kind} in version "${s.info.version}" cannot be handled as a ${s.info.kind}: ${wrongType}`);
  const mode = fieldValidation(s.query);
  if (mode === 'Strict') {
    const unknown = unknownFields(s.info.definition, obj);
    if (unknown.length) throw errors.badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    return;
  }
  const dropped = pruneUnknownFields(s.info.definition, obj);
  if (mode === 'Warn') for (const f of dropped) s.warnings.push(`unknown field "${f}"`);
}
