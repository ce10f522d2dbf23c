// Test-only stand-in for an API server: serves discovery (skiff's own documents), the few objects
// `kubectl drain` reads, and records every write. Protobuf write bodies are decoded with the decoder
// under test and echoed back as JSON with 201, so kubectl prints what the server understood.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { Discovery } from '../../../src/apiserver/discovery.js';
import { StatusError } from '../../../src/api/errors.js';
import { decodeK8sProtobuf, isK8sProtobuf } from '../../../src/api/protobuf/index.js';

export interface Captured {
  method: string;
  path: string;
  contentType: string;
  /** The decoded body (protobuf through the decoder under test, JSON parsed). */
  object: Record<string, unknown>;
}

export interface FakeApiserver {
  writes: Captured[];
  /** Runs kubectl `version` (e.g. '1.33') against the server; resolves with its exit code and output. */
  kubectl(version: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

const aggregatedType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const node = { kind: 'Node', apiVersion: 'v1', metadata: { name: 'n1', uid: 'node-uid', resourceVersion: '1' }, spec: {}, status: {} };
const pod = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'p1', namespace: 'default', uid: 'pod-uid', resourceVersion: '2', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true }] },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: 'Running' },
};

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message });
}

export async function startFakeApiserver(): Promise<FakeApiserver> {
  const discovery = new Discovery();
  const writes: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const send = (code: number, body: string, type = 'application/json') => {
        res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      };
      const aggregated = (req.headers.accept ?? '').includes('as=APIGroupDiscoveryList');
      const p = url.pathname;
      if (p === '/api/v1/nodes/n1') return send(200, JSON.stringify(req.method === 'PATCH' ? { ...node, spec: { unschedulable: true } } : node));
      if (p === '/api/v1/pods') return send(200, JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '3' }, items: [pod] }));
      if (req.method === 'GET') {
        if (p === '/api/v1/namespaces/default/pods/p1') return send(404, status(404, 'NotFound', 'pods "p1" not found'));
        if (p === '/api') return aggregated ? send(200, discovery.aggregatedApi.v2, aggregatedType) : send(200, discovery.apiVersions);
        if (p === '/apis') return aggregated ? send(200, discovery.aggregatedApis.v2, aggregatedType) : send(200, discovery.groupList);
        const m = /^\/api\/(v1)$|^\/apis\/([^/]+\/[^/]+)$/.exec(p);
        const doc = m ? discovery.resourceListDoc((m[1] ?? m[2])!) : undefined;
        return doc ? send(200, doc) : send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
      }
      const contentType = req.headers['content-type'] ?? '';
      try {
        const body = Buffer.concat(chunks);
        const object = isK8sProtobuf(contentType) ? decodeK8sProtobuf(body) : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
        writes.push({ method: req.method ?? '', path: p, contentType, object });
        // A TokenRequest needs a token in the answer, or kubectl reports a failure.
        const answer = object.kind === 'TokenRequest' ? { ...object, status: { token: 'fake-token', expirationTimestamp: '2030-01-01T00:00:00Z' } } : object;
        send(201, JSON.stringify(answer));
      } catch (e) {
        if (e instanceof StatusError) return send(e.code, JSON.stringify(e.toStatus()));
        send(500, status(500, 'InternalError', String(e)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // A private HOME keeps kubectl's discovery cache out of the user's, and goes away with the test.
  const home = mkdtempSync(join(tmpdir(), 'skiff-proto-kubectl-'));
  const kubeconfig = join(home, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: fake, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
      'users: [{name: anyone, user: {}}]',
      'contexts: [{name: fake, context: {cluster: fake, user: anyone, namespace: default}}]',
      'current-context: fake',
      '',
    ].join('\n'),
  );
  return {
    writes,
    kubectl: (version, args) =>
      new Promise((resolve) => {
        execFile(
          `/usr/lib/google-cloud-sdk/bin/kubectl.${version}`,
          args,
          { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, KUBECONFIG: kubeconfig }, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(home, { recursive: true, force: true });
    },
  };
}
