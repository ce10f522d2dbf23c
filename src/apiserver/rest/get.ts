// GET of one object (and its status or scale subresource).

import { errors } from '../../api/errors.js';
import { sendObject } from './output.js';
import { requireNamespace, resourceVersionParam, type Scope } from './scope.js';
import { toScale } from './scale.js';
import type { KObject } from '../object.js';

export async function get(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  const name = s.rr.name!;
  const rv = resourceVersionParam(s.query);
  let obj: KObject | string;
  if (rv === '0') {
    // "Any" freshness: the cache answers without touching the store.
    const e = s.rc.entries.get(s.rs.key(ns, name));
    if (!e) throw s.rs.notFound(name);
    obj = e.json;
  } else {
    obj = s.rr.subresource === 'scale' ? await s.rs.get(ns, name) : await s.rs.getJson(ns, name);
  }
  switch (s.rr.subresource) {
    case undefined:
    case 'status':
      sendObject(s, 200, obj);
      return;
    case 'scale':
      sendObject(s, 200, toScale(s, typeof obj === 'string' ? (JSON.parse(obj) as KObject) : obj));
      return;
    default:
      throw errors.notFoundPath();
  }
}
