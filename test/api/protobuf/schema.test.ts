// Cross-checks the wire-schema table against skiff's OpenAPI schemas (generated from
// kubernetes-types): every table field must exist there with a matching type, every OpenAPI field
// must be covered by the table, and every message must be reachable from a top-level kind. The
// exceptions are listed with their reasons, so a new mismatch fails loudly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchemas } from '../../../src/api/openapi/load.js';
import type { Schema } from '../../../src/api/openapi/schema.js';
import { allMessageDefs, kindMessage, messageDef, openApiName, type FieldDef } from '../../../src/api/protobuf/table.js';
import { topLevelKinds } from '../../../src/api/protobuf/schema.js';

/** Fields added upstream after kubernetes-types 1.30, which skiff's OpenAPI is generated from. */
const newerThanOpenApi = new Set([
  'core.v1.VolumeSource.image',
  'core.v1.Lifecycle.stopSignal',
  'core.v1.ContainerStatus.user',
  'core.v1.PodSpec.resources',
  'core.v1.ResourceClaim.request',
  'core.v1.PodResourceClaim.resourceClaimName',
  'core.v1.PodResourceClaim.resourceClaimTemplateName',
  'core.v1.PodSecurityContext.supplementalGroupsPolicy',
  'core.v1.PodSecurityContext.seLinuxChangePolicy',
  'core.v1.NodeRuntimeHandlerFeatures.userNamespaces',
  'core.v1.NodeStatus.features',
  'meta.v1.DeleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential',
  'apps.v1.DeploymentStatus.terminatingReplicas',
  'apps.v1.ReplicaSetStatus.terminatingReplicas',
  'coordination.v1.LeaseSpec.strategy',
  'coordination.v1.LeaseSpec.preferredHolder',
  'discovery.v1.EndpointHints.forNodes',
]);

/** Messages with no OpenAPI definition: Go-embedded structs, or types newer than kubernetes-types 1.30. */
const withoutOpenApi = new Set([
  'core.v1.VolumeSource',
  'core.v1.PersistentVolumeSource',
  'core.v1.ProbeHandler',
  'core.v1.EphemeralContainerCommon',
  'core.v1.ContainerUser',
  'core.v1.LinuxContainerUser',
  'core.v1.NodeFeatures',
  'core.v1.ImageVolumeSource',
  'discovery.v1.ForNode',
]);

/** Where the OpenAPI generator's type differs from upstream's (the table follows upstream's Go types). */
const knownTypeDifferences = new Map([
  ['core.v1.SleepAction.seconds', 'an int64 upstream; the OpenAPI generator guesses int32 for this field name'],
  ['core.v1.Secret.data', 'map<string,bytes>: upstream marks the values format byte, the generator does not'],
  ['core.v1.ConfigMap.binaryData', 'map<string,bytes>: upstream marks the values format byte, the generator does not'],
]);

/** OpenAPI fields the table leaves out on purpose. */
const notInTable = new Map([['core.v1.PodResourceClaim.source', 'tombstoned upstream in 1.31 (protobuf field 2 is reserved)']]);

function typeOf(s: Schema): string {
  const x = (s.allOf ? s.allOf[0] : s) as Schema;
  if (x.$ref) return 'ref:' + x.$ref.split('/').pop();
  if (x.type === 'array') return '[]' + typeOf(x.items as Schema);
  if (x.type === 'object' && x.additionalProperties && typeof x.additionalProperties === 'object') return '{}' + typeOf(x.additionalProperties as Schema);
  return `${String(x.type)}${x.format ? '/' + x.format : ''}`;
}

const leafOpenApi: Record<string, string> = {
  s: 'string',
  i32: 'integer/int32',
  i64: 'integer/int64',
  b: 'boolean',
  bytes: 'string/byte',
  time: 'ref:io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  microtime: 'ref:io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  intstr: 'ref:io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  quantity: 'ref:io.k8s.apimachinery.pkg.api.resource.Quantity',
  raw: 'ref:io.k8s.apimachinery.pkg.runtime.RawExtension',
  fieldsv1: 'ref:io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
};

function expectedType(f: FieldDef): string {
  const base = f.leaf ? leafOpenApi[f.leaf]! : 'ref:' + openApiName(f.message!);
  return (f.card === 'repeated' ? '[]' : f.card === 'map' ? '{}' : '') + base;
}

test('every table field exists in the OpenAPI schema of its definition, with the same type', () => {
  const schemas = loadSchemas();
  const problems: string[] = [];
  for (const def of allMessageDefs()) {
    const schema = schemas[openApiName(def.name)];
    if (!schema) {
      if (!withoutOpenApi.has(def.name)) problems.push(`${def.name}: no OpenAPI definition ${openApiName(def.name)}`);
      continue;
    }
    const props = schema.properties ?? {};
    for (const f of def.fields) {
      const id = `${def.name}.${f.name}`;
      if (f.inline) {
        for (const g of messageDef(f.message!)!.fields) {
          if (!g.inline && !(g.name in props) && !newerThanOpenApi.has(`${f.message}.${g.name}`)) problems.push(`${id}: inlined ${g.name} missing`);
        }
        continue;
      }
      if (!(f.name in props)) {
        if (!newerThanOpenApi.has(id)) problems.push(`${id}: not in OpenAPI`);
        continue;
      }
      const want = typeOf(props[f.name] as Schema);
      if (want !== expectedType(f) && !knownTypeDifferences.has(id)) problems.push(`${id}: OpenAPI ${want}, table ${expectedType(f)}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every OpenAPI field of a table definition is covered by the table', () => {
  const schemas = loadSchemas();
  const problems: string[] = [];
  for (const def of allMessageDefs()) {
    const props = schemas[openApiName(def.name)]?.properties;
    if (!props) continue;
    const covered = new Set<string>();
    for (const f of def.fields) {
      if (f.inline) for (const g of messageDef(f.message!)!.fields) covered.add(g.name);
      else covered.add(f.name);
    }
    for (const name of Object.keys(props)) {
      if (name !== 'apiVersion' && name !== 'kind' && !covered.has(name) && !notInTable.has(`${def.name}.${name}`)) problems.push(`${def.name}.${name}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('every top-level kind has a definition with metadata, and every definition is reachable from one', () => {
  const reachable = new Set<string>();
  const visit = (name: string): void => {
    if (reachable.has(name)) return;
    reachable.add(name);
    for (const f of messageDef(name)!.fields) if (f.message) visit(f.message);
  };
  for (const [apiVersion, gv] of Object.entries(topLevelKinds)) {
    for (const kind of [...gv.kinds, 'DeleteOptions']) {
      const def = kindMessage(apiVersion, kind);
      assert.ok(def, `${apiVersion} ${kind} has no definition`);
      if (kind !== 'DeleteOptions') assert.ok(def.fields.some((f) => f.name === 'metadata' && f.no === 1), `${kind} has no metadata = 1`);
      visit(def.name);
    }
  }
  const orphans = allMessageDefs()
    .map((d) => d.name)
    .filter((n) => !reachable.has(n));
  assert.deepEqual(orphans, []);
  assert.equal(kindMessage('v1', 'PodSpec'), undefined, 'nested types are not top-level kinds');
  assert.equal(kindMessage('v9', 'Pod'), undefined);
});
