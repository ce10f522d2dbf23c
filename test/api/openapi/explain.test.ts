// The proof that the served OpenAPI documents are what real clients expect: real kubectl
// (1.27 and 1.33) runs `kubectl explain` against a throwaway server that serves only legacy
// discovery and skiff's /openapi/v3 and /openapi/v2 (protobuf, which kubectl 1.27 requires) documents.

import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  groupVersionOfOpenapiPath,
  openapiV2Document,
  openapiV2ProtobufType,
  openapiV3Discovery,
  openapiV3Document,
} from '../../../src/api/openapi/index.js';
import { builtinResources, groupVersion } from '../../../src/api/resources.js';

const run = promisify(execFile);
const kubectls = ['1.27', '1.33'].map((v) => `/usr/lib/google-cloud-sdk/bin/kubectl.${v}`).filter((p) => existsSync(p));
const gvs = [...new Set(builtinResources.map(groupVersion))];

function resourceList(gv: string): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: builtinResources
      .filter((r) => groupVersion(r) === gv)
      .map((r) => ({ name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'list', 'patch'], shortNames: r.shortNames })),
  };
}

/** A JSON body (already serialized or not), or raw bytes of a content type. */
type Reply = { json: object | string } | { type: string; body: Buffer };

function route(path: string, accept: string): Reply | undefined {
  if (path === '/api') return { json: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] } };
  if (path === '/apis') {
    const groups = [...new Set(builtinResources.filter((r) => r.group).map((r) => r.group))];
    return {
      json: {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' } })),
      },
    };
  }
  if (path === '/version') return { json: { major: '1', minor: '31', gitVersion: 'v1.31.0' } };
  if (path === '/openapi/v3') return { json: openapiV3Discovery(gvs) };
  if (path === '/openapi/v2') {
    const doc = openapiV2Document(builtinResources);
    return accept.includes('protobuf') ? { type: openapiV2ProtobufType, body: doc.protobuf } : { json: doc.json };
  }
  if (path.startsWith('/openapi/v3/')) {
    const gv = groupVersionOfOpenapiPath(path);
    return gv && gvs.includes(gv) ? { json: openapiV3Document(gv, builtinResources).body } : undefined;
  }
  const m = /^\/apis?\/(.+)$/.exec(path);
  if (m && gvs.includes(m[1] as string)) return { json: resourceList(m[1] as string) };
  return undefined;
}

describe('kubectl explain against the served OpenAPI documents', { skip: kubectls.length === 0 && 'no kubectl installed' }, () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;
  const requests: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-explain-'));
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url.pathname);
      const out = route(url.pathname, req.headers.accept ?? '');
      if (out === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
        return;
      }
      if ('body' in out) {
        res.writeHead(200, { 'content-type': out.type });
        res.end(out.body);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof out.json === 'string' ? out.json : JSON.stringify(out.json));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: {} }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const explain = async (kubectl: string, what: string, ...flags: string[]): Promise<string> => {
    const env = { ...process.env, HOME: dir, KUBECONFIG: kubeconfig };
    const { stdout } = await run(kubectl, ['explain', what, '--cache-dir', join(dir, 'cache'), ...flags], { env, timeout: 60_000 });
    return stdout;
  };

  for (const kubectl of kubectls) {
    const v = kubectl.slice(kubectl.lastIndexOf('.') - 1);
    it(`kubectl ${v} explains pods.spec.containers with upstream's descriptions`, async () => {
      const out = await explain(kubectl, 'pods.spec.containers');
      assert.match(out, /KIND:\s+Pod/);
      assert.match(out, /VERSION:\s+v1/);
      assert.match(out, /containers\s+<\[\]Container>/);
      assert.match(out, /List of containers belonging to the pod/);
      assert.match(out, /image\s+<string>/);
      assert.match(out, /Container image name/);
      assert.match(out, /ports\s+<\[\]ContainerPort>/);
      assert.ok(requests.some((p) => p === '/openapi/v3/api/v1'), 'kubectl fetched the api/v1 document');
    });

    it(`kubectl ${v} explains a nested field of a named group (deployment.spec.strategy)`, async () => {
      const out = await explain(kubectl, 'deployment.spec.strategy');
      assert.match(out, /GROUP:\s+apps/);
      assert.match(out, /KIND:\s+Deployment/);
      assert.match(out, /rollingUpdate\s+<RollingUpdateDeployment>/);
      assert.match(out, /The deployment strategy to use to replace existing pods with new ones/);
    });

    it(`kubectl ${v} explains from the v2 document too (plaintext-openapiv2)`, async () => {
      const out = await explain(kubectl, 'pods.spec.containers.ports', '--output', 'plaintext-openapiv2');
      assert.match(out, /KIND:\s+Pod/);
      assert.match(out, /containerPort\s+<integer> -required-/);
      assert.match(out, /Number of port to expose on the pod's IP address/);
    });

    it(`kubectl ${v} reports a field that does not exist`, async () => {
      await assert.rejects(explain(kubectl, 'pods.spec.nosuchfield'), (e: Error & { stderr?: string }) => {
        assert.match(e.stderr ?? '', /nosuchfield/);
        return true;
      });
    });
  }
});
