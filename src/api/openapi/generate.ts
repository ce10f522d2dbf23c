// Builds OpenAPI v3 component schemas for every built-in type from the `kubernetes-types`
// declaration files, whose JSDoc holds upstream's field descriptions. Only the parser is used (no
// type checker): each file's interfaces and type aliases become definitions named as upstream
// names them, imports resolve names across files. Patch extensions come from `patchmeta.ts`.
//
// The TypeScript module is passed in so that importing this file costs nothing at run time;
// `scripts/gen-openapi.ts` runs it at build time and `loadSchemas` only as a fallback.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import type * as TS from 'typescript';
import { patchMeta } from './patchmeta.js';
import { ref, type Schema, type Schemas } from './schema.js';

type TsModule = typeof import('typescript');

const intOrString = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Upstream's definition prefix for a kubernetes-types module path such as 'apps/v1'. */
export function definitionPrefix(modulePath: string): string {
  switch (modulePath) {
    case 'meta/v1':
      return 'io.k8s.apimachinery.pkg.apis.meta.v1';
    case 'api/resource':
      return 'io.k8s.apimachinery.pkg.api.resource';
    case 'runtime':
      return 'io.k8s.apimachinery.pkg.runtime';
    case 'version':
      return 'io.k8s.apimachinery.pkg.version';
    case 'apiextensions/v1':
      return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1';
    default:
      return 'io.k8s.api.' + modulePath.replace('/', '.');
  }
}

// kubernetes-types has one `number`; upstream distinguishes int32, int64 and double. These field
// names are int64 or double upstream; every other number is int32.
const int64Fields = new Set([
  'generation', 'observedGeneration', 'deletionGracePeriodSeconds', 'terminationGracePeriodSeconds',
  'activeDeadlineSeconds', 'runAsUser', 'runAsGroup', 'fsGroup', 'supplementalGroups', 'remainingItemCount',
  'expirationSeconds', 'gracePeriodSeconds', 'tolerationSeconds', 'startingDeadlineSeconds', 'sizeBytes',
  'revision', 'limit', 'maxItems', 'maxLength', 'maxProperties', 'minItems', 'minLength', 'minProperties',
]);
const doubleFields = new Set(['maximum', 'minimum', 'multipleOf']);

function numberSchema(field: string): Schema {
  if (doubleFields.has(field)) return { type: 'number', format: 'double' };
  return { type: 'integer', format: int64Fields.has(field) ? 'int64' : 'int32' };
}

/** The text of the JSDoc block right before `node`, with comment markers removed. */
function docOf(ts: TsModule, source: TS.SourceFile, node: TS.Node): string | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const last = ranges.filter((r) => source.text.startsWith('/**', r.pos)).pop();
  if (!last) return undefined;
  const body = source.text.slice(last.pos + 3, last.end - 2);
  const lines = body.split('\n').map((l) => l.replace(/^\s*\*? ?/, '').replace(/\s+$/, ''));
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.length ? lines.join('\n') : undefined;
}

interface Decl {
  name: string;
  file: Parsed;
  node: TS.InterfaceDeclaration | TS.TypeAliasDeclaration;
}

interface Parsed {
  modulePath: string;
  source: TS.SourceFile;
  /** Local name → definition name of imported types. */
  imports: Map<string, string>;
}

function listDeclarationFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listDeclarationFiles(p, base));
    else if (e.name.endsWith('.d.ts')) out.push(relative(base, p));
  }
  return out.sort();
}

/**
 * Reads every declaration file under `typesDir` (the kubernetes-types package) and returns the
 * component schemas, keyed by upstream definition name.
 */
export function generateSchemas(ts: TsModule, typesDir: string): Schemas {
  const decls = new Map<string, Decl>();
  for (const rel of listDeclarationFiles(typesDir)) {
    const modulePath = rel.split('\\').join('/').replace(/\.d\.ts$/, '');
    const source = ts.createSourceFile(rel, readFileSync(join(typesDir, rel), 'utf8'), ts.ScriptTarget.ES2022, true);
    const file: Parsed = { modulePath, source, imports: new Map() };
    for (const st of source.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
        const target = posix.normalize(posix.join(posix.dirname(modulePath), st.moduleSpecifier.text));
        const named = st.importClause?.namedBindings;
        if (named && ts.isNamedImports(named)) {
          for (const el of named.elements) {
            file.imports.set(el.name.text, `${definitionPrefix(target)}.${(el.propertyName ?? el.name).text}`);
          }
        }
      } else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) {
        const name = `${definitionPrefix(modulePath)}.${st.name.text}`;
        decls.set(name, { name, file, node: st });
      }
    }
  }

  // Definitions whose schema is not an object: a reference to them is not given `default: {}`.
  const scalar = new Set<string>([intOrString]);
  for (const d of decls.values()) if (ts.isTypeAliasDeclaration(d.node)) scalar.add(d.name);

  const schemas: Schemas = {};
  for (const d of decls.values()) schemas[d.name] = convertDecl(ts, d, scalar);
  schemas[intOrString] = {
    description:
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
    type: 'string',
    format: 'int-or-string',
  };
  applyPatchMeta(schemas);
  return schemas;
}

