// Continue tokens of paginated lists, in upstream's form: base64 of
// {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<key after which to resume>"}.

import { errors } from '../../api/errors.js';

export interface ContinueToken {
  rv: number;
  /** Key (relative to the resource prefix) after which the next page starts. */
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: t.start })).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string' || raw.start.includes('..')) throw new Error();
    return { rv: raw.rv, start: raw.start };
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}
