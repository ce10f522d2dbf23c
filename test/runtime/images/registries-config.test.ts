import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseReference } from '../../../src/runtime/images/reference.js';
import { isLoopbackHost, loadRegistriesConfig, parseRegistriesConfig, resolveEndpoints } from '../../../src/runtime/images/registries-config.js';
import { ImageError } from '../../../src/runtime/images/registry-errors.js';

const urls = (ref: string, yaml = ''): string[] => resolveEndpoints(parseReference(ref), parseRegistriesConfig(yaml)).map((e) => `${e.url} ${e.repository}`);

describe('registries.yaml resolution', () => {
  it('uses the registry itself without configuration: docker.io → registry-1.docker.io over https', () => {
    assert.deepEqual(urls('busybox'), ['https://registry-1.docker.io/v2 library/busybox']);
    assert.deepEqual(urls('quay.io/a/b'), ['https://quay.io/v2 a/b']);
  });

  it('reaches loopback registries over plain http without configuration', () => {
    assert.deepEqual(urls('127.0.0.1:5000/x'), ['http://127.0.0.1:5000/v2 x']);
    assert.deepEqual(urls('127.1.2.3:5000/x'), ['http://127.1.2.3:5000/v2 x']);
    assert.deepEqual(urls('localhost:5000/x'), ['http://localhost:5000/v2 x']);
    assert.deepEqual(urls('localhost/x'), ['http://localhost/v2 x']);
    assert.deepEqual(urls('[::1]:5000/x'), ['http://[::1]:5000/v2 x']);
    assert.deepEqual(urls('10.0.0.1:5000/x'), ['https://10.0.0.1:5000/v2 x']);
  });

  it('tries the mirrors of docker.io first, then the default endpoint', () => {
    const yaml = `
mirrors:
  docker.io:
    endpoint:
      - "http://127.0.0.1:5000"
      - "https://mirror.example.com/custom/v2"
`;
    assert.deepEqual(urls('busybox', yaml), [
      'http://127.0.0.1:5000/v2 library/busybox',
      'https://mirror.example.com/custom/v2 library/busybox',
      'https://registry-1.docker.io/v2 library/busybox',
    ]);
    const eps = resolveEndpoints(parseReference('busybox'), parseRegistriesConfig(yaml));
    assert.deepEqual(eps.map((e) => e.mirror), [true, true, false]);
    // other registries are untouched
    assert.deepEqual(urls('quay.io/a', yaml), ['https://quay.io/v2 a']);
  });

  it('applies rewrites to mirrors only, the "*" mirror to registries without their own, and dedupes', () => {
    const yaml = `
mirrors:
  docker.io:
    endpoint: ["127.0.0.1:5000", "https://registry-1.docker.io"]
    rewrite:
      "^library/(.*)": "mirrored/$1"
  "*":
    endpoint: ["https://all.example.com"]
`;
    assert.deepEqual(urls('busybox', yaml), ['http://127.0.0.1:5000/v2 mirrored/busybox', 'https://registry-1.docker.io/v2 mirrored/busybox']);
    assert.deepEqual(urls('quay.io/a/b', yaml), ['https://all.example.com/v2 a/b', 'https://quay.io/v2 a/b']);
  });

  it('attaches auth and tls from configs; a loopback host with tls is https; request auth wins', () => {
    const yaml = `
mirrors:
  docker.io:
    endpoint: ["https://mirror.example.com:5000"]
configs:
  "mirror.example.com:5000":
    auth: { username: u, password: p }
    tls: { ca_file: /etc/ca.pem, insecure_skip_verify: true }
  "127.0.0.1:5443":
    tls: { ca_file: /etc/ca.pem }
  "registry-1.docker.io":
    auth: { auth: dTpw, identitytoken: itok }
`;
    const cfg = parseRegistriesConfig(yaml);
    const [m, d] = resolveEndpoints(parseReference('busybox'), cfg);
    assert.deepEqual(m?.credentials, { username: 'u', password: 'p' });
    assert.deepEqual(m?.tls, { caFile: '/etc/ca.pem', insecureSkipVerify: true });
    assert.deepEqual(d?.credentials, { auth: 'dTpw', identityToken: 'itok' });
    assert.equal(resolveEndpoints(parseReference('127.0.0.1:5443/x'), cfg)[0]?.url, 'https://127.0.0.1:5443/v2');
    const withAuth = resolveEndpoints(parseReference('busybox'), cfg, { username: 'req', password: 'x' });
    assert.ok(withAuth.every((e) => e.credentials?.username === 'req'));
  });

  it('rejects malformed files with the field named', () => {
    const bad: Array<[string, RegExp]> = [
      ['mirrors: [1]', /mirrors must be a mapping/],
      ['mirrors: { docker.io: { endpoint: "x" } }', /mirrors."docker.io".endpoint must be a list/],
      ['mirrors: { docker.io: { endpoint: ["ftp://x"] } }', /only http:\/\/ and https:\/\//],
      ['mirrors: { docker.io: { endpoint: [], rewrite: { "(": "x" } } }', /not a valid regular expression/],
      ['configs: { x: { tls: { cert_file: /a } } }', /needs both cert_file and key_file/],
      ['configs: { x: { tls: { insecure_skip_verify: "yes" } } }', /insecure_skip_verify must be true or false/],
      ['configs: { x: { auth: { username: 5 } } }', /auth.username must be a string/],
      ['registries: {}', /field "registries" is unknown/],
      ['mirrors: {', /not valid YAML/],
    ];
    for (const [text, re] of bad) {
      assert.throws(() => parseRegistriesConfig(text), (e: unknown) => e instanceof ImageError && e.code === 'InvalidConfig' && re.test(e.message), text);
    }
  });

  it('loads a file; a missing file is an empty configuration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-regcfg-'));
    try {
      assert.deepEqual(await loadRegistriesConfig(join(dir, 'missing.yaml')), { mirrors: {}, configs: {} });
      await writeFile(join(dir, 'r.yaml'), 'mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:5000"]\n');
      const cfg = await loadRegistriesConfig(join(dir, 'r.yaml'));
      assert.deepEqual(cfg.mirrors['docker.io']?.endpoint, ['http://127.0.0.1:5000']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', 'LOCALHOST:80', '127.0.0.1', '127.255.0.1:5000', '[::1]:5000', '::1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1:5000', '[::2]:5000', 'localhost.example.com']) assert.ok(!isLoopbackHost(h), h);
  });
});
