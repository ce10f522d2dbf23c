import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyDefaults } from '../../../src/api/defaults/index.js';
import { builtinResources } from '../../../src/api/resources.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/api/validation/index.js';
import { defaulted, makeCronJob, makeJob, makeObject, makePod, makeService, makeWorkload, resourceOf, type Obj } from './fixtures.js';

// Decoded JSON of any shape must yield field errors (or none), never an exception: bad input gets a
// clear error, never a crash.
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const objectish = fc.dictionary(fc.constantFrom('metadata', 'spec', 'status', 'data', 'rules', 'subsets', 'endpoints', 'ports', 'value', 'handler', 'type'), jsonValue);

describe('validators and defaults never throw', () => {
  for (const r of builtinResources) {
    it(`${r.group || 'core'}/${r.kind}`, () => {
      fc.assert(
        fc.property(objectish, objectish, (a, b) => {
          const next = structuredClone(a) as Record<string, unknown>;
          const old = structuredClone(b) as Record<string, unknown>;
          applyDefaults(r, next);
          applyDefaults(r, old);
          for (const errs of [validateCreate(r, next), validateUpdate(r, next, old), validateStatusUpdate(r, next, old)]) {
            assert.ok(Array.isArray(errs));
            for (const e of errs) assert.equal(typeof e.message, 'string');
          }
        }),
        { numRuns: 60 },
      );
    });
  }

  it('defaulting is idempotent', () => {
    for (const r of builtinResources) {
      fc.assert(
        fc.property(objectish, (a) => {
          const once = structuredClone(a) as Record<string, unknown>;
          applyDefaults(r, once);
          const twice = structuredClone(once);
          applyDefaults(r, twice);
          assert.deepEqual(twice, once);
        }),
        { numRuns: 30 },
      );
    }
  });
});

/** Every path (as key lists) inside a JSON object. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [prefix, ...v.flatMap((x, i) => paths(x, [...prefix, i]))];
  if (typeof v === 'object' && v !== null) return [prefix, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...prefix, k]))];
  return [prefix];
}

function setAt(o: Obj, path: (string | number)[], value: unknown): void {
  let cur: any = o;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path[path.length - 1]!] = value;
}

describe('valid objects with one field replaced by junk never make validation throw', () => {
  const fixtures: Obj[] = [
    makePod(),
    makeService(),
    makeJob(),
    makeCronJob(),
    ...(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet'] as const).map((k) => makeWorkload(k)),
    makeObject('v1', 'PersistentVolumeClaim', 'c', 'default', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }),
    makeObject('rbac.authorization.k8s.io/v1', 'RoleBinding', 'b', 'default', { roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }] }),
  ];
  for (const fixture of fixtures) {
    const base = defaulted(fixture);
    const all = paths(base).filter((p) => p.length > 1 && p[0] !== 'apiVersion' && p[0] !== 'kind');
    it(String(fixture.kind), () => {
      fc.assert(
        fc.property(fc.constantFrom(...all), jsonValue, (path, junk) => {
          const o = structuredClone(base);
          setAt(o, path, junk);
          const r = resourceOf(o);
          applyDefaults(r, o);
          assert.ok(Array.isArray(validateCreate(r, o)));
          assert.ok(Array.isArray(validateUpdate(r, o, base)));
        }),
        { numRuns: 300 },
      );
    });
  }
});
