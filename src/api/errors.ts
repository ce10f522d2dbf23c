// API errors as Kubernetes `Status` objects: every failure a client can see is one of these, with
// upstream's HTTP code, reason and message form.

import type { Status, StatusCause } from 'kubernetes-types/meta/v1.js';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'Expired'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** A field-level validation failure, as upstream's field.Error. */
export interface FieldError {
  /** 'FieldValueRequired', 'FieldValueInvalid', 'FieldValueNotSupported', 'FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueTooLong', 'FieldValueTypeInvalid' */
  type: FieldErrorType;
  /** JSON-path-like field path, e.g. 'spec.containers[0].image'. */
  field: string;
  /** The complete message for this field, e.g. 'Required value' or 'Invalid value: "x": must be ...'. */
  message: string;
}

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'InternalError';

/** Helpers that build field errors with upstream's message wording. */
export const field = {
  required: (f: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field: f, message: detail ? `Required value: ${detail}` : 'Required value' }),
  invalid: (f: string, value: unknown, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field: f,
    message: `Invalid value: ${fmtValue(value)}${detail ? ': ' + detail : ''}`,
  }),
  notSupported: (f: string, value: unknown, valid: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field: f,
    message: `Unsupported value: ${fmtValue(value)}${valid.length ? ': supported values: ' + valid.map((v) => `"${v}"`).join(', ') : ''}`,
  }),
  duplicate: (f: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: f, message: `Duplicate value: ${fmtValue(value)}` }),
  forbidden: (f: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: f, message: `Forbidden: ${detail}` }),
  tooLong: (f: string, value: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field: f, message: `Too long: may not be more than ${max} bytes` }),
  typeInvalid: (f: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueTypeInvalid', field: f, message: `Invalid value: ${fmtValue(value)}: ${detail}` }),
  /** Upstream field.NotFound: 'Not found: "x"'. */
  notFound: (f: string, value: unknown, detail = ''): FieldError => ({
    type: 'FieldValueNotFound',
    field: f,
    message: `Not found: ${fmtValue(value)}${detail ? ': ' + detail : ''}`,
  }),
  /** Upstream field.TooMany: 'Too many: 5: must have at most 3 items'. */
  tooMany: (f: string, actual: number, max: number): FieldError => ({
    type: 'FieldValueTooMany',
    field: f,
    message: `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}`,
  }),
  /** Like invalid, with the value already printed as upstream prints it (Go's %#v for structs, maps, slices). */
  invalidRaw: (f: string, printedValue: string, detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field: f,
    message: `Invalid value: ${printedValue}${detail ? ': ' + detail : ''}`,
  }),
  /** Like notSupported, with the value already printed as upstream prints it. */
  notSupportedRaw: (f: string, printedValue: string, valid: string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field: f,
    message: `Unsupported value: ${printedValue}${valid.length ? ': supported values: ' + valid.map((v) => `"${v}"`).join(', ') : ''}`,
  }),
  /** Like duplicate, with the value already printed as upstream prints it. */
  duplicateRaw: (f: string, printedValue: string, detail = ''): FieldError => ({
    type: 'FieldValueDuplicate',
    field: f,
    message: `Duplicate value: ${printedValue}${detail ? ': ' + detail : ''}`,
  }),
};

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export const errors = {
  badRequest: (msg: string) => new StatusError(400, 'BadRequest', msg),
  unauthorized: (msg = 'Unauthorized') => new StatusError(401, 'Unauthorized', msg),
  forbidden: (msg: string) => new StatusError(403, 'Forbidden', msg),
  notFound: (resource: string, group: string, name: string) =>
    new StatusError(404, 'NotFound', `${qualified(resource, group)} "${name}" not found`, { name, group, kind: resource }),
  notFoundPath: () => new StatusError(404, 'NotFound', 'the server could not find the requested resource'),
  alreadyExists: (resource: string, group: string, name: string) =>
    new StatusError(409, 'AlreadyExists', `${qualified(resource, group)} "${name}" already exists`, { name, group, kind: resource }),
  conflict: (resource: string, group: string, name: string, why: string) =>
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource, group)} "${name}": ${why}`, {
      name,
      group,
      kind: resource,
    }),
  gone: (msg: string) => new StatusError(410, 'Expired', msg),
  invalid: (kind: string, group: string, name: string, causes: FieldError[]) =>
    new StatusError(
      422,
      'Invalid',
      `${group ? kind + '.' + group : kind} "${name}" is invalid: ${causes.length === 1 ? fieldMsg(causes[0]!) : '[' + causes.map(fieldMsg).join(', ') + ']'}`,
      { name, group, kind, causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) },
    ),
  tooLarge: (msg = 'Request entity too large: limit is 3145728') => new StatusError(413, 'RequestEntityTooLarge', msg),
  unsupportedMediaType: (accepted: string[]) =>
    new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  methodNotAllowed: (verb: string, resource: string) => new StatusError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${resource}"`),
  notAcceptable: () => new StatusError(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/yaml'),
  timeout: (msg: string) => new StatusError(504, 'Timeout', msg),
  internal: (msg: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`),
  unavailable: (msg: string) => new StatusError(503, 'ServiceUnavailable', msg),
};

function qualified(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

function fieldMsg(e: FieldError): string {
  return `${e.field}: ${e.message}`;
}
