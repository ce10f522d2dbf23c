// Pod networks with the real plugins (root): Debian's bridge, host-local, portmap and loopback.
// Everything is unique to this run — bridge, network name (so iptables chains and comments),
// pod subnet (checked free against the host's routes), host-local data dir, namespace directory,
// host port — and removed in after(), including the shared portmap chains when idle and nat
// tables iptables-nft created for them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ipaddr from 'ipaddr.js';
import { buildDefaultConflist, type CniConflist } from '../../../src/network/cni-config.js';
import { CniPluginError } from '../../../src/runtime/sandbox/cni-exec.js';
import { attachmentChains, attachmentNatRules, natRules, removeIdleHostportChains, splitRule } from '../../../src/runtime/sandbox/cni-iptables.js';
import { PodNetworkManager, type PodNetworkStatus } from '../../../src/runtime/sandbox/cni-pod.js';
import { execInNetns, NetnsManager, nsMounts, spawnInNetns } from '../../../src/runtime/sandbox/netns.js';
import { eventually } from '../../helpers/eventually.js';

const execFileP = promisify(execFile);
const uniq = randomBytes(3).toString('hex');
const bridge = `skt${uniq}`;
const network = `skiff-test-${uniq}`;
const ids = new Set<string>();

function sandboxId(label: string): string {
  const id = `${label}-${uniq}-${randomBytes(8).toString('hex')}`;
  ids.add(id);
  return id;
}

