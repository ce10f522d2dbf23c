import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDefaultConflist,
  CONFLIST_TEMPLATE_VERSION,
  ensureDefaultConflist,
  loopbackNetwork,
  parseConflist,
  parsePodCIDRs,
} from '../../src/network/cni-config.js';

describe('parsePodCIDRs', () => {
  it('normalises host bits and accepts one range per family', () => {
    assert.deepEqual(parsePodCIDRs('10.88.3.7/16'), ['10.88.0.0/16']);
    assert.deepEqual(parsePodCIDRs(' 10.42.0.0/24 , fd00:10:42::5/64'), ['10.42.0.0/24', 'fd00:10:42::/64']);
    assert.deepEqual(parsePodCIDRs(['10.1.0.0/24']), ['10.1.0.0/24']);
  });
  it('rejects bad input saying what is wrong', () => {
    assert.throws(() => parsePodCIDRs(''), /empty/);
    assert.throws(() => parsePodCIDRs('10.88.0.0'), /not a valid CIDR/);
    assert.throws(() => parsePodCIDRs('10.0.0.0/24,10.1.0.0/24'), /more than one ipv4/);
    assert.throws(() => parsePodCIDRs('10.0.0.0/31'), /too small/);
  });
});

describe('buildDefaultConflist', () => {
  it('is bridge + host-local + portmap on CNI 1.0.0, loopback apart', () => {
    const c = buildDefaultConflist();
    assert.equal(c.cniVersion, '1.0.0');
    assert.equal(c.name, 'skiff');
    assert.deepEqual(c.plugins.map((p) => p.type), ['bridge', 'portmap']);
    const [bridge, portmap] = c.plugins;
    assert.equal(bridge?.bridge, 'skiff0');
    assert.equal(bridge?.isGateway, true);
    assert.equal(bridge?.ipMasq, true);
    assert.equal(bridge?.hairpinMode, true);
    assert.deepEqual(bridge?.ipam, { type: 'host-local', ranges: [[{ subnet: '10.88.0.0/16' }]], routes: [{ dst: '0.0.0.0/0' }] });
    assert.deepEqual(portmap, { type: 'portmap', capabilities: { portMappings: true }, snat: true });
    assert.deepEqual(c.skiff, { configVersion: CONFLIST_TEMPLATE_VERSION, podCIDRs: ['10.88.0.0/16'] });
    assert.deepEqual(loopbackNetwork(), { cniVersion: '1.0.0', name: 'cni-loopback', plugins: [{ type: 'loopback' }] });
  });
  it('gives dual-stack pods one address per family and a default route each', () => {
    const c = buildDefaultConflist({ podCIDR: '10.42.0.0/24,fd00::/64', bridge: 'br-x', ipamDataDir: '/tmp/ipam', mtu: 1400 });
    const ipam = c.plugins[0]?.ipam;
    assert.deepEqual(ipam, {
      type: 'host-local',
      ranges: [[{ subnet: '10.42.0.0/24' }], [{ subnet: 'fd00::/64' }]],
      routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
      dataDir: '/tmp/ipam',
    });
    assert.equal(c.plugins[0]?.mtu, 1400);
  });
  it('rejects names the kernel or CNI would refuse', () => {
    assert.throws(() => buildDefaultConflist({ bridge: 'a-very-long-bridge-name' }), /interface name/);
    assert.throws(() => buildDefaultConflist({ networkName: 'bad name' }), /network name/);
  });
});

describe('parseConflist', () => {
  it('reads a list and wraps a single-plugin .conf', () => {
    const list = parseConflist('{"cniVersion":"0.4.0","name":"n","plugins":[{"type":"bridge"}],"disableCheck":true}');
    assert.deepEqual(list, { cniVersion: '0.4.0', name: 'n', plugins: [{ type: 'bridge' }], disableCheck: true });
    const conf = parseConflist('{"cniVersion":"1.0.0","name":"n","type":"ptp","ipMasq":true}');
    assert.deepEqual(conf.plugins, [{ type: 'ptp', ipMasq: true }]);
  });
  it('rejects what a runtime cannot run', () => {
    assert.throws(() => parseConflist('nope', 'f.conflist'), /f\.conflist is not valid JSON/);
    assert.throws(() => parseConflist('{"cniVersion":"1.0.0","plugins":[{"type":"x"}]}'), /"name"/);
    assert.throws(() => parseConflist('{"cniVersion":"1.0.0","name":"n","plugins":[]}'), /non-empty array/);
    assert.throws(() => parseConflist('{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../sh"}]}'), /plain binary name/);
  });
});

describe('ensureDefaultConflist', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cniconf-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes once, rewrites when the pod CIDR changes', async () => {
    const confDir = join(dir, 'a');
    const first = await ensureDefaultConflist({ confDir });
    assert.equal(first.path, join(confDir, '10-skiff.conflist'));
    assert.equal(first.changed, true);
    assert.deepEqual(parseConflist(await readFile(first.path, 'utf8')), first.conflist);
    const again = await ensureDefaultConflist({ confDir });
    assert.equal(again.changed, false);
    const updated = await ensureDefaultConflist({ confDir, podCIDR: '10.42.1.0/24' });
    assert.equal(updated.changed, true);
    assert.deepEqual(parseConflist(await readFile(first.path, 'utf8')).skiff?.podCIDRs, ['10.42.1.0/24']);
  });

  it('leaves an administrator\'s conflist alone and refuses to overwrite a broken one', async () => {
    const confDir = join(dir, 'b');
    await ensureDefaultConflist({ confDir });
    const path = join(confDir, '10-skiff.conflist');
    const mine = '{"cniVersion":"0.4.0","name":"mine","plugins":[{"type":"ptp"}]}';
    await writeFile(path, mine);
    const r = await ensureDefaultConflist({ confDir, podCIDR: '10.9.0.0/16' });
    assert.equal(r.userManaged, true);
    assert.equal(r.changed, false);
    assert.equal(r.conflist.name, 'mine');
    assert.equal(await readFile(path, 'utf8'), mine);
    await writeFile(path, '{broken');
    await assert.rejects(ensureDefaultConflist({ confDir }), /not valid JSON.*fix or delete it/);
  });
});
