// The generated types match api.proto, the client has a method per RPC, and a few field
// numbers that differ from their declaration order are on the wire where upstream puts them.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import { CriClient, criTarget } from '../../src/cri/client.js';
import { criDefinition } from '../../src/cri/proto.js';
import { generateCriTypes } from '../../src/cri/typegen.js';
import { imageServiceMethods, runtimeServiceMethods } from '../../src/cri/types.js';

test('src/cri/types.ts is what scripts/gen-cri-types.ts generates from api.proto', () => {
  const committed = readFileSync(fileURLToPath(new URL('../../../src/cri/types.ts', import.meta.url)), 'utf8');
  assert.ok(committed === generateCriTypes(criDefinition().pkg), 'types.ts is stale: run node dist/scripts/gen-cri-types.js');
});

test('the services have every upstream RPC, and CriClient a method for each', () => {
  const def = criDefinition();
  assert.deepEqual(Object.keys(def.runtime), [...runtimeServiceMethods]);
  assert.deepEqual(Object.keys(def.image), [...imageServiceMethods]);
  assert.equal(runtimeServiceMethods.length, 29);
  assert.equal(def.runtime.Version!.path, '/runtime.v1.RuntimeService/Version');
  assert.equal(def.image.ImageFsInfo!.path, '/runtime.v1.ImageService/ImageFsInfo');
  assert.equal(def.runtime.GetContainerEvents!.responseStream, true);
  for (const m of [...runtimeServiceMethods, ...imageServiceMethods]) {
    const name = m[0]!.toLowerCase() + m.slice(1);
    assert.equal(typeof (CriClient.prototype as unknown as Record<string, unknown>)[name], 'function', name);
  }
});

// [message, field set, upstream field number, wire type] — fields whose number is not their
// position, spelled as upstream spells them.
const WIRE: [string, Record<string, unknown>, number, number][] = [
  ['LinuxSandboxSecurityContext', { run_as_group: { value: 1 } }, 8, 2],
  ['LinuxSandboxSecurityContext', { supplemental_groups_policy: 'Strict' }, 11, 0],
  ['LinuxContainerSecurityContext', { run_as_group: { value: 1 } }, 12, 2],
  ['LinuxContainerSecurityContext', { no_new_privs: true }, 11, 0],
  ['LinuxContainerSecurityContext', { supplemental_groups_policy: 'Strict' }, 17, 0],
  ['ContainerConfig', { CDI_devices: [{ name: 'vendor.com/gpu=0' }] }, 17, 2],
  ['Mount', { uidMappings: [{ host_id: 1 }] }, 6, 2],
  ['ImageSpec', { user_specified_image: 'busybox' }, 18, 2],
  ['ImageSpec', { runtime_handler: 'runsc' }, 19, 2],
  ['ContainerStatus', { image_source: 'mirror' }, 19, 2],
  ['PodSandboxStatusResponse', { timestamp: 5 }, 4, 0],
  ['Namespace', { options: { network: 'NODE' } }, 2, 2],
  ['StatusResponse', { features: { supplemental_groups_policy: true } }, 4, 2],
  ['ContainerStats', { swap: { timestamp: 1 } }, 5, 2],
];

test('selected fields carry the upstream field numbers on the wire', () => {
  const pkg = criDefinition().pkg;
  for (const [message, value, number, wireType] of WIRE) {
    const t = pkg[`runtime.v1.${message}`] as MessageTypeDefinition<object, object>;
    const bytes = t.serialize(value);
    // The first byte(s) are the varint tag (number << 3 | wire type).
    let tag = 0;
    for (let i = 0, shift = 0; i < bytes.length; i++, shift += 7) {
      tag |= (bytes[i]! & 0x7f) << shift;
      if ((bytes[i]! & 0x80) === 0) break;
    }
    assert.equal(tag >> 3, number, `${message}.${Object.keys(value)[0]}`);
    assert.equal(tag & 7, wireType, `${message}.${Object.keys(value)[0]} wire type`);
  }
});

test('criTarget accepts socket paths and unix/tcp endpoints', () => {
  assert.equal(criTarget('/run/skiff/cri.sock'), 'unix:///run/skiff/cri.sock');
  assert.equal(criTarget('unix:///run/skiff/cri.sock'), 'unix:///run/skiff/cri.sock');
  assert.equal(criTarget('tcp://127.0.0.1:5000'), '127.0.0.1:5000');
  assert.equal(criTarget('cri.sock'), 'unix:cri.sock');
  assert.throws(() => criTarget(''), /empty/);
});
