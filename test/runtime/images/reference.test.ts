import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ImageError } from '../../../src/runtime/images/registry-errors.js';
import { digestName, familiarName, formatReference, manifestReference, parseReference, tagName } from '../../../src/runtime/images/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const valid: Array<[string, string, { domain: string; path: string; tag?: string; digest?: string }]> = [
    ['busybox', 'docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', { domain: 'docker.io', path: 'library/busybox', tag: '1.36' }],
    ['user/app', 'docker.io/user/app:latest', { domain: 'docker.io', path: 'user/app', tag: 'latest' }],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox' }],
    ['index.docker.io/busybox', 'docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox' }],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', { domain: 'docker.io', path: 'library/busybox' }],
    ['localhost/x', 'localhost/x:latest', { domain: 'localhost', path: 'x' }],
    ['localhost:5000/x', 'localhost:5000/x:latest', { domain: 'localhost:5000', path: 'x', tag: 'latest' }],
    ['127.0.0.1:5000/x:tag', '127.0.0.1:5000/x:tag', { domain: '127.0.0.1:5000', path: 'x', tag: 'tag' }],
    ['[::1]:5000/a/b:v1', '[::1]:5000/a/b:v1', { domain: '[::1]:5000', path: 'a/b', tag: 'v1' }],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9', { domain: 'registry.k8s.io', path: 'pause', tag: '3.9' }],
    ['quay.io/a/b/c:v_1.2-rc', 'quay.io/a/b/c:v_1.2-rc', { domain: 'quay.io', path: 'a/b/c', tag: 'v_1.2-rc' }],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, { domain: 'docker.io', path: 'library/busybox', digest: D }],
    [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`, { domain: 'docker.io', path: 'library/busybox', tag: '1.36', digest: D }],
    [`localhost:5000/x:t@${D}`, `localhost:5000/x:t@${D}`, { domain: 'localhost:5000', path: 'x', tag: 't', digest: D }],
    ['a-b_c__d/e.f-g', 'docker.io/a-b_c__d/e.f-g:latest', { domain: 'docker.io', path: 'a-b_c__d/e.f-g' }],
    ['Foo/bar', 'Foo/bar:latest', { domain: 'Foo', path: 'bar' }], // docker: an uppercase first component is a host
    ['my-registry:443/x', 'my-registry:443/x:latest', { domain: 'my-registry:443', path: 'x' }],
  ];
  for (const [input, normal, parts] of valid) {
    it(`parses ${input}`, () => {
      const r = parseReference(input);
      assert.equal(formatReference(r), normal);
      assert.equal(r.domain, parts.domain);
      assert.equal(r.path, parts.path);
      assert.equal(r.name, `${parts.domain}/${parts.path}`);
      if (parts.tag !== undefined) assert.equal(r.tag, parts.tag);
      if (parts.digest !== undefined) assert.equal(r.digest, parts.digest);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['Busybox', /^invalid reference format: repository name must be lowercase$/],
    ['docker.io/Library/busybox', /^invalid reference format: repository name must be lowercase$/],
    ['localhost:5000/UPPER', /^invalid reference format: repository name must be lowercase$/],
    ['', /repository name must have at least one component/],
    [':tag', /repository name must have at least one component/],
    ['busybox:', /tag "" is not valid/],
    ['busybox:-x', /tag "-x" is not valid/],
    [`busybox:${'t'.repeat(129)}`, /tag .* is not valid/],
    ['busybox@sha256:abc', /digest "sha256:abc" is not valid/],
    [`busybox@sha256:${'A'.repeat(64)}`, /64 lowercase hex/],
    [`busybox@md5:${'a'.repeat(32)}`, /only sha256/],
    ['busybox@', /digest "" is not valid/],
    ['a..b', /repository name "library\/a\.\.b" is not valid/],
    ['-a/b', /repository name "-a\/b" is not valid/],
    ['a/b/', /is not valid/],
    ['a//b', /is not valid/],
    ['host_x.io/a', /registry host "host_x.io" is not a valid/],
    ['a b', /is not valid/],
    ['a'.repeat(64), /cannot specify 64-byte hexadecimal strings/],
    [`x.io/${'a'.repeat(260)}`, /must not be more than 255 characters/],
  ];
  for (const [input, re] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assert.throws(() => parseReference(input), (e: unknown) => {
        assert.ok(e instanceof ImageError, String(e));
        assert.equal(e.code, 'InvalidReference');
        assert.match(e.message, re);
        return true;
      });
    });
  }

  it('fetches by digest when both tag and digest are given, and keeps the tag for naming', () => {
    const r = parseReference(`busybox:1.36@${D}`);
    assert.equal(manifestReference(r), D);
    assert.equal(tagName(r), 'docker.io/library/busybox:1.36');
    assert.equal(digestName(r, D), `docker.io/library/busybox@${D}`);
    assert.equal(manifestReference(parseReference('busybox')), 'latest');
    assert.equal(tagName(parseReference(`busybox@${D}`)), undefined);
  });

  it('gives docker\'s familiar short names', () => {
    assert.equal(familiarName(parseReference('busybox')), 'busybox:latest');
    assert.equal(familiarName(parseReference('user/app:1')), 'user/app:1');
    assert.equal(familiarName(parseReference('localhost:5000/x')), 'localhost:5000/x:latest');
    assert.equal(familiarName(parseReference('library/a/b')), 'library/a/b:latest');
  });
});
