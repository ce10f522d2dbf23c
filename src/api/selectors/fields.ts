// Field selectors: the `fieldSelector` query syntax (`a=b,c!=d`, values escaped with '\'), the
// per-kind set of selectable fields, and matching.
//
// Upstream checks a selector in two independent steps, mirrored here:
//  1. acceptance: the kind's field-label conversion (pkg/apis/<group>/<version>/conversion.go)
//     accepts, renames (pods' legacy spec.host, events.k8s.io's regarding.*) or rejects each
//     field with a kind-specific message; kinds without one accept only metadata.name and
//     metadata.namespace. A rejection is a 400 BadRequest.
//  2. matching: the registry strategy's selectable-field set (pkg/registry/.../strategy.go). A
//     field that was accepted but is not in the set reads as '' (pods' status.podIPs).

import type { ResourceInfo } from '../resources.js';
import { StatusError } from '../errors.js';

export interface FieldRequirement {
  /** The canonical (post-conversion) field name, e.g. 'spec.nodeName'. */
  readonly field: string;
  readonly operator: '=' | '!=';
  /** Unescaped. */
  readonly value: string;
}

export interface FieldSelector {
  /** ANDed; empty selects everything. */
  readonly requirements: readonly FieldRequirement[];
}

export type FieldSet = Readonly<Record<string, string>>;

type Obj = Record<string, unknown>;
type Extract = (o: Obj) => string;

interface KindFields {
  /** Accepted field label → canonical field. */
  accepted: Record<string, string>;
  /** Canonical field → value of the object, for every field the strategy sets. */
  selectable: Record<string, Extract>;
  reject: (label: string) => string;
}

// ---------------------------------------------------------------- value access