function convertDecl(ts: TsModule, d: Decl, scalar: Set<string>): Schema {
  const description = docOf(ts, d.file.source, d.node);
  const base: Schema = description ? { description } : {};
  if (ts.isTypeAliasDeclaration(d.node)) {
    const t = d.node.type;
    if (t.kind === ts.SyntaxKind.StringKeyword) {
      const dateTime = d.name.endsWith('meta.v1.Time') || d.name.endsWith('meta.v1.MicroTime');
      return { ...base, type: 'string', ...(dateTime ? { format: 'date-time' } : {}) };
    }
    // Unions such as JSONSchemaPropsOrBool: upstream documents them by description alone.
    return base;
  }
  const props: Record<string, Schema> = {};
  const required: string[] = [];
  let apiVersion: string | undefined;
  let kind: string | undefined;
  for (const m of d.node.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const key = ts.isIdentifier(m.name) || ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(d.file.source);
    const literal = ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal) ? m.type.literal.text : undefined;
    if (key === 'apiVersion' && literal !== undefined) apiVersion = literal;
    if (key === 'kind' && literal !== undefined) kind = literal;
    const isRequired = !m.questionToken;
    if (isRequired) required.push(key);
    const fieldDoc = docOf(ts, d.file.source, m);
    props[key] = convertProperty(ts, d.file, m.type, key, fieldDoc, isRequired, scalar);
  }
  // JSON (apiextensions) is any value; other empty interfaces (RawExtension, FieldsV1, Patch) are
  // free-form objects.
  if (d.name.endsWith('apiextensions.v1.JSON')) return base;
  const out: Schema = { ...base, type: 'object' };
  if (Object.keys(props).length) out.properties = props;
  if (required.length) out.required = required;
  if (apiVersion !== undefined && kind !== undefined) {
    const slash = apiVersion.indexOf('/');
    out['x-kubernetes-group-version-kind'] = [
      slash < 0 ? { group: '', kind, version: apiVersion } : { group: apiVersion.slice(0, slash), kind, version: apiVersion.slice(slash + 1) },
    ];
  }
  return out;
}

/** A property: references are wrapped in `allOf` so the description can sit next to them. */
function convertProperty(
  ts: TsModule,
  file: Parsed,
  type: TS.TypeNode,
  field: string,
  description: string | undefined,
  required: boolean,
  scalar: Set<string>,
): Schema {
  const s = convertType(ts, file, type, field, scalar);
  const out: Schema = {};
  const target = s.$ref;
  if (target) {
    out.allOf = [{ $ref: target }];
    const isObject = !scalar.has(target.slice(target.lastIndexOf('/') + 1));
    if (isObject && (required || field === 'metadata' || field === 'spec' || field === 'status')) out.default = {};
  } else {
    Object.assign(out, s);
    if (required && s.type === 'string') out.default = '';
    if (required && s.type === 'integer') out.default = 0;
    if (required && s.type === 'boolean') out.default = false;
  }
  if (description) out.description = description;
  return out;
}

/** A type in item or map-value position, or a bare `$ref` for a property to wrap. */
function convertType(ts: TsModule, file: Parsed, type: TS.TypeNode, field: string, scalar: Set<string>): Schema {
  if (ts.isParenthesizedTypeNode(type)) return convertType(ts, file, type.type, field, scalar);
  switch (type.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string' };
    case ts.SyntaxKind.NumberKeyword:
      return numberSchema(field);
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean' };
  }
  if (ts.isLiteralTypeNode(type)) return { type: 'string' };
  if (ts.isArrayTypeNode(type)) return { type: 'array', items: element(ts, file, type.elementType, field, scalar) };
  if (ts.isUnionTypeNode(type)) {
    const kinds = new Set(type.types.map((t) => t.kind));
    if (type.types.length === 2 && kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) {
      return { $ref: ref(intOrString) };
    }
    return {};
  }
  if (ts.isTypeLiteralNode(type)) {
    const index = type.members.find(ts.isIndexSignatureDeclaration);
    if (index) return { type: 'object', additionalProperties: element(ts, file, index.type, field, scalar) };
    return { type: 'object' };
  }
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    const name = type.typeName.text;
    if (name === 'Array' && type.typeArguments?.length === 1) {
      return { type: 'array', items: element(ts, file, type.typeArguments[0] as TS.TypeNode, field, scalar) };
    }
    const target = file.imports.get(name) ?? `${definitionPrefix(file.modulePath)}.${name}`;
    return { $ref: ref(target) };
  }
  return {};
}

/** List items and map values: object references carry `default: {}` as upstream's do. */
function element(ts: TsModule, file: Parsed, type: TS.TypeNode, field: string, scalar: Set<string>): Schema {
  const s = convertType(ts, file, type, field, scalar);
  if (s.$ref && !scalar.has(s.$ref.slice(s.$ref.lastIndexOf('/') + 1))) return { allOf: [{ $ref: s.$ref }], default: {} };
  if (s.type === 'string') return { type: 'string', default: '' };
  return s;
}

function applyPatchMeta(schemas: Schemas): void {
  for (const [definition, fields] of Object.entries(patchMeta)) {
    const props = schemas[definition]?.properties;
    if (!props) continue;
    for (const [field, m] of Object.entries(fields)) {
      const p = props[field];
      if (!p) continue;
      if (m.listMapKeys) p['x-kubernetes-list-map-keys'] = m.listMapKeys;
      if (m.listType) p['x-kubernetes-list-type'] = m.listType;
      if (m.mergeKey) p['x-kubernetes-patch-merge-key'] = m.mergeKey;
      if (m.strategy) p['x-kubernetes-patch-strategy'] = m.strategy;
    }
  }
}

/** Directory of the kubernetes-types package as Node resolves it from the module at `fromUrl`. */
export function kubernetesTypesDir(fromUrl: string): string {
  return dirname(createRequire(fromUrl).resolve('kubernetes-types/package.json'));
}
