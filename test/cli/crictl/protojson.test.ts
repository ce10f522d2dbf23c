import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromConfigDocument, jsonName, renderMessage, renderStatusData, toProtoJson } from '../../../src/cli/crictl/protojson.js';

test('jsonName: protoc lowerCamelCase', () => {
  assert.equal(jsonName('pod_sandbox_id'), 'podSandboxId');
  assert.equal(jsonName('usage_core_nano_seconds'), 'usageCoreNanoSeconds');
  assert.equal(jsonName('id'), 'id');
});

test('toProtoJson: camelCase, int64 as strings, defaults present, unset messages absent', () => {
  const doc = toProtoJson({ id: 'x', metadata: null, state: 'SANDBOX_READY', created_at: 1700000000000000000, labels: { a: 'b' }, annotations: {}, runtime_handler: '' }, 'PodSandbox');
  assert.deepEqual(doc, { id: 'x', state: 'SANDBOX_READY', createdAt: '1700000000000000000', labels: { a: 'b' }, annotations: {}, runtimeHandler: '' });
  const img = toProtoJson({ id: 'i', repo_tags: ['t'], repo_digests: [], size: 12, uid: { value: 0 }, username: '', spec: null, pinned: false, image_source: '' }, 'Image');
  assert.deepEqual(img, { id: 'i', repoTags: ['t'], repoDigests: [], size: '12', uid: { value: '0' }, username: '', pinned: false, imageSource: '' });
  const exec = toProtoJson({ stdout: Buffer.from('hi'), stderr: Buffer.alloc(0), exit_code: 0 }, 'ExecSyncResponse');
  assert.deepEqual(exec, { stdout: 'aGk=', stderr: '', exitCode: 0 });
});

test('renderMessage: JSON with one newline, YAML sorted with a blank line', () => {
  const r = { items: [{ id: 'x', metadata: { name: 'n', uid: 'u', namespace: 'ns', attempt: 0 }, state: 'SANDBOX_READY', created_at: 5, labels: {}, annotations: {}, runtime_handler: '' }] };
  const json = renderMessage(r, 'ListPodSandboxResponse', 'json');
  assert.ok(json.startsWith('{\n  "items": [\n    {\n      "id": "x",\n      "metadata": {\n        "name": "n",'));
  assert.ok(json.endsWith('}\n') && !json.endsWith('\n\n'));
  const yaml = renderMessage(r, 'ListPodSandboxResponse', 'yaml');
  assert.equal(yaml, 'items:\n- annotations: {}\n  createdAt: "5"\n  id: x\n  labels: {}\n  metadata:\n    attempt: 0\n    name: n\n    namespace: ns\n    uid: u\n  runtimeHandler: ""\n  state: SANDBOX_READY\n\n');
});

test('renderStatusData: info values embedded, keys sorted, several entries as a list', () => {
  const one = renderStatusData([{ status: { z: 1, a: 2 }, info: { info: '{"y":1,"x":2}', plain: '"quoted"' } }], 'json');
  assert.equal(one, '{\n  "info": {\n    "x": 2,\n    "y": 1\n  },\n  "plain": "quoted",\n  "status": {\n    "a": 2,\n    "z": 1\n  }\n}\n');
  const two = renderStatusData([{ status: 1, info: {} }, { status: 2, info: {} }], 'json');
  assert.equal(two, '[\n  {\n    "status": 1\n  },\n  {\n    "status": 2\n  }\n]\n');
  assert.equal(renderStatusData([], 'json'), '');
  assert.throws(() => renderStatusData([{ info: { bad: '{nope' } }], 'json'), /info "bad" looks like a JSON object but is not valid JSON/);
});

test('fromConfigDocument: snake_case, camelCase and case-insensitive names; unknown fields warned', () => {
  const warnings: string[] = [];
  const cfg = fromConfigDocument(
    {
      metadata: { name: 'p', Namespace: 'default', attempt: '2' },
      logDirectory: '/tmp/logs',
      port_mappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080 }],
      linux: { security_context: { namespace_options: { network: 2 } } },
      labels: { app: 'web' },
      bogus: true,
    },
    'PodSandboxConfig',
    (m) => warnings.push(m),
  );
  assert.deepEqual(cfg, {
    metadata: { name: 'p', namespace: 'default', attempt: 2 },
    log_directory: '/tmp/logs',
    port_mappings: [{ protocol: 'TCP', container_port: 80, host_port: 8080 }],
    linux: { security_context: { namespace_options: { network: 2 } } },
    labels: { app: 'web' },
  });
  assert.deepEqual(warnings, ['ignoring unknown field "bogus" (not a field of PodSandboxConfig)']);
  assert.throws(() => fromConfigDocument({ metadata: { attempt: 'x' } }, 'PodSandboxConfig', () => undefined), /metadata\.attempt: expected a number, got "x"/);
  assert.throws(() => fromConfigDocument({ command: 'sh' }, 'ContainerConfig', () => undefined), /command: expected a list/);
});
