// Fixture builders and helpers for the validation tests: valid objects of each kind, and a
// create/update runner that defaults then validates, as the API server does.

import { applyDefaults } from '../../../src/api/defaults/index.js';
import type { FieldError } from '../../../src/api/errors.js';
import { findKind, type ResourceInfo } from '../../../src/api/resources.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/api/validation/index.js';

export type Obj = Record<string, any>;

export function resourceOf(o: Obj): ResourceInfo {
  const r = findKind(String(o.apiVersion), String(o.kind));
  if (!r) throw new Error(`no resource for ${o.apiVersion} ${o.kind}`);
  return r;
}

/** Defaults a copy, as the server does before validating. */
export function defaulted<T extends Obj>(o: T): T {
  const c = structuredClone(o);
  applyDefaults(resourceOf(c), c);
  return c;
}

/** `field: message` lines, the form the API server prints. */
export function lines(errs: FieldError[]): string[] {
  return errs.map((e) => `${e.field}: ${e.message}`);
}

export function create(o: Obj): string[] {
  const c = defaulted(o);
  return lines(validateCreate(resourceOf(c), c));
}

/** Validates without defaulting (for fields the defaults would always fill). */
export function createRaw(o: Obj): string[] {
  return lines(validateCreate(resourceOf(o), o));
}

export function update(next: Obj, old: Obj): string[] {
  const n = defaulted(next);
  const o = defaulted(old);
  return lines(validateUpdate(resourceOf(n), n, o));
}

export function statusUpdate(next: Obj, old: Obj): string[] {
  const n = defaulted(next);
  const o = defaulted(old);
  return lines(validateStatusUpdate(resourceOf(n), n, o));
}

/** A copy with `edit` applied. */
export function withEdit<T extends Obj>(o: T, edit: (c: T) => void): T {
  const c = structuredClone(o);
  edit(c);
  return c;
}

const meta = (name: string, namespace?: string): Obj => ({ name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, creationTimestamp: '2024-01-02T03:04:05Z' });

export function makePod(name = 'web'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...meta(name, 'default'), labels: { app: 'web' } },
    spec: {
      containers: [{ name: 'main', image: 'busybox:1.36', ports: [{ containerPort: 80, name: 'http' }], resources: { requests: { cpu: '100m' }, limits: { cpu: '1' } } }],
    },
  };
}

export function podTemplate(labels: Record<string, string> = { app: 'web' }): Obj {
  return { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } };
}

export function makeDeployment(name = 'web'): Obj {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name, 'default'), spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate() } };
}

export function makeWorkload(kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet', name = 'web'): Obj {
  return { apiVersion: 'apps/v1', kind, metadata: meta(name, 'default'), spec: { selector: { matchLabels: { app: 'web' } }, template: podTemplate() } };
}

export function makeJob(name = 'pi'): Obj {
  const tpl = podTemplate({});
  tpl.spec.restartPolicy = 'Never';
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: meta(name, 'default'), spec: { template: tpl } };
}

export function makeCronJob(name = 'tick'): Obj {
  const tpl = podTemplate({});
  tpl.spec.restartPolicy = 'OnFailure';
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta(name, 'default'), spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: tpl } } } };
}

export function makeService(name = 'web'): Obj {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(name, 'default'), spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
}

export function makeObject(apiVersion: string, kind: string, name: string, namespace: string | undefined, rest: Obj = {}): Obj {
  return { apiVersion, kind, metadata: meta(name, namespace), ...rest };
}
