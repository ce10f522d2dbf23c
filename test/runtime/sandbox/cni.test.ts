// CNI list semantics (order, prevResult chaining, runtimeConfig, CNI_* environment, rollback,
// error surfacing) against small fake plugins written as shell scripts; the real plugins are
// exercised by cni-pod.test.ts.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CniConflist, CniPluginConfig } from '../../../src/network/cni-config.js';
import { CniPluginError, invokePlugin } from '../../../src/runtime/sandbox/cni-exec.js';
import { addNetworkList, checkNetworkList, delNetworkList, pluginConfig, type CniRuntimeConf } from '../../../src/runtime/sandbox/cni.js';
import { podIPs } from '../../../src/runtime/sandbox/cni-result.js';

let dir: string;
let log: string;

// Each fake appends "<name> <command>" to the log and saves its stdin and CNI_* env per call.
function fake(name: string, body: string): string {
  return `#!/bin/sh
n=$(cat ${log} 2>/dev/null | wc -l)
echo "${name} $CNI_COMMAND" >> ${log}
cat > ${dir}/stdin-$n-${name}
env | grep '^CNI_' | sort > ${dir}/env-$n-${name}
${body}
`;
}

const RESULT = `{"cniVersion":"1.0.0","interfaces":[{"name":"br"},{"name":"eth0","sandbox":"/ns"}],"ips":[{"address":"fd00::5/64","interface":1},{"address":"10.9.0.5/24","gateway":"10.9.0.1","interface":1}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.9.0.10"]}}`;

const rt: CniRuntimeConf = {
  containerId: 'c1',
  netns: '/ns',
  ifName: 'eth0',
  args: [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'web']],
  capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] },
};

function list(...types: string[]): CniConflist {
  const plugins = types.map((type): CniPluginConfig => (type === 'pm' ? { type, capabilities: { portMappings: true } } : { type, k: 'v' }));
  return { cniVersion: '1.0.0', name: 'fakenet', plugins };
}

async function calls(): Promise<string[]> {
  return (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
}

async function stdinOf(i: number, name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, `stdin-${i}-${name}`), 'utf8')) as Record<string, unknown>;
}

