// JSON Patch (RFC 6902, `application/json-patch+json`) with upstream's error behaviour: a body
// that is not a list of operations is a 400 BadRequest; an operation that cannot be applied (a
// failed `test`, a missing path, a bad index) is a 422 Invalid with upstream's generic message,
// the reason of the failure (worded like upstream's json-patch library) in the details.

import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { errors, StatusError } from '../errors.js';

const ops = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** Validates the decoded body's shape: a list of objects, as upstream's decoder requires. */
function decode(body: unknown): Operation[] {
  if (!Array.isArray(body)) throw errors.badRequest(`json: cannot unmarshal ${goType(body)} into Go value of type jsonpatch.Patch`);
  for (const op of body) {
    if (typeof op !== 'object' || op === null || Array.isArray(op)) {
      throw errors.badRequest(`json: cannot unmarshal ${goType(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  return body as Operation[];
}

function notApplied(reason: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'FieldValueInvalid', message: reason }],
  });
}

/** The reason for a failed operation, in the words of upstream's library. */
function reasonOf(e: { name?: string; message: string }, op: Partial<Record<'op' | 'path' | 'from', unknown>>): string {
  const path = String(op.path ?? '');
  const key = path.slice(path.lastIndexOf('/') + 1);
  switch (e.name) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      if (op.op === 'remove') return `Unable to remove nonexistent key: ${key}: missing value`;
      if (op.op === 'test') return `test operation does not apply: is missing path: ${path}: missing value`;
      return `${String(op.op)} operation does not apply: doc is missing key: ${path}: missing value`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `${String(op.op)} operation does not apply: doc is missing from path: ${String(op.from)}: missing value`;
    case 'OPERATION_PATH_CANNOT_ADD':
      return `add operation does not apply: doc is missing path: "${path}": missing value`;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return `Unable to access invalid index: ${key}: invalid index referenced`;
    case 'OPERATION_OP_INVALID':
      return `Unexpected kind: ${String(op.op)}`;
    case 'OPERATION_VALUE_REQUIRED':
      return `${String(op.op)} operation does not apply: missing value`;
    default:
      return e.message.split('\n')[0] ?? e.message;
  }
}

/** Whether the parent of a JSON pointer exists (the pointer's last token may be missing). */
function parentExists(doc: unknown, path: string): boolean {
  const parent = path.slice(0, path.lastIndexOf('/'));
  try {
    return parent === '' || jsonpatch.getValueByPointer(doc, parent) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Applies `body` (the decoded request body) to a copy of `doc`; neither argument is modified, so
 * a caller may re-apply the same patch to a newer object after a conflict.
 */
export function applyJsonPatch(doc: unknown, body: unknown): unknown {
  const operations = decode(body);
  let current: unknown = structuredClone(doc);
  operations.forEach((op, index) => {
    const raw = op as Partial<Record<'op' | 'path' | 'from' | 'value', unknown>>;
    if (typeof raw.op !== 'string' || !ops.has(raw.op)) throw notApplied(`Unexpected kind: ${String(raw.op)}`);
    if (typeof raw.path !== 'string') throw notApplied(`${raw.op} operation does not apply: missing path`);
    // Upstream treats a missing member as null: `test` of null passes when only the last token is absent.
    if (raw.op === 'test' && raw.value === null && parentExists(current, raw.path)) {
      let value: unknown;
      try {
        value = jsonpatch.getValueByPointer(current, raw.path);
      } catch {
        value = undefined;
      }
      if (value === undefined || value === null) return;
    }
    try {
      current = jsonpatch.applyOperation(current, structuredClone(op), true, true, true, index).newDocument;
    } catch (e) {
      if (e instanceof jsonpatch.JsonPatchError || (e instanceof Error && /^[A-Z_]+$/.test(e.name))) throw notApplied(reasonOf(e, raw));
      throw e;
    }
  });
  return current;
}
