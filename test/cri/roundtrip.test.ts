// Every RPC of both services, through our server and CriClient over a real unix socket, with
// fully populated requests and responses: the handler checks the request it decoded and answers
// a fully populated response, which the client checks. Together the samples cover every
// message type of api.proto.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CriClient } from '../../src/cri/client.js';
import { criDefinition } from '../../src/cri/proto.js';
import { startCriServer, type CriServer, type ImageHandlers, type RuntimeHandlers } from '../../src/cri/server.js';
import { imageServiceMethods, runtimeServiceMethods } from '../../src/cri/types.js';
import { SampleBuilder } from './samples.js';

const def = criDefinition();
const samples = new SampleBuilder(def.pkg);

interface MethodTypes {
  requestType: { type: { name: string } };
  responseType: { type: { name: string } };
}
function typesOf(service: 'runtime' | 'image', method: string): { req: string; res: string } {
  const m = def[service][method] as unknown as MethodTypes;
  return { req: m.requestType.type.name, res: m.responseType.type.name };
}

let dir: string;
let server: CriServer;
let client: CriClient;
const received = new Map<string, unknown>();

function echo(service: 'runtime' | 'image', method: string) {
  const { res } = typesOf(service, method);
  return (req: unknown) => {
    received.set(method, req);
    return samples.build(res, 7);
  };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-cri-rt-'));
  const runtime: Record<string, unknown> = {};
  for (const m of runtimeServiceMethods) runtime[m] = echo('runtime', m);
  runtime.GetContainerEvents = async function* (req: unknown) {
    received.set('GetContainerEvents', req);
    yield samples.build('ContainerEventResponse', 7);
    yield samples.build('ContainerEventResponse', 8);
  };
  const image: Record<string, unknown> = {};
  for (const m of imageServiceMethods) image[m] = echo('image', m);
  server = await startCriServer({
    socket: join(dir, 'cri.sock'),
    runtime: runtime as Partial<RuntimeHandlers>,
    image: image as Partial<ImageHandlers>,
  });
  client = new CriClient(join(dir, 'cri.sock'), { timeoutMs: 30_000 });
});

after(async () => {
  client?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

const lowerFirst = (s: string): string => s[0]!.toLowerCase() + s.slice(1);

for (const [service, methods] of [['runtime', runtimeServiceMethods], ['image', imageServiceMethods]] as const) {
  for (const method of methods) {
    if (method === 'GetContainerEvents') continue;
    test(`${service} ${method}: every request and response field survives the wire`, async () => {
      const { req, res } = typesOf(service, method);
      const request = samples.build(req, 3);
      const call = (client as unknown as Record<string, (r: unknown) => Promise<unknown>>)[lowerFirst(method)];
      assert.equal(typeof call, 'function', `CriClient has no method ${lowerFirst(method)}`);
      const response = await call!.call(client, request);
      assert.deepEqual(received.get(method), request);
      assert.deepEqual(response, samples.build(res, 7));
    });
  }
}

test('GetContainerEvents streams every event to the client', async () => {
  const request = samples.build('GetEventsRequest', 3);
  const events = [];
  for await (const e of client.getContainerEvents(request as Record<string, never>)) events.push(e);
  assert.deepEqual(received.get('GetContainerEvents'), request);
  assert.deepEqual(events, [samples.build('ContainerEventResponse', 7), samples.build('ContainerEventResponse', 8)]);
});

test('the samples covered every message type of api.proto', () => {
  // Built on demand by the tests above; build the rest of the request/response graph here too
  // in case tests were filtered, then compare with the package's message list.
  for (const m of [...runtimeServiceMethods.map((x) => typesOf('runtime', x)), ...imageServiceMethods.map((x) => typesOf('image', x))]) {
    samples.build(m.req);
    samples.build(m.res);
  }
  const missing = samples.messageNames().filter((n) => !samples.covered.has(n));
  assert.deepEqual(missing, [], `messages not reachable from any RPC: ${missing.join(', ')}`);
});

test('absent fields decode to zero values, absent messages to null', async () => {
  const v = await client.version({});
  assert.deepEqual(received.get('Version'), { version: '' });
  assert.equal(typeof v.runtime_name, 'string');
  await client.listPodSandbox();
  assert.deepEqual(received.get('ListPodSandbox'), { filter: null });
  await client.runPodSandbox({ config: { metadata: { name: 'p' } } });
  const r = received.get('RunPodSandbox') as { config: { metadata: unknown; labels: unknown; port_mappings: unknown; linux: unknown } };
  assert.deepEqual(r.config.metadata, { name: 'p', uid: '', namespace: '', attempt: 0 });
  assert.deepEqual(r.config.labels, {});
  assert.deepEqual(r.config.port_mappings, []);
  assert.equal(r.config.linux, null);
});