describe('CNI configuration lists', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-cnifake-'));
    log = join(dir, 'log');
    const scripts: Record<string, string> = {
      // Returns a fixed result on ADD, passes prevResult through on a second plugin.
      main: fake('main', `[ "$CNI_COMMAND" = ADD ] && echo '${RESULT}'; exit 0`),
      pm: fake('pm', `[ "$CNI_COMMAND" = ADD ] && sed -n 's/.*"prevResult":\\({.*}\\),"runtimeConfig".*/\\1/p' ${dir}/stdin-$n-pm; exit 0`),
      bad: fake('bad', `echo '{"cniVersion":"1.0.0","code":7,"msg":"invalid config","details":"field snat must be a boolean"}'; exit 1`),
      crash: fake('crash', 'echo "panic: boom" >&2; exit 2'),
      silent: fake('silent', 'exit 0'),
      // ADD works, DEL fails: a rollback that cannot complete.
      sticky: fake('sticky', `[ "$CNI_COMMAND" = ADD ] && { echo '${RESULT}'; exit 0; }; echo '{"code":5,"msg":"cannot delete"}'; exit 1`),
    };
    for (const [name, text] of Object.entries(scripts)) {
      await writeFile(join(dir, name), text);
      await chmod(join(dir, name), 0o755);
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await rm(log, { force: true });
  });

  it('ADD chains prevResult, injects capability args, sets the CNI environment', async () => {
    const result = await addNetworkList(list('main', 'pm'), rt, { binDirs: [join(dir, 'nowhere'), dir] });
    assert.deepEqual(await calls(), ['main ADD', 'pm ADD']);
    const first = await stdinOf(0, 'main');
    assert.deepEqual(first, { type: 'main', k: 'v', name: 'fakenet', cniVersion: '1.0.0' });
    const second = await stdinOf(1, 'pm');
    assert.deepEqual(second.prevResult, JSON.parse(RESULT));
    assert.deepEqual(second.runtimeConfig, { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] });
    const env = await readFile(join(dir, 'env-0-main'), 'utf8');
    for (const line of ['CNI_COMMAND=ADD', 'CNI_CONTAINERID=c1', 'CNI_NETNS=/ns', 'CNI_IFNAME=eth0', 'CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web', `CNI_PATH=${join(dir, 'nowhere')}:${dir}`]) {
      assert.ok(env.split('\n').includes(line), `${line} in\n${env}`);
    }
    assert.equal(result.cniVersion, '1.0.0');
    assert.deepEqual(result.dns.nameservers, ['10.9.0.10']);
    assert.deepEqual(podIPs(result, 'eth0'), ['10.9.0.5', 'fd00::5']);
  });

  it('CHECK runs in order and DEL in reverse, each with the cached result', async () => {
    const prev = JSON.parse(RESULT) as Record<string, never>;
    await checkNetworkList(list('main', 'pm'), rt, prev, { binDirs: [dir] });
    await delNetworkList(list('main', 'pm'), rt, prev, { binDirs: [dir] });
    assert.deepEqual(await calls(), ['main CHECK', 'pm CHECK', 'pm DEL', 'main DEL']);
    assert.deepEqual((await stdinOf(2, 'pm')).prevResult, prev);
    assert.deepEqual((await stdinOf(3, 'main')).prevResult, prev);
    await checkNetworkList({ ...list('main'), disableCheck: true }, rt, prev, { binDirs: [dir] });
    await assert.rejects(checkNetworkList({ ...list('main'), cniVersion: '0.3.1' }, rt, prev, { binDirs: [dir] }), /CHECK needs 0\.4\.0/);
  });

  it('a failing plugin names itself with its CNI error, and what ran is rolled back', async () => {
    await assert.rejects(addNetworkList(list('main', 'bad', 'pm'), rt, { binDirs: [dir] }), (e: unknown) => {
      assert.ok(e instanceof CniPluginError);
      assert.equal(e.plugin, 'bad');
      assert.equal(e.code, 7);
      assert.equal(e.message, 'CNI plugin "bad" failed ADD on network "fakenet": invalid config: field snat must be a boolean (CNI error 7: invalid network config)');
      return true;
    });
    assert.deepEqual(await calls(), ['main ADD', 'bad ADD', 'bad DEL', 'main DEL']);
    assert.deepEqual((await stdinOf(3, 'main')).prevResult, JSON.parse(RESULT));
  });

  it('a rollback that fails is reported after the original error', async () => {
    await assert.rejects(
      addNetworkList(list('sticky', 'bad'), rt, { binDirs: [dir] }),
      /CNI plugin "bad" failed ADD on network "fakenet": invalid config: field snat must be a boolean \(CNI error 7: invalid network config\); rollback also failed: CNI plugin "sticky" failed DEL on network "fakenet": cannot delete \(CNI error 5: I\/O failure\)$/,
    );
  });

  it('a crash, a missing result and a missing binary are errors that say so', async () => {
    await assert.rejects(addNetworkList(list('crash'), rt, { binDirs: [dir] }), /CNI plugin "crash" failed ADD on network "fakenet": .*crash exited with status 2: panic: boom/);
    await assert.rejects(addNetworkList(list('silent'), rt, { binDirs: [dir] }), /CNI plugin "silent" failed ADD .*printed no result/);
    await assert.rejects(addNetworkList(list('nosuch'), rt, { binDirs: [dir] }), /CNI plugin "nosuch" failed ADD .*plugin binary not found in /);
  });

  it('DEL keeps going past a failure and reports it', async () => {
    await assert.rejects(delNetworkList(list('main', 'bad', 'pm'), rt, undefined, { binDirs: [dir] }), /CNI plugin "bad" failed DEL/);
    assert.deepEqual(await calls(), ['pm DEL', 'bad DEL', 'main DEL']);
    assert.equal((await stdinOf(2, 'main')).prevResult, undefined);
  });

  it('a hung plugin is killed at the timeout', async () => {
    await writeFile(join(dir, 'hang'), '#!/bin/sh\nexec sleep 30\n');
    await chmod(join(dir, 'hang'), 0o755);
    await assert.rejects(
      invokePlugin({ command: 'DEL', type: 'hang', network: 'n', config: {}, containerId: 'c', netns: '', ifName: 'eth0', args: [], binDirs: [dir], timeoutMs: 300 }),
      /was killed by SIGKILL: timed out after 300 ms/,
    );
  });

  it('plugin configs only get the capabilities they declare', () => {
    const plain = pluginConfig(list('main'), { type: 'main', runtimeConfig: { mac: 'x' } }, rt, undefined);
    assert.deepEqual(plain, { type: 'main', runtimeConfig: { mac: 'x' }, name: 'fakenet', cniVersion: '1.0.0' });
    const pm = pluginConfig(list('pm'), { type: 'pm', capabilities: { portMappings: true, bandwidth: true } }, { ...rt, capabilityArgs: {} }, undefined);
    assert.equal(pm.runtimeConfig, undefined);
  });
});
