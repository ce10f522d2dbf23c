// Wire compatibility with a real CRI peer: skiff's CriClient against Debian's containerd 1.6
// CRI plugin. Only read-only RPCs that need no image or network are exercised.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CriClient } from '../../src/cri/client.js';
import { CriError, GrpcStatus } from '../../src/cri/errors.js';
import { startContainerdPeer, type ContainerdPeer } from './containerd-peer.js';

let peer: ContainerdPeer;
let client: CriClient;

before(async () => {
  peer = await startContainerdPeer();
  client = new CriClient(`unix://${peer.socket}`, { timeoutMs: 30_000 });
});

after(async () => {
  client?.close();
  await peer?.stop();
});

test('Version: containerd speaks CRI v1', async () => {
  const v = await client.version({ version: 'v1' });
  assert.equal(v.runtime_name, 'containerd');
  assert.equal(v.runtime_api_version, 'v1');
  assert.equal(v.version, '0.1.0');
  assert.match(v.runtime_version, /^v?1\.6\./);
});

test('Status: RuntimeReady and NetworkReady conditions, verbose info as JSON', async () => {
  const s = await client.status({ verbose: true });
  const cond = new Map(s.status?.conditions.map((c) => [c.type, c]));
  assert.equal(cond.get('RuntimeReady')?.status, true);
  // No CNI config in the temp conf_dir: the network is reported not ready, with a reason.
  const net = cond.get('NetworkReady');
  assert.equal(net?.status, false);
  assert.equal(net?.reason, 'NetworkPluginNotReady');
  assert.ok(Array.isArray(s.runtime_handlers));
  const config = JSON.parse(s.info.config ?? '{}') as { containerd?: { snapshotter?: string }; restrictOOMScoreAdj?: boolean };
  assert.equal(config.containerd?.snapshotter, 'overlayfs');
  assert.equal(config.restrictOOMScoreAdj, true);
});

test('ListImages, ListPodSandbox, ListContainers: empty lists', async () => {
  assert.deepEqual(await client.listImages(), { images: [] });
  assert.deepEqual(await client.listPodSandbox({ filter: { state: { state: 'SANDBOX_READY' } } }), { items: [] });
  assert.deepEqual(await client.listContainers(), { containers: [] });
  assert.deepEqual(await client.listPodSandboxStats(), { stats: [] });
});

test('ImageFsInfo: the overlayfs snapshotter directory under the peer root', async () => {
  const info = await client.imageFsInfo();
  assert.ok(info.image_filesystems.length >= 1);
  const fs = info.image_filesystems[0]!;
  assert.ok(fs.timestamp > 0);
  assert.equal(fs.fs_id?.mountpoint, `${peer.dir}/root/io.containerd.snapshotter.v1.overlayfs`);
  assert.equal(typeof fs.used_bytes?.value, 'number');
  assert.equal(typeof fs.inodes_used?.value, 'number');
});

test('ImageStatus of an absent image answers no image; unknown sandbox is NOT_FOUND', async () => {
  const st = await client.imageStatus({ image: { image: 'docker.io/library/skiff-no-such-image:1' } });
  assert.equal(st.image, null);
  const err = await client.podSandboxStatus({ pod_sandbox_id: 'skiff-no-such-sandbox' }).catch((e: unknown) => e);
  assert.ok(err instanceof CriError, String(err));
  assert.equal(err.code, GrpcStatus.NOT_FOUND, err.message);
});

test('UpdateRuntimeConfig is accepted; an RPC containerd 1.6 lacks is UNIMPLEMENTED', async () => {
  assert.deepEqual(await client.updateRuntimeConfig({ runtime_config: { network_config: { pod_cidr: '10.88.0.0/16' } } }), {});
  const err = await client.runtimeConfig().catch((e: unknown) => e);
  assert.ok(err instanceof CriError, String(err));
  assert.equal(err.code, GrpcStatus.UNIMPLEMENTED, err.message);
});
