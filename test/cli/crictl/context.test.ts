import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { grpcCodeName, parseDuration, parseLabels, resolveEndpoints, resolveIdPrefix } from '../../../src/cli/crictl/context.js';
import { authFromFlags } from '../../../src/cli/crictl/containers.js';

test('resolveIdPrefix: exact id, unique prefix, ambiguous prefix, unknown prefix passed on', () => {
  const ids = ['abc111', 'abc222', 'def333'];
  assert.equal(resolveIdPrefix('def', ids, 'container'), 'def333');
  assert.equal(resolveIdPrefix('abc111', ids, 'container'), 'abc111');
  assert.equal(resolveIdPrefix('zzz', ids, 'container'), 'zzz');
  assert.throws(() => resolveIdPrefix('abc', ids, 'pod sandbox'), /ambiguous pod sandbox ID "abc": it is a prefix of 2 pod sandbox IDs \(abc111, abc222\)/);
  assert.throws(() => resolveIdPrefix('', ids, 'container'), /ID cannot be empty/);
});

test('parseDuration: Go durations and bare seconds', () => {
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('3'), 3000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.throws(() => parseDuration('soon'), /invalid duration "soon"/);
  assert.throws(() => parseDuration('2x'), /invalid duration/);
});

test('resolveEndpoints: flag, then config file, then the default; image endpoint follows runtime', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-crictl-cfg-'));
  try {
    const none = join(dir, 'none.yaml');
    assert.deepEqual(resolveEndpoints({ config: undefined }, { CRI_CONFIG_FILE: undefined, HOME: dir } as NodeJS.ProcessEnv).runtime.startsWith('unix:'), true);
    const file = join(dir, 'crictl.yaml');
    await writeFile(file, 'runtime-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 10\n');
    const fromFile = resolveEndpoints({ config: file }, {});
    assert.deepEqual(fromFile, { runtime: 'unix:///run/containerd/containerd.sock', image: 'unix:///run/containerd/containerd.sock', connectTimeoutMs: 10_000, callTimeoutMs: 10_000 });
    const flags = resolveEndpoints({ config: file, runtimeEndpoint: '/a.sock', imageEndpoint: '/b.sock', timeout: '0' }, {});
    assert.deepEqual(flags, { runtime: '/a.sock', image: '/b.sock', connectTimeoutMs: 2000 });
    assert.throws(() => resolveEndpoints({ config: none }, {}), /crictl config file .* does not exist/);
    assert.throws(() => resolveEndpoints({ runtimeEndpoint: '', config: file }, {}), /--runtime-endpoint is not set/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('labels, credentials and gRPC code names', () => {
  assert.deepEqual(parseLabels(['a=1', 'b=2']), { a: '1', b: '2' });
  assert.throws(() => parseLabels(['a']), /incorrectly specified label: a/);
  assert.deepEqual(authFromFlags('user:pa:ss', undefined), { username: 'user', password: 'pa:ss' });
  assert.deepEqual(authFromFlags('user', undefined), { username: 'user', password: '' });
  assert.deepEqual(authFromFlags(undefined, 'dXNlcjpwYXNz'), { auth: 'dXNlcjpwYXNz' });
  assert.equal(authFromFlags(undefined, undefined), undefined);
  assert.throws(() => authFromFlags('u:p', 'x'), /both `--creds` and `--auth` are specified/);
  assert.throws(() => authFromFlags(':p', undefined), /username can't be empty/);
  assert.equal(grpcCodeName(5), 'NotFound');
  assert.equal(grpcCodeName(3), 'InvalidArgument');
  assert.equal(grpcCodeName(14), 'Unavailable');
  assert.equal(grpcCodeName(1), 'Canceled', "Go's spelling");
  assert.equal(grpcCodeName(0), 'OK');
  assert.equal(grpcCodeName(99), 'Code(99)');
});
