// Runtime entry point of skiff's OpenAPI support: the component schemas of every built-in type,
// the documents served under /openapi/v3, and unknown-field detection for fieldValidation.

import { loadSchemas } from './load.js';
import { findUnknownFields } from './unknown.js';

export type { GroupVersionKind, ListType, PatchStrategy, Schema, Schemas } from './schema.js';
export { loadSchemas } from './load.js';
export { typeError } from './typecheck.js';
export { groupVersionOfOpenapiPath, openapiV3Discovery, openapiV3Document, openapiV3Path } from './document.js';
export { openapiV2Document, openapiV2ProtobufAccept, openapiV2ProtobufType, type OpenapiV2 } from './v2.js';

/**
 * Paths of the fields of `obj` that the schema of `definition` does not know, e.g.
 * `spec.containers[0].imagee`, in document order. Unknown definitions yield none.
 * Upstream's Strict error for each is `unknown field "<path>"`.
 */
export function unknownFields(definition: string, obj: unknown): string[] {
  return findUnknownFields(loadSchemas(), definition, obj, false);
}

/**
 * Removes unknown fields from `obj` in place (what upstream's decoder does in the Warn and Ignore
 * modes) and returns their paths.
 */
export function pruneUnknownFields(definition: string, obj: unknown): string[] {
  return findUnknownFields(loadSchemas(), definition, obj, true);
}