/** A /24 under 10.200.0.0/13 that no route on this host overlaps. */
async function freeSubnet(): Promise<string> {
  const { stdout } = await execFileP('ip', ['-4', '-o', 'route', 'show', 'table', 'all']);
  const taken = stdout
    .split('\n')
    .map((l) => l.split(' ').find((t) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(t)))
    .filter((t): t is string => t !== undefined)
    .map((t) => ipaddr.IPv4.parseCIDR(t.includes('/') ? t : `${t}/32`));
  for (;;) {
    const cidr = `10.${200 + randomInt(8)}.${randomInt(256)}.0/24`;
    const [net, bits] = ipaddr.IPv4.parseCIDR(cidr);
    if (!taken.some(([a, b]) => net.match(a, Math.min(b, bits)) || a.match(net, Math.min(b, bits)))) return cidr;
  }
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + randomInt(20000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

async function linkExists(name: string): Promise<boolean> {
  return execFileP('ip', ['link', 'show', name]).then(
    () => true,
    () => false,
  );
}

function hostVeth(st: PodNetworkStatus): string {
  const v = st.result.interfaces.find((i) => i.sandbox === undefined && i.name !== bridge);
  assert.ok(v, 'the result names the host end of the veth');
  return v.name;
}

interface IpLink {
  ifname: string;
  flags: string[];
  operstate: string;
  addr_info: Array<{ family: string; local: string }>;
}

async function linksIn(netnsPath: string): Promise<IpLink[]> {
  const r = await execInNetns(netnsPath, ['ip', '-j', 'addr', 'show']);
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout) as IpLink[];
}

async function ping(netnsPath: string, ip: string): Promise<void> {
  const r = await execInNetns(netnsPath, ['busybox', 'ping', '-c', '1', '-W', '5', ip], { timeoutMs: 20_000 });
  assert.equal(r.exitCode, 0, `ping ${ip} from ${netnsPath}: ${r.stdout}${r.stderr}`);
}

describe('pod networks with the real CNI plugins', () => {
  let root: string;
  let subnet: string;
  let conflist: CniConflist;
  let netns: NetnsManager;
  let mgr: PodNetworkManager;
  let natTablesBefore: string;
  const ipamDir = (): string => join(root, 'ipam', network);

  // A fresh pair of objects over the same directories, as after a runtime restart.
  const fresh = (net?: CniConflist): PodNetworkManager => {
    netns = new NetnsManager({ dir: join(root, 'netns'), recordsDir: join(root, 'netns-records') });
    return new PodNetworkManager({ recordsDir: join(root, 'cni-records'), netns, network: net });
  };

  async function assertGone(st: PodNetworkStatus): Promise<void> {
    assert.equal(await linkExists(hostVeth(st)), false, 'host veth removed');
    assert.deepEqual(await attachmentNatRules(network, st.sandboxId), [], 'no iptables rules left for the pod');
    await assert.rejects(access(join(ipamDir(), st.ip)), 'host-local released the address');
    assert.equal((await nsMounts()).includes(st.netnsPath), false, 'namespace unmounted');
    assert.equal(await mgr.records.get(st.sandboxId), undefined, 'record removed');
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-cnipod-'));
    subnet = await freeSubnet();
    conflist = buildDefaultConflist({ podCIDR: subnet, bridge, networkName: network, ipamDataDir: join(root, 'ipam') });
    mgr = fresh(conflist);
    natTablesBefore = (await execFileP('nft', ['list', 'tables'])).stdout;
  });

  after(async () => {
    const errors: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const id of ids) await attempt(() => mgr.tearDown(id));
    await attempt(() => netns.removeAll());
    for (const m of await nsMounts()) if (m.startsWith(root + '/')) await attempt(() => execFileP('umount', ['--lazy', m]));
    if (await linkExists(bridge)) await attempt(() => execFileP('ip', ['link', 'del', bridge]));
    // Safety net for a failed DEL: our rules carry our unique network name; our chains our ids.
    for (const family of ['iptables', 'ip6tables'] as const) {
      for (const line of await natRules(family)) {
        const m = /^-A (\S+) (.*)$/.exec(line);
        if (m !== null && line.includes(`name: \\"${network}\\"`)) await attempt(() => execFileP(family, ['-w', '-t', 'nat', '-D', m[1] as string, ...splitRule(m[2] as string)]));
      }
      for (const id of ids) {
        for (const chain of Object.values(attachmentChains(network, id))) {
          if ((await natRules(family)).some((l) => l.startsWith(`:${chain} `))) {
            await attempt(() => execFileP(family, ['-w', '-t', 'nat', '-F', chain]).then(() => execFileP(family, ['-w', '-t', 'nat', '-X', chain])));
          }
        }
      }
    }
    await attempt(() => removeIdleHostportChains());
    // iptables-nft made the nat tables for portmap; drop them if they were not there and are empty.
    for (const [family, table] of [['iptables', 'ip nat'], ['ip6tables', 'ip6 nat']] as const) {
      if (natTablesBefore.includes(`table ${table}\n`)) continue;
      const rules = await natRules(family);
      if (rules.length > 0 && !rules.some((l) => l.startsWith('-A ') || (l.startsWith(':') && !/^:(PREROUTING|INPUT|OUTPUT|POSTROUTING) /.test(l)))) {
        await attempt(() => execFileP('nft', ['delete', 'table', ...table.split(' ')]));
      }
    }
    await rm(root, { recursive: true, force: true });
    assert.deepEqual(errors, [], 'cleanup');
  });

  let a: PodNetworkStatus;
  let b: PodNetworkStatus;

  it('ADD gives an address in the pod subnet, with eth0 and lo up in the namespace', async () => {
    assert.deepEqual(await mgr.condition(), { ready: true, reason: '', message: '' });
    a = await mgr.setUp({ sandboxId: sandboxId('a'), podName: 'a', podNamespace: 'default', podUid: 'uid-a' });
    const [net, bits] = ipaddr.IPv4.parseCIDR(subnet);
    assert.ok(ipaddr.IPv4.parse(a.ip).match(net, bits), `${a.ip} in ${subnet}`);
    assert.deepEqual(a.additionalIPs, []);
    assert.equal(a.netnsPath, join(root, 'netns', a.sandboxId));
    const links = await linksIn(a.netnsPath);
    const eth0 = links.find((l) => l.ifname === 'eth0');
    const lo = links.find((l) => l.ifname === 'lo');
    assert.ok(eth0 !== undefined && eth0.flags.includes('UP') && eth0.operstate === 'UP', JSON.stringify(eth0));
    assert.ok(eth0.addr_info.some((x) => x.family === 'inet' && x.local === a.ip));
    assert.ok(lo?.flags.includes('UP') && lo.addr_info.some((x) => x.local === '127.0.0.1'), JSON.stringify(lo));
    assert.equal(await linkExists(hostVeth(a)), true);
    await access(join(ipamDir(), a.ip));
    assert.equal((await mgr.records.get(a.sandboxId))?.phase, 'ready');
    assert.deepEqual(await mgr.status(a.sandboxId), a);
  });

  it('CHECK passes on a healthy attachment', async () => {
    await mgr.check(a.sandboxId);
  });

  it('two pods reach each other over the bridge, and the gateway on the host', async () => {
    b = await mgr.setUp({ sandboxId: sandboxId('b'), podName: 'b', podNamespace: 'default' });
    assert.notEqual(a.ip, b.ip);
    await ping(a.netnsPath, b.ip);
    await ping(b.netnsPath, a.ip);
    const gateway = a.result.ips[0]?.gateway;
    assert.ok(gateway !== undefined);
    await ping(a.netnsPath, gateway);
  });

  it('a hostPort is reachable from the host through 127.0.0.1 and through the host address', async () => {
    const hostPort = await freePort();
    const c = await mgr.setUp({
      sandboxId: sandboxId('c'),
      podName: 'web',
      podNamespace: 'default',
      portMappings: [
        { hostPort, containerPort: 80, protocol: 'TCP' },
        { hostPort: 0, containerPort: 81 }, // no host port: not programmed
      ],
    });
    assert.deepEqual((await mgr.records.get(c.sandboxId))?.portMappings, [{ hostPort, containerPort: 80, protocol: 'tcp' }]);
    const www = join(root, 'www');
    await mkdir(www, { recursive: true });
    await writeFile(join(www, 'index.html'), `hello from ${uniq}\n`);
    const httpd = spawnInNetns(c.netnsPath, ['busybox', 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
    try {
      const body = await eventually('httpd answers through 127.0.0.1', () => httpGet(`http://127.0.0.1:${hostPort}/`));
      assert.equal(body, `hello from ${uniq}\n`);
      const { stdout } = await execFileP('ip', ['-4', '-o', 'addr', 'show', 'scope', 'global']);
      const hostIP = stdout
        .split('\n')
        .filter((l) => l !== '' && !l.includes(bridge))
        .map((l) => /inet (\S+)\//.exec(l)?.[1])
        .find((x) => x !== undefined);
      assert.ok(hostIP, 'the host has a global IPv4 address');
      assert.equal(await httpGet(`http://${hostIP}:${hostPort}/`), `hello from ${uniq}\n`);
      // From another pod too, through the host address (DNAT in PREROUTING).
      // (busybox 1.35's wget crashes with -T; the exec timeout bounds it instead.)
      const viaPod = await execInNetns(b.netnsPath, ['busybox', 'wget', '-q', '-O', '-', `http://${hostIP}:${hostPort}/`], { timeoutMs: 20_000 });
      assert.equal(viaPod.stdout, `hello from ${uniq}\n`, viaPod.stderr);
      await mgr.check(c.sandboxId);
    } finally {
      if (httpd.pid !== undefined) process.kill(httpd.pid, 'SIGTERM');
      await new Promise((resolve) => (httpd.exitCode !== null || httpd.signalCode !== null ? resolve(undefined) : httpd.once('exit', resolve)));
      await mgr.tearDown(c.sandboxId);
    }
    await assertGone(c);
    await assert.rejects(httpGet(`http://127.0.0.1:${hostPort}/`));
  });

  it('DEL removes the veth, the rules, the allocation and the namespace; a re-ADD gets an address', async () => {
    await mgr.tearDown(a.sandboxId);
    await assertGone(a);
    await mgr.tearDown(a.sandboxId); // idempotent
    const again = await mgr.setUp({ sandboxId: a.sandboxId, podName: 'a', podNamespace: 'default' });
    assert.ok(again.ip !== '');
    await ping(again.netnsPath, b.ip);
    await mgr.tearDown(again.sandboxId);
    await assertGone(again);
  });

  it('after a restart, DEL works from the records alone (no network configured)', async () => {
    mgr = fresh(undefined);
    assert.equal((await mgr.condition()).ready, false);
    assert.deepEqual((await mgr.status(b.sandboxId))?.ip, b.ip);
    await mgr.tearDown(b.sandboxId);
    await assertGone(b);
    await mgr.tearDown('never-existed');
    mgr = fresh(conflist);
  });

  it('recover() tears down a set-up that a crash interrupted', async () => {
    const d = await mgr.setUp({ sandboxId: sandboxId('d'), podName: 'd', podNamespace: 'default', portMappings: [{ hostPort: await freePort(), containerPort: 80 }] });
    // As if the runtime died after the plugins ran but before the final record write.
    const rec = await mgr.records.get(d.sandboxId);
    assert.ok(rec);
    await mgr.records.put(d.sandboxId, { ...rec, phase: 'setting-up', networks: rec.networks.map((n) => ({ conflist: n.conflist, ifName: n.ifName })) });
    mgr = fresh(conflist);
    assert.equal(await mgr.status(d.sandboxId), undefined);
    assert.deepEqual(await mgr.recover(), { tornDown: [d.sandboxId], failed: [] });
    await assertGone(d);
  });

  it('a failing plugin is named in the error, and nothing is left behind', async () => {
    const broken: CniConflist = { ...conflist, plugins: conflist.plugins.map((p) => (p.type === 'portmap' ? { ...p, markMasqBit: 99 } : p)) };
    mgr.setNetwork(broken);
    const id = sandboxId('bad');
    const vethsBefore = (await execFileP('ip', ['-o', 'link', 'show', 'master', bridge])).stdout;
    await assert.rejects(
      mgr.setUp({ sandboxId: id, podName: 'bad', podNamespace: 'default', portMappings: [{ hostPort: await freePort(), containerPort: 80 }] }),
      (e: unknown) => {
        assert.ok(e instanceof CniPluginError, String(e));
        assert.equal(e.plugin, 'portmap');
        assert.match(e.message, /^CNI plugin "portmap" failed ADD on network "skiff-test-/);
        return true;
      },
    );
    assert.equal((await execFileP('ip', ['-o', 'link', 'show', 'master', bridge])).stdout, vethsBefore, 'no veth left on the bridge');
    assert.deepEqual(await attachmentNatRules(network, id), []);
    assert.equal(await mgr.records.get(id), undefined);
    assert.equal(await netns.exists(id), false);
    assert.deepEqual(await netns.list(), []);

    mgr.setNetwork({ ...conflist, plugins: [...conflist.plugins, { type: 'no-such-plugin' }] });
    await assert.rejects(mgr.setUp({ sandboxId: sandboxId('missing'), podName: 'm', podNamespace: 'default' }), /CNI plugin "no-such-plugin" failed ADD .*not found/);
    assert.match((await mgr.condition()).message, /no-such-plugin/);
    assert.deepEqual(await netns.list(), []);
    assert.deepEqual(await mgr.list(), []);
    mgr.setNetwork(conflist);
  });

  it('leaves no namespace, record or pod rule behind', async () => {
    assert.deepEqual(await netns.list(), []);
    assert.deepEqual(await mgr.list(), []);
    for (const id of ids) assert.deepEqual(await attachmentNatRules(network, id), []);
  });
});
