// fieldValidation: unknown fields in a written object are an error (Strict), a warning (Warn,
// the default) or ignored, as upstream decides.

import { errors } from '../../api/errors.js';
import { unknownFields } from '../../api/openapi/index.js';
import { fieldValidation, type Scope } from './scope.js';

export function checkUnknownFields(s: Scope, obj: unknown): void {
  const mode = fieldValidation(s.query);
  if (mode === 'Ignore') return;
  const unknown = unknownFields(s.info.definition, obj);
  if (unknown.length === 0) return;
  if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  for (const f of unknown) s.warnings.push(`unknown field "${f}"`);
}
