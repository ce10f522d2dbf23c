// Which cached objects a list or watch returns: namespace, label and field selectors, parsed
// once per request and matched against each entry's pre-extracted labels and fields.

import { parseLabelSelector, matchesLabels, isEverything } from '../../api/selectors/labels.js';
import { parseFieldSelector, matchesFields } from '../../api/selectors/fields.js';
import type { CacheEntry } from '../watch-cache.js';
import type { Scope } from './scope.js';

export type Predicate = (e: CacheEntry) => boolean;

export function predicateFor(s: Scope): Predicate {
  const ns = s.rr.namespace;
  const labelSel = parseLabelSelector(s.query.get('labelSelector') ?? '');
  const fieldSel = parseFieldSelector(s.query.get('fieldSelector') ?? '', s.info);
  const name = s.rr.name; // watch on a single object (/watch/.../name)
  const checkLabels = !isEverything(labelSel) || labelSel.matchesNothing;
  const checkFields = fieldSel.requirements.length > 0;
  return (e) =>
    (ns === undefined || e.namespace === ns) &&
    (name === undefined || e.name === name) &&
    (!checkLabels || matchesLabels(labelSel, e.labels)) &&
    (!checkFields || matchesFields(fieldSel, e.fields));
}