function rec(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
/** Reads a string at a dotted path; anything else reads as ''. */
function at(path: string): Extract {
  const parts = path.split('.');
  return (o) => {
    let cur: unknown = o;
    for (const p of parts) cur = rec(cur)[p];
    return str(cur);
  };
}
const name: Extract = (o) => str(rec(o.metadata).name);
const namespace: Extract = (o) => str(rec(o.metadata).namespace);

// ---------------------------------------------------------------- the per-kind tables

const notSupported = (label: string): string => `field label not supported: ${label}`;

function kind(accepted: string[], selectable: Record<string, Extract>, opts: { aliases?: Record<string, string>; reject?: (l: string) => string } = {}): KindFields {
  const acc: Record<string, string> = {};
  for (const a of accepted) acc[a] = a;
  Object.assign(acc, opts.aliases ?? {});
  return { accepted: acc, selectable, reject: opts.reject ?? notSupported };
}

const meta = { 'metadata.name': name, 'metadata.namespace': namespace };

const podIP: Extract = (o) => {
  const status = rec(o.status);
  const ips = status.podIPs;
  if (Array.isArray(ips) && ips.length > 0) return str(rec(ips[0]).ip);
  return str(status.podIP);
};

const coreEventSource: Extract = (o) => str(rec(o.source).component) || str(o.reportingComponent);
const eventsV1Source: Extract = (o) => str(rec(o.deprecatedSource).component) || str(o.reportingController);

const KINDS: Record<string, KindFields> = {
  '/pods': kind(
    [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    {
      ...meta,
      'spec.nodeName': at('spec.nodeName'),
      'spec.restartPolicy': at('spec.restartPolicy'),
      'spec.schedulerName': at('spec.schedulerName'),
      'spec.serviceAccountName': at('spec.serviceAccountName'),
      'spec.hostNetwork': (o) => String(rec(o.spec).hostNetwork === true),
      'status.phase': at('status.phase'),
      'status.podIP': podIP,
      'status.nominatedNodeName': at('status.nominatedNodeName'),
    },
    { aliases: { 'spec.host': 'spec.nodeName' } },
  ),
  '/nodes': kind(['metadata.name', 'spec.unschedulable'], {
    'metadata.name': name,
    'spec.unschedulable': (o) => String(rec(o.spec).unschedulable === true),
  }),
  '/namespaces': kind(['metadata.name', 'status.phase'], { 'metadata.name': name, 'status.phase': at('status.phase') }),
  '/secrets': kind(['metadata.name', 'metadata.namespace', 'type'], { ...meta, type: (o) => str(o.type) }),
  '/services': kind(['metadata.name', 'metadata.namespace', 'spec.clusterIP', 'spec.type'], {
    ...meta,
    'spec.clusterIP': at('spec.clusterIP'),
    'spec.type': at('spec.type'),
  }),
  '/events': kind(
    [
      'metadata.name',
      'metadata.namespace',
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    {
      ...meta,
      ...involvedObject('involvedObject'),
      reason: (o) => str(o.reason),
      reportingComponent: (o) => str(o.reportingComponent),
      source: coreEventSource,
      type: (o) => str(o.type),
    },
  ),
  // events.k8s.io shares core Event storage: its labels are renamed to the core ones.
  'events.k8s.io/events': kind(
    ['metadata.name', 'metadata.namespace', 'reason', 'source', 'type'],
    {
      ...meta,
      ...involvedObject('regarding'),
      reason: (o) => str(o.reason),
      reportingComponent: (o) => str(o.reportingController),
      source: eventsV1Source,
      type: (o) => str(o.type),
    },
    {
      aliases: {
        'regarding.kind': 'involvedObject.kind',
        'regarding.namespace': 'involvedObject.namespace',
        'regarding.name': 'involvedObject.name',
        'regarding.uid': 'involvedObject.uid',
        'regarding.apiVersion': 'involvedObject.apiVersion',
        'regarding.resourceVersion': 'involvedObject.resourceVersion',
        'regarding.fieldPath': 'involvedObject.fieldPath',
        reportingController: 'reportingComponent',
      },
    },
  ),
  'batch/jobs': kind(
    ['metadata.name', 'metadata.namespace', 'status.successful'],
    { ...meta, 'status.successful': (o) => String(num(rec(o.status).succeeded)) },
    { reject: (l) => `field label ${JSON.stringify(l)} not supported for Job` },
  ),
};

function involvedObject(from: string): Record<string, Extract> {
  const out: Record<string, Extract> = {};
  for (const f of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) {
    out[`involvedObject.${f}`] = at(`${from}.${f}`);
  }
  return out;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** runtime.DefaultMetaV1FieldSelectorConversion, for every kind without its own conversion. */
const DEFAULT_KIND: KindFields = kind(['metadata.name', 'metadata.namespace'], meta, {
  reject: (l) => `${JSON.stringify(l)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
});

function kindFields(resource: Pick<ResourceInfo, 'group' | 'plural'>): KindFields {
  const key = `${resource.group}/${resource.plural}`;
  return Object.hasOwn(KINDS, key) ? (KINDS[key] as KindFields) : DEFAULT_KIND;
}

// ---------------------------------------------------------------- parsing

/** Splits on ',' that is not escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

/** The first '!=', '==' or '=' splits a term; the field part has no escapes. */
function splitTerm(term: string): [string, '=' | '!=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith('!=', i)) return [term.slice(0, i), '!=', term.slice(i + 2)];
    if (term.startsWith('==', i)) return [term.slice(0, i), '=', term.slice(i + 2)];
    if (term[i] === '=') return [term.slice(0, i), '=', term.slice(i + 1)];
  }
  return undefined;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new Error(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      // Go prints the rune with %v: its code point.
      throw new Error(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new Error('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** fields.EscapeValue: the inverse of the unescaping above. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => '\\' + c);
}

/**
 * Parses the `fieldSelector` query parameter. With a resource, each field is also checked and
 * renamed by that kind's rules. Throws StatusError 400 BadRequest with upstream's message.
 */
export function parseFieldSelector(s: string, resource?: Pick<ResourceInfo, 'group' | 'plural'>): FieldSelector {
  const kf = resource ? kindFields(resource) : undefined;
  const reqs: FieldRequirement[] = [];
  try {
    const parts = s === '' ? [] : splitTerms(s).sort();
    for (const part of parts) {
      if (part === '') continue;
      const split = splitTerm(part);
      if (!split) throw new Error(`invalid selector: '${s}'; can't understand '${part}'`);
      const [label, operator, raw] = split;
      const value = unescapeValue(raw);
      let field = label;
      if (kf) {
        const canonical = Object.hasOwn(kf.accepted, label) ? kf.accepted[label] : undefined;
        if (canonical === undefined) throw new Error(kf.reject(label));
        field = canonical;
      }
      reqs.push({ field, operator, value });
    }
  } catch (e) {
    throw new StatusError(400, 'BadRequest', (e as Error).message);
  }
  return { requirements: reqs };
}

/** Every selectable field of the object with its value, as the kind's strategy exposes them. */
export function fieldsOf(resource: Pick<ResourceInfo, 'group' | 'plural'>, obj: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  const sel = kindFields(resource).selectable;
  for (const f of Object.keys(sel)) out[f] = (sel[f] as Extract)(obj);
  return out;
}

/** Matches a precomputed field set; a field missing from the set reads as ''. */
export function matchesFields(sel: FieldSelector, fields: FieldSet): boolean {
  const reqs = sel.requirements;
  for (let i = 0; i < reqs.length; i++) {
    const r = reqs[i] as FieldRequirement;
    const v = Object.hasOwn(fields, r.field) ? fields[r.field] : '';
    if ((v === r.value) !== (r.operator === '=')) return false;
  }
  return true;
}

/**
 * A matcher for many objects of one kind that reads only the fields the selector names; use it
 * to filter large lists instead of building fieldsOf for each object.
 */
export function fieldMatcher(resource: Pick<ResourceInfo, 'group' | 'plural'>, sel: FieldSelector): (obj: Obj) => boolean {
  if (sel.requirements.length === 0) return () => true;
  const selectable = kindFields(resource).selectable;
  const checks = sel.requirements.map((r) => ({
    get: Object.hasOwn(selectable, r.field) ? (selectable[r.field] as Extract) : () => '',
    value: r.value,
    equal: r.operator === '=',
  }));
  return (obj) => {
    for (let i = 0; i < checks.length; i++) {
      const c = checks[i] as (typeof checks)[number];
      if ((c.get(obj) === c.value) !== c.equal) return false;
    }
    return true;
  };
}

/** Selector.String: 'a=b,c!=d' with values escaped. */
export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}
